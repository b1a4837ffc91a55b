#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace ketenpoort {

// A sender's document as a plain tree, whatever its wire format: elements become nodes,
// XML attributes become children named "@name", text becomes the node's value. Adapters
// build it (from XML here, from JSON for the schools); the mapper walks it.
struct SourceNode {
  std::string name;
  std::string text;  // trimmed; empty for a pure container
  std::vector<SourceNode> children;
};

// Documents nested deeper than this are refused rather than walked recursively.
inline constexpr int kMaxSourceDepth = 32;

// Why `text` may not pass through the gateway as text, or nullptr when it may: it must be
// valid UTF-8 (no overlong forms, surrogates or code points past U+10FFFF) without C0
// control characters other than tab, CR and LF, or DEL. Every recipient's format (JSON,
// XML) must be able to carry what leaves.
const char* textProblem(std::string_view text);
// The length of the UTF-8 sequence starting at text[i] (1 to 4), or 0 when none does
// (overlong forms, surrogates and code points past U+10FFFF included). The one decoder of
// the gateway: the mapper's text check and the console's escaping use it.
std::size_t utf8SequenceAt(std::string_view text, std::size_t i);

// Parses XML without entity expansion and without DTDs. The error names the problem
// (never the document's content).
std::variant<SourceNode, std::string> sourceFromXml(std::string_view xml);

}  // namespace ketenpoort
