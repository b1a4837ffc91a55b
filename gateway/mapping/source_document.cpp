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
  const auto parsed = doc.load_buffer(xml.data(), xml.size(),
                                      pugi::parse_default | pugi::parse_doctype, pugi::encoding_utf8);
  if (!parsed) {
    return "not well-formed XML at byte " + std::to_string(parsed.offset) + ": " +
           parsed.description();
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

}  // namespace ketenpoort
