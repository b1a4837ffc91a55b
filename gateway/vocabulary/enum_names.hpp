#pragma once

#include <optional>
#include <string_view>
#include <utility>

namespace ketenpoort {

// An enumeration's names as files, the log and URLs spell them: one table of
// {value, name} pairs, read and written from the same entries, so that a name is never
// spelled twice (once to write, once to read back).
template <class Enum>
using EnumName = std::pair<Enum, std::string_view>;

template <class Names, class Enum>
constexpr std::string_view nameIn(const Names& names, Enum value) {
  for (const auto& [v, name] : names) {
    if (v == value) return name;
  }
  return {};
}

template <class Names>
constexpr auto valueIn(const Names& names, std::string_view name) {
  using Enum = typename Names::value_type::first_type;
  for (const auto& [value, n] : names) {
    if (n == name) return std::optional<Enum>(value);
  }
  return std::optional<Enum>();
}

}  // namespace ketenpoort
