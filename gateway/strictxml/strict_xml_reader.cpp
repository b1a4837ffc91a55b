#include "gateway/strictxml/strict_xml_reader.hpp"

#include <algorithm>
#include <fstream>
#include <sstream>

namespace ketenpoort {
namespace {
bool contains(StrictXmlReader::Names names, std::string_view n) {
  return std::find(names.begin(), names.end(), n) != names.end();
}
}  // namespace

StrictXmlReader::StrictXmlReader(std::string_view xml, std::string file_label)
    : xml_(xml), file_(std::move(file_label)) {
  for (std::size_t i = 0; i < xml_.size(); ++i) {
    if (xml_[i] == '\n') newline_offsets_.push_back(i);
  }
}

int StrictXmlReader::lineAt(std::ptrdiff_t offset) const {
  const auto it = std::lower_bound(newline_offsets_.begin(), newline_offsets_.end(),
                                   static_cast<std::size_t>(std::max<std::ptrdiff_t>(offset, 0)));
  return static_cast<int>(it - newline_offsets_.begin()) + 1;
}

void StrictXmlReader::problem(const pugi::xml_node& node, std::string message) {
  problems_.push_back({file_, lineOf(node), std::move(message)});
}

void StrictXmlReader::problemAtLine(int line, std::string message) {
  problems_.push_back({file_, line, std::move(message)});
}

pugi::xml_node StrictXmlReader::parseRoot(std::string_view expected_root) {
  // parse_doctype keeps a DOCTYPE in the tree so it can be refused; pugixml never
  // expands entities other than the predefined ones, so no XXE either way.
  const auto parsed = doc_.load_buffer(xml_.data(), xml_.size(), pugi::parse_default | pugi::parse_doctype);
  if (!parsed) {
    problemAtLine(lineAt(static_cast<std::ptrdiff_t>(parsed.offset)),
                  std::string("not well-formed XML: ") + parsed.description());
    return {};
  }
  // A well-formed document has one root element: pugixml also takes what follows it, which
  // the reader would never look at.
  std::size_t elements = 0;
  for (auto child : doc_.children()) {
    if (child.type() == pugi::node_doctype) problem(child, "DOCTYPE is not allowed");
    if (child.type() == pugi::node_element && ++elements == 2) {
      problem(child, "a second root element <" + std::string(child.name()) + ">: a document has one");
    }
  }
  auto root = doc_.document_element();
  if (std::string_view(root.name()) != expected_root) {
    problem(root,
            "root element must be <" + std::string(expected_root) + ">, found <" + std::string(root.name()) + ">");
    return {};
  }
  return root;
}

void StrictXmlReader::checkElement(const pugi::xml_node& node, Names required, Names optional, Names children,
                                   bool text_allowed) {
  for (auto attr : node.attributes()) {
    if (!contains(required, attr.name()) && !contains(optional, attr.name())) {
      problem(node, "unknown attribute \"" + std::string(attr.name()) + "\" on <" + node.name() + ">");
    }
  }
  for (auto name : required) {
    const auto attr = node.attribute(std::string(name).c_str());
    if (!attr) {
      problem(node, "<" + std::string(node.name()) + "> lacks required attribute \"" + std::string(name) + "\"");
    } else if (std::string_view(attr.value()).empty()) {
      problem(node, "attribute \"" + std::string(name) + "\" on <" + node.name() + "> must not be empty");
    }
  }
  for (auto child : node.children()) {
    if (child.type() == pugi::node_element) {
      if (!contains(children, child.name())) {
        problem(child, "unknown element <" + std::string(child.name()) + "> in <" + node.name() + ">");
      }
    } else if (!text_allowed && (child.type() == pugi::node_pcdata || child.type() == pugi::node_cdata)) {
      problem(child, "unexpected text in <" + std::string(node.name()) + ">");
    }
  }
}

pugi::xml_node StrictXmlReader::single(const pugi::xml_node& parent, const char* name, bool required) {
  pugi::xml_node found;
  for (auto child : parent.children(name)) {
    if (found) {
      problem(child, "<" + std::string(name) + "> may appear only once");
    } else {
      found = child;
    }
  }
  if (!found && required) problem(parent, "missing required element <" + std::string(name) + ">");
  return found;
}

std::vector<ConfigProblem> StrictXmlReader::takeProblems() {
  std::stable_sort(problems_.begin(), problems_.end(), [](const auto& a, const auto& b) { return a.line < b.line; });
  return std::move(problems_);
}

std::optional<std::string> readTextFile(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream content;
  content << in.rdbuf();
  return content.str();
}

}  // namespace ketenpoort
