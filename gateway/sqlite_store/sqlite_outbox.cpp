#include "gateway/sqlite_store/sqlite_outbox.hpp"

#include "gateway/sqlite_store/sqlite_session.hpp"

namespace ketenpoort {

namespace {

constexpr int kBusyTimeoutMs = 5000;

}  // namespace

namespace sqlite_outbox {

std::size_t importBodies(sql::Session& s, const std::filesystem::path& legacy_file) {
  // Bodies of waiting entries only; the rest were orphans of the old two-file layout.
  s.run("ATTACH DATABASE $1 AS legacy", {std::string_view(legacy_file.string())});
  try {
    const std::size_t imported = sql::inTransaction(s, s.beginWrite(), [&s] {
      return static_cast<std::size_t>(
          s.run("INSERT INTO outbox_bodies (transaction_id, body) SELECT p.transaction_id, p.body "
                "FROM legacy.payloads p JOIN outbox o ON o.transaction_id = p.transaction_id "
                "WHERE o.state IN ('pending', 'postbus') ON CONFLICT (transaction_id) DO NOTHING")
              .affected());
    });
    s.execute("DETACH DATABASE legacy");
    return imported;
  } catch (...) {
    try {
      s.execute("DETACH DATABASE legacy");
    } catch (const std::exception&) {  // never attached
    }
    throw;
  }
}

}  // namespace sqlite_outbox

SqliteOutboxStore::SqliteOutboxStore(const std::filesystem::path& database, SqliteExchangeLog& writer)
    : SqlOutboxStore(SqliteSession::open(database, kBusyTimeoutMs), writer, std::string(sqlite_outbox::kNode),
                     std::chrono::milliseconds(0), writer.timeSource()),
      database_(database) {}

std::size_t SqliteOutboxStore::importLegacyBodies(const std::filesystem::path& legacy_file) {
  const auto session = SqliteSession::open(database_, kBusyTimeoutMs);
  return sqlite_outbox::importBodies(*session, legacy_file);
}

}  // namespace ketenpoort
