#include "gateway/identity/oin.hpp"

#include <algorithm>

namespace ketenpoort {

std::optional<Oin> Oin::parse(std::string_view text) {
  if (text.size() != kLength) return std::nullopt;
  if (!std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return std::nullopt;
  }
  return Oin(std::string(text));
}

}  // namespace ketenpoort
