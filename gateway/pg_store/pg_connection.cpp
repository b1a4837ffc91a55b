#include "gateway/pg_store/pg_connection.hpp"

#include "gateway/store/identifiers.hpp"

#include <libpq-fe.h>

#include <charconv>
#include <cstring>
#include <utility>

namespace ketenpoort::pg {

namespace {

// The server's primary message only: its DETAIL and CONTEXT lines may quote values (a
// duplicate key's value), and what we report ends up in the diagnostic log.
std::string serverMessage(const PGresult* result, const PGconn* conn) {
  const char* message = result ? PQresultErrorField(result, PG_DIAG_MESSAGE_PRIMARY) : nullptr;
  if (!message || !*message) message = PQerrorMessage(conn);
  std::string text = message ? message : "unknown error";
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  return text;
}

std::string sqlstateOf(const PGresult* result) {
  const char* state = result ? PQresultErrorField(result, PG_DIAG_SQLSTATE) : nullptr;
  return state ? state : "";
}

// Throws unless the result is a success; frees it on the way.
PGresult* checked(PGresult* result, PGconn* conn) {
  const auto status = result ? PQresultStatus(result) : PGRES_FATAL_ERROR;
  if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) return result;
  std::string sqlstate = sqlstateOf(result);
  std::string message = serverMessage(result, conn);
  PQclear(result);
  throw PgError(std::move(sqlstate), message);
}

// The rows of one result, read in full: bytea in text form is "\x" and two hex digits per
// byte (bytea_output = hex, set on every connection we open), given as its raw bytes.
sql::Rows rowsOf(PGresult* result) {
  constexpr Oid kByteaOid = 17;
  const int columns = PQnfields(result);
  const int count = PQntuples(result);
  std::vector<std::optional<std::string>> cells;
  cells.reserve(static_cast<std::size_t>(columns) * static_cast<std::size_t>(count));
  for (int row = 0; row < count; ++row) {
    for (int column = 0; column < columns; ++column) {
      if (PQgetisnull(result, row, column) != 0) {
        cells.emplace_back();
        continue;
      }
      const std::string_view text(PQgetvalue(result, row, column),
                                  static_cast<std::size_t>(PQgetlength(result, row, column)));
      if (PQftype(result, column) != kByteaOid) {
        cells.emplace_back(std::string(text));
        continue;
      }
      auto bytes = text.starts_with("\\x") ? fromHex(text.substr(2)) : std::nullopt;
      if (!bytes) {
        PQclear(result);
        throw PgError("", "a bytea column is not in hex form");
      }
      cells.emplace_back(std::move(*bytes));
    }
  }
  const char* tuples = PQcmdTuples(result);
  const std::uint64_t affected = tuples && *tuples ? std::strtoull(tuples, nullptr, 10) : 0;
  PQclear(result);
  return sql::Rows(columns, std::move(cells), affected);
}

}  // namespace

Connection::Connection(const std::string& dsn) : dsn_(dsn) { reconnect(); }

Connection::~Connection() { PQfinish(conn_); }

void Connection::reconnect() {
  PQfinish(conn_);
  prepared_.clear();
  conn_ = PQconnectdb(dsn_.c_str());
  if (PQstatus(conn_) != CONNECTION_OK) {
    std::string message = serverMessage(nullptr, conn_);
    PQfinish(conn_);
    conn_ = nullptr;
    throw PgError("", "cannot connect to PostgreSQL (" + redactedDsn(dsn_) + "): " + message);
  }
  // What every statement of the store assumes: UTC text timestamps, bytea in hex, and a
  // statement that waits on a lock longer than this fails rather than stalling the writer.
  execute("SET TIME ZONE 'UTC'; SET bytea_output = 'hex'; SET client_min_messages = warning");
}

bool Connection::alive() const { return conn_ != nullptr && PQstatus(conn_) == CONNECTION_OK; }

void Connection::execute(std::string_view sql) {
  if (!conn_) throw PgError("08003", "not connected to PostgreSQL");
  const std::string text(sql);
  PQclear(checked(PQexec(conn_, text.c_str()), conn_));
}

sql::Rows Connection::run(std::string_view sql, std::initializer_list<Param> params) {
  return runPrepared(sql, params.begin(), params.size());
}

sql::Rows Connection::run(std::string_view sql, std::span<const Param> params) {
  return runPrepared(sql, params.data(), params.size());
}

