#pragma once
// Internal to the PostgreSQL store: thin RAII over libpq.

#include <cstdint>
#include <initializer_list>
#include <memory>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <unordered_map>
#include <variant>
#include <vector>

#include "gateway/store/sql_session.hpp"

struct pg_conn;

namespace ketenpoort::pg {

// A failed statement or connection. `sqlstate` is PostgreSQL's five-character code
// ("23505" unique violation, "40P01" deadlock, "25006" read-only transaction, "" when the
// connection itself failed). The message is the server's; it names no parameter value.
class PgError : public std::runtime_error {
 public:
  PgError(std::string sqlstate, const std::string& what) : std::runtime_error(what), sqlstate_(std::move(sqlstate)) {}
  const std::string& sqlstate() const { return sqlstate_; }
  // The transaction lost a race it may win when run again (deadlock, serialization).
  bool retryable() const { return sqlstate_ == "40P01" || sqlstate_ == "40001"; }

 private:
  std::string sqlstate_;
};

// One statement parameter: text, raw bytes (sent in binary as bytea), an integer, or NULL
// (the store's one parameter type, gateway/store/sql_session.hpp).
using Bytes = sql::Blob;
using Param = sql::Value;

// One connection. Statements with parameters are prepared on their first use and kept
// by their text (as the SQLite store caches its statements): the hot path's statements
// are parsed and planned once per connection. Not thread-safe: one owner at a time.
class Connection {
 public:
  // Connects; throws PgError when it cannot (the message never repeats the password).
  explicit Connection(const std::string& dsn);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Runs statements without parameters (several, separated by ';', are allowed).
  void execute(std::string_view sql);
  // Runs one statement with parameters ($1, $2, …); its rows read in full (bytea columns
  // as their raw bytes).
  sql::Rows run(std::string_view sql, std::initializer_list<Param> params = {});
  sql::Rows run(std::string_view sql, std::span<const Param> params);

  // COPY … FROM STDIN in text format: `copy_statement` names the table and columns, each
  // row has one value per column (Bytes for bytea). One round trip for many rows.
  void copyRows(std::string_view copy_statement, const std::vector<std::vector<Param>>& rows);

  // True when the connection is usable; false after the server went away.
  bool alive() const;
  // Connects again (after the server came back); forgets the prepared statements.
  void reconnect();

  // Notifications (LISTEN) that arrived, consuming input without waiting. Their channels.
  std::vector<std::string> notifications();
  // The socket, to wait on for notifications.
  int socket() const;

  pg_conn* get() const { return conn_; }

 private:
  sql::Rows runPrepared(std::string_view sql, const Param* params, std::size_t count);

  std::string dsn_;
  pg_conn* conn_ = nullptr;
  std::unordered_map<std::string, std::string> prepared_;  // SQL text → statement name
};

// For reads outside a transaction: runs the statement, and when it failed because the
// server went away (a restart, a failover), connects again and runs it once more.
sql::Rows runReconnecting(Connection& c, std::string_view sql, std::span<const Param> params = {});

// A DSN with any password replaced, for messages.
std::string redactedDsn(const std::string& dsn);

}  // namespace ketenpoort::pg
