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

std::size_t utf8SequenceAt(std::string_view text, std::size_t i) {
  const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(text[k]); };
  const unsigned char lead = byte(i);
  if (lead < 0x80) return 1;
  // Lead byte: how many bytes, and the smallest code point it may encode.
  std::size_t length = 0;
  char32_t code = 0;
  char32_t min = 0;
  if (lead >= 0xC2 && lead <= 0xDF) {
    length = 2, code = lead & 0x1Fu, min = 0x80;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    length = 3, code = lead & 0x0Fu, min = 0x800;
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    length = 4, code = lead & 0x07u, min = 0x10000;
  } else {
    return 0;
  }
  if (i + length > text.size()) return 0;
  for (std::size_t k = 1; k < length; ++k) {
    if ((byte(i + k) & 0xC0u) != 0x80u) return 0;
    code = (code << 6u) | (byte(i + k) & 0x3Fu);
  }
  if (code < min || code > 0x10FFFF || (code >= 0xD800 && code <= 0xDFFF)) return 0;
  return length;
}

const char* textProblem(std::string_view text) {
  for (std::size_t i = 0; i < text.size();) {
    const auto c = static_cast<unsigned char>(text[i]);
    if ((c < 0x20 && c != '\t' && c != '\r' && c != '\n') || c == 0x7f) return "holds a control character";
    const std::size_t length = utf8SequenceAt(text, i);
    if (length == 0) return "is not valid UTF-8";
    i += length;
  }
  return nullptr;
}

}  // namespace ketenpoort