sql::Rows Connection::runPrepared(std::string_view sql, const Param* params, std::size_t count) {
  if (!conn_) throw PgError("08003", "not connected to PostgreSQL");
  auto found = prepared_.find(std::string(sql));
  if (found == prepared_.end()) {
    std::string name = "k" + std::to_string(prepared_.size() + 1);
    PQclear(checked(PQprepare(conn_, name.c_str(), std::string(sql).c_str(), 0, nullptr), conn_));
    found = prepared_.emplace(std::string(sql), std::move(name)).first;
  }
  std::vector<std::string> integers;  // the text of integer parameters, kept alive
  integers.reserve(count);
  std::vector<const char*> values(count);
  std::vector<int> lengths(count);
  std::vector<int> formats(count);
  for (std::size_t i = 0; i < count; ++i) {
    if (const auto* text = std::get_if<std::string_view>(&params[i])) {
      // Text parameters need no terminator when their length is given in binary format,
      // but text format reads up to a NUL: send text as binary too (the server checks it
      // is valid UTF-8, and a NUL byte is refused there, not silently cut).
      values[i] = text->data();
      lengths[i] = static_cast<int>(text->size());
      formats[i] = 1;
    } else if (const auto* bytes = std::get_if<Bytes>(&params[i])) {
      values[i] = bytes->bytes.data();
      lengths[i] = static_cast<int>(bytes->bytes.size());
      formats[i] = 1;
    } else if (const auto* integer = std::get_if<std::int64_t>(&params[i])) {
      integers.push_back(std::to_string(*integer));
      values[i] = integers.back().c_str();
      formats[i] = 0;
    } else {
      values[i] = nullptr;
    }
  }
  return rowsOf(checked(PQexecPrepared(conn_, found->second.c_str(), static_cast<int>(count), values.data(),
                                       lengths.data(), formats.data(), 0),
                        conn_));
}

namespace {
// A value as COPY's text format spells it: backslash, tab, newline and carriage return
// escaped; bytea as \\x and hex digits (the backslash itself escaped).
void appendCopyValue(std::string& out, const Param& value) {
  static constexpr char kHex[] = "0123456789abcdef";
  if (const auto* text = std::get_if<std::string_view>(&value)) {
    for (const char ch : *text) {
      switch (ch) {
        case '\\':
          out += "\\\\";
          break;
        case '\t':
          out += "\\t";
          break;
        case '\n':
          out += "\\n";
          break;
        case '\r':
          out += "\\r";
          break;
        default:
          out += ch;
      }
    }
  } else if (const auto* bytes = std::get_if<Bytes>(&value)) {
    out += "\\\\x";
    for (const char ch : bytes->bytes) {
      const auto b = static_cast<unsigned char>(ch);
      out += kHex[b >> 4];
      out += kHex[b & 0xf];
    }
  } else if (const auto* integer = std::get_if<std::int64_t>(&value)) {
    out += std::to_string(*integer);
  } else {
    out += "\\N";
  }
}
}  // namespace

void Connection::copyRows(std::string_view copy_statement, const std::vector<std::vector<Param>>& rows) {
  if (!conn_) throw PgError("08003", "not connected to PostgreSQL");
  PGresult* started = PQexec(conn_, std::string(copy_statement).c_str());
  if (PQresultStatus(started) != PGRES_COPY_IN) {
    PQclear(checked(started, conn_));
    throw PgError("", "COPY did not start");
  }
  PQclear(started);
  std::string data;
  for (const auto& row : rows) {
    for (std::size_t i = 0; i < row.size(); ++i) {
      if (i > 0) data += '\t';
      appendCopyValue(data, row[i]);
    }
    data += '\n';
  }
  if (PQputCopyData(conn_, data.data(), static_cast<int>(data.size())) != 1 || PQputCopyEnd(conn_, nullptr) != 1) {
    throw PgError("", serverMessage(nullptr, conn_));
  }
  // The COPY's outcome, then the end of its results.
  PGresult* result = PQgetResult(conn_);
  try {
    PQclear(checked(result, conn_));
  } catch (...) {
    while (PGresult* rest = PQgetResult(conn_)) PQclear(rest);
    throw;
  }
  while (PGresult* rest = PQgetResult(conn_)) PQclear(rest);
}

std::vector<std::string> Connection::notifications() {
  std::vector<std::string> channels;
  if (!conn_) return channels;
  PQconsumeInput(conn_);
  while (PGnotify* n = PQnotifies(conn_)) {
    channels.emplace_back(n->relname);
    PQfreemem(n);
  }
  return channels;
}

int Connection::socket() const { return conn_ ? PQsocket(conn_) : -1; }

sql::Rows runReconnecting(Connection& c, std::string_view sql, std::span<const Param> params) {
  if (!c.alive()) c.reconnect();
  try {
    return c.run(sql, params);
  } catch (const PgError&) {
    if (c.alive()) throw;
    c.reconnect();
    return c.run(sql, params);
  }
}

std::string redactedDsn(const std::string& dsn) {
  char* error = nullptr;
  PQconninfoOption* options = PQconninfoParse(dsn.c_str(), &error);
  if (!options) {
    PQfreemem(error);
    return "an unreadable DSN";
  }
  std::string out;
  for (PQconninfoOption* o = options; o->keyword; ++o) {
    if (!o->val || std::strcmp(o->keyword, "password") == 0) continue;
    if (std::strcmp(o->keyword, "host") != 0 && std::strcmp(o->keyword, "port") != 0 &&
        std::strcmp(o->keyword, "dbname") != 0 && std::strcmp(o->keyword, "user") != 0) {
      continue;
    }
    if (!out.empty()) out += ' ';
    out += std::string(o->keyword) + "=" + o->val;
  }
  PQconninfoFree(options);
  return out;
}

}  // namespace ketenpoort::pg
