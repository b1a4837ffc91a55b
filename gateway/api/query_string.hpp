#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace ketenpoort {

// Decodes "a=1&b=x%20y" into {a: "1", b: "x y"} ('+' is a space). nullopt on a malformed
// escape or a parameter given twice: such a request is refused rather than guessed at.
std::optional<std::map<std::string, std::string>> parseQueryString(std::string_view query);

}  // namespace ketenpoort
