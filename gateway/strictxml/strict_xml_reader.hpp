#pragma once

#include <charconv>
#include <cstdint>
#include <filesystem>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <pugixml.hpp>

namespace ketenpoort {

// One thing wrong with a configuration file, printed as "file:line: message".
struct ConfigProblem {
  std::string file;
  int line = 0;
  std::string message;

  std::string str() const { return file + ":" + std::to_string(line) + ": " + message; }
};

// The strict reading every XML file of ours gets (gateway config, field dictionary, flow
// mappings), in the spirit of a schema with additionalProperties: false. It parses
// without entity expansion, refuses a DOCTYPE, and collects every problem with its line
// instead of stopping at the first.
class StrictXmlReader {
 public:
  using Names = std::initializer_list<std::string_view>;

  StrictXmlReader(std::string_view xml, std::string file_label);

  // Parses; on failure records the problem and returns a null node.
  pugi::xml_node parseRoot(std::string_view expected_root);

  int lineOf(const pugi::xml_node& node) const { return lineAt(node.offset_debug()); }
  void problem(const pugi::xml_node& node, std::string message);
  void problemAtLine(int line, std::string message);

  // Unknown attributes and child elements, missing or empty required attributes, text.
  void checkElement(const pugi::xml_node& node, Names required, Names optional, Names children,
                    bool text_allowed = false);
  // The one child called `name`; a second one, or a missing required one, is a problem.
  pugi::xml_node single(const pugi::xml_node& parent, const char* name, bool required);

  // Reads an unsigned whole number within [min, max] if the attribute is present.
  template <typename T>
  bool readNumber(const pugi::xml_node& node, const char* attr_name, T min, T max, T& out) {
    const auto attr = node.attribute(attr_name);
    if (!attr) return false;
    const std::string_view text = attr.value();
    std::uint64_t value = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc() || end != text.data() + text.size() || value < static_cast<std::uint64_t>(min) ||
        value > static_cast<std::uint64_t>(max)) {
      problem(node, std::string("attribute \"") + attr_name + "\" must be a whole number from " + std::to_string(min) +
                        " to " + std::to_string(max) + ", found \"" + std::string(text) + "\"");
      return false;
    }
    out = static_cast<T>(value);
    return true;
  }

  const std::string& file() const { return file_; }
  std::vector<ConfigProblem>& problems() { return problems_; }
  // The problems sorted by line.
  std::vector<ConfigProblem> takeProblems();

 private:
  int lineAt(std::ptrdiff_t offset) const;

  std::string_view xml_;
  std::string file_;
  pugi::xml_document doc_;
  std::vector<std::size_t> newline_offsets_;
  std::vector<ConfigProblem> problems_;
};

// Reads a whole file; nullopt when it cannot be opened.
std::optional<std::string> readTextFile(const std::filesystem::path& file);

}  // namespace ketenpoort
