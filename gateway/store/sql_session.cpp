#include "gateway/store/sql_session.hpp"

#include <charconv>

namespace ketenpoort::sql {

const std::optional<std::string>& Rows::cell(int row, int column) const {
  if (row < 0 || column < 0 || column >= columns_ || row >= size()) {
    throw std::out_of_range("no such row or column in a statement's result");
  }
  return cells_[static_cast<std::size_t>(row) * static_cast<std::size_t>(columns_) + static_cast<std::size_t>(column)];
}

std::string_view Rows::text(int row, int column) const {
  const auto& value = cell(row, column);
  return value ? std::string_view(*value) : std::string_view();
}

std::int64_t Rows::integer(int row, int column) const {
  const std::string_view t = text(row, column);
  std::int64_t value = 0;
  const auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), value);
  if (t.empty() || ec != std::errc() || end != t.data() + t.size()) {
    throw std::runtime_error("a column read as an integer is not one");
  }
  return value;
}

}  // namespace ketenpoort::sql
