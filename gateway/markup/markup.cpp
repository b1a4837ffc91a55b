#include "gateway/markup/markup.hpp"

#include "gateway/mapping/source_document.hpp"

namespace ketenpoort::html {

namespace {

void appendEscaped(std::string& out, std::string_view text) {
  for (std::size_t i = 0; i < text.size();) {
    const char c = text[i];
    switch (c) {
      case '&':
        out += "&amp;";
        ++i;
        continue;
      case '<':
        out += "&lt;";
        ++i;
        continue;
      case '>':
        out += "&gt;";
        ++i;
        continue;
      case '"':
        out += "&quot;";
        ++i;
        continue;
      case '\'':
        out += "&#39;";
        ++i;
        continue;
      default:
        break;
    }
    const std::size_t length = utf8SequenceAt(text, i);
    const auto u = static_cast<unsigned char>(c);
    if (length == 0 || (length == 1 && u < 0x20 && c != '\n' && c != '\t') || u == 0x7F) {
      out += "\xEF\xBF\xBD";  // U+FFFD
      ++i;
      continue;
    }
    out.append(text.substr(i, length));
    i += length;
  }
}

}  // namespace

Markup& Markup::operator<<(Text value) {
  appendEscaped(html_, value.value);
  return *this;
}

std::string escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  appendEscaped(out, text);
  return out;
}

}  // namespace ketenpoort::html
