#include "gateway/mapping/source_document.hpp"

#include <pugixml.hpp>

namespace ketenpoort {
namespace {

std::string trimmed(std::string_view s) {
  const auto first = s.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos) return {};
  const auto last = s.find_last_not_of(" \t\r\n");
  return std::string(s.substr(first, last - first + 1));
}

// Returns false when the document is too deep or mixes text and elements in a way we
// cannot map unambiguously.
bool convert(const pugi::xml_node& element, SourceNode& out, int depth, std::string& error) {
  if (depth > kMaxSourceDepth) {
    error = "document nested deeper than " + std::to_string(kMaxSourceDepth) + " levels";
    return false;
  }
  out.name = element.name();
  for (auto attr : element.attributes()) {
    const std::string_view name = attr.name();
    if (name == "xmlns" || name.starts_with("xmlns:")) continue;
    out.children.push_back({"@" + std::string(name), trimmed(attr.value()), {}});
  }
  std::string text;
  for (auto child : element.children()) {
    switch (child.type()) {
      case pugi::node_element: {
        out.children.emplace_back();
        if (!convert(child, out.children.back(), depth + 1, error)) return false;
        break;
      }
      case pugi::node_pcdata:
      case pugi::node_cdata:
        text += child.value();
        break;
      default:
        break;  // comments, processing instructions
    }
  }
  out.text = trimmed(text);
  return true;
}

}  // namespace

std::variant<SourceNode, std::string> sourceFromXml(std::string_view xml) {
  pugi::xml_document doc;
  const auto parsed =
      doc.load_buffer(xml.data(), xml.size(), pugi::parse_default | pugi::parse_doctype, pugi::encoding_utf8);
  if (!parsed) {
    return "not well-formed XML at byte " + std::to_string(parsed.offset) + ": " + parsed.description();
  }
  for (auto child : doc.children()) {
    if (child.type() == pugi::node_doctype) return std::string("a DOCTYPE is not allowed");
  }
  const auto root = doc.document_element();
  if (!root) return std::string("the document has no root element");
  SourceNode out;
  std::string error;
  if (!convert(root, out, 0, error)) return error;
  return out;
}

const char* textProblem(std::string_view text) {
  const auto* p = reinterpret_cast<const unsigned char*>(text.data());
  const auto* end = p + text.size();
  while (p < end) {
    const unsigned char c = *p;
    if (c < 0x80) {
      if ((c < 0x20 && c != '\t' && c != '\r' && c != '\n') || c == 0x7f) {
        return "holds a control character";
      }
      ++p;
      continue;
    }
    // Lead byte: how many continuation bytes, and the smallest code point it may encode.
    int more = 0;
    char32_t cp = 0;
    char32_t min = 0;
    if (c >= 0xc2 && c <= 0xdf) {
      more = 1, cp = c & 0x1f, min = 0x80;
    } else if (c >= 0xe0 && c <= 0xef) {
      more = 2, cp = c & 0x0f, min = 0x800;
    } else if (c >= 0xf0 && c <= 0xf4) {
      more = 3, cp = c & 0x07, min = 0x10000;
    } else {
      return "is not valid UTF-8";
    }
    if (end - p <= more) return "is not valid UTF-8";
    for (int i = 1; i <= more; ++i) {
      if ((p[i] & 0xc0) != 0x80) return "is not valid UTF-8";
      cp = (cp << 6) | (p[i] & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return "is not valid UTF-8";
    p += more + 1;
  }
  return nullptr;
}

}  // namespace ketenpoort
