#pragma once
// The narrow SQL interface the store's statements are written against once, whatever
// database runs them (issue 26): a statement with parameters in, its rows out. SQLite
// (gateway/sqlite_store) and PostgreSQL (gateway/pg_store) each implement it over their
// own connection; what truly differs between them (COPY, advisory locks, SKIP LOCKED,
// LISTEN/NOTIFY, secure_delete) stays in those modules.
//
// Placeholders are `$1`, `$2`, … in both dialects (PostgreSQL's own; SQLite reads `$1`
// as a named parameter, numbered in order of first appearance, so a statement must use
// `$1` first, then `$2`, …: the SQLite session refuses one that does not).

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace ketenpoort::sql {

// Raw bytes: a BLOB in SQLite, a bytea in PostgreSQL.
struct Blob {
  std::string_view bytes;
};
// One parameter: text, bytes, an integer, or NULL. Views: what they point at must outlive
// the call that runs the statement.
using Value = std::variant<std::string_view, Blob, std::int64_t, std::nullptr_t>;

// The rows of one statement, read in full. A blob column's cells are its raw bytes in
// both dialects; an integer column's cells its decimal text.
class Rows {
 public:
  Rows() = default;
  Rows(int columns, std::vector<std::optional<std::string>> cells, std::uint64_t affected)
      : columns_(columns), cells_(std::move(cells)), affected_(affected) {}

  int size() const { return columns_ == 0 ? 0 : static_cast<int>(cells_.size()) / columns_; }
  bool empty() const { return cells_.empty(); }
  int columns() const { return columns_; }
  // "" for NULL.
  std::string_view text(int row, int column) const;
  // Throws std::runtime_error when the cell is not a whole decimal integer.
  std::int64_t integer(int row, int column) const;
  // Rows an INSERT, UPDATE or DELETE changed.
  std::uint64_t affected() const { return affected_; }

 private:
  const std::optional<std::string>& cell(int row, int column) const;

  int columns_ = 0;
  std::vector<std::optional<std::string>> cells_;  // row by row
  std::uint64_t affected_ = 0;
};

// One connection, used by one thread at a time. Errors are the dialect's own exceptions,
// all std::runtime_error, with the database's message (never a parameter's value).
class Session {
 public:
  virtual ~Session() = default;

  // Runs one statement; prepared on first use and kept by its text.
  Rows run(std::string_view statement, std::initializer_list<Value> params = {}) {
    return runStatement(statement, std::span<const Value>(params.begin(), params.size()));
  }
  Rows run(std::string_view statement, std::span<const Value> params) { return runStatement(statement, params); }
  // Statements without parameters, separated by ';' (a schema, BEGIN, COMMIT).
  virtual void execute(std::string_view statements) = 0;

  // What truly differs between the dialects:
  // How a transaction that writes begins (SQLite takes the write lock at once, so two
  // writers never deadlock upgrading a read lock).
  virtual std::string_view beginWrite() const = 0;
  // How a read transaction begins that sees one version of everything, however many
  // commits land meanwhile (PostgreSQL's default READ COMMITTED would not).
  virtual std::string_view beginRead() const = 0;
  // After rows of `table` holding secrets were overwritten or removed (and committed): the
  // old bytes go from the database's files as far as the database lets them (SQLite:
  // secure_delete is on, and the WAL that still holds the old page is truncated when the
  // writer lets it; PostgreSQL: VACUUM, so the old row versions' space is reused).
  virtual void eraseRemovedBytes(std::string_view table) = 0;

 protected:
  virtual Rows runStatement(std::string_view statement, std::span<const Value> params) = 0;
};

// Runs `work` between BEGIN and COMMIT (`begin`: the dialect's own opening, e.g.
// "BEGIN IMMEDIATE"), rolling back when it throws.
template <typename Work>
auto inTransaction(Session& session, std::string_view begin, Work&& work) -> decltype(work()) {
  session.execute(begin);
  try {
    if constexpr (std::is_void_v<decltype(work())>) {
      work();
      session.execute("COMMIT");
    } else {
      auto result = work();
      session.execute("COMMIT");
      return result;
    }
  } catch (...) {
    try {
      session.execute("ROLLBACK");
    } catch (const std::exception&) {  // rolled back already, or the connection is gone
    }
    throw;
  }
}

}  // namespace ketenpoort::sql
