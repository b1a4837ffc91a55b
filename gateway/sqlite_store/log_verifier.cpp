#include "gateway/sqlite_store/log_verifier.hpp"

#include <sqlite3.h>

#include "gateway/sqlite_store/sqlite_exchange_log.hpp"
#include "gateway/sqlite_store/sqlite_session.hpp"
#include "gateway/store/chain_tables.hpp"

namespace ketenpoort {

namespace {

// A read-only connection used by one thread only, so without SQLite's per-call locking
// (which cost a fifth of verification time). Readers opening together may find the WAL
// index being set up by another: they wait.
std::unique_ptr<SqliteSession> openForReading(const std::filesystem::path& database) {
  return SqliteSession::open(database, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, 10'000);
}

// What only a store whose log once held records holds (see ChainContents::traces); a
// table an older file lacks counts as empty.
std::vector<std::string> tracesOfUse(sql::Session& s) {
  std::vector<std::string> traces;
  const std::pair<const char*, const char*> checks[] = {
      {"SELECT COALESCE(MAX(version), 0) FROM registry_version", "a registry version above 0"},
      {"SELECT (SELECT COUNT(*) FROM koppeling) + (SELECT COUNT(*) FROM consents) + "
       "(SELECT COUNT(*) FROM agreements) + (SELECT COUNT(*) FROM identity_links)",
       "registry rows (each written with a record)"},
      {"SELECT COUNT(*) FROM pseudonym_keys WHERE destroyed_utc IS NOT NULL AND destroyed_utc <> ''",
       "destroyed pseudonym keys (destroyed by a purge)"},
      {"SELECT COUNT(*) FROM outbox", "outbox entries (each queued with a record)"},
  };
  for (const auto& [sql, words] : checks) {
    try {
      if (s.run(sql).integer(0, 0) > 0) traces.emplace_back(words);
    } catch (const std::exception&) {  // no such table in this file
    }
  }
  return traces;
}

}  // namespace

std::optional<SignedHead> readSignedHead(const std::filesystem::path& database) {
  try {
    const auto heads = chain_tables::heads(*openForReading(database));
    const auto found = heads.find(std::string(kSqliteChain));
    if (found == heads.end()) return std::nullopt;
    return found->second;
  } catch (const std::exception& e) {
    throw std::runtime_error(std::string("cannot read the log's head: ") + e.what());
  }
}

LogVerification verifyExchangeLog(const std::filesystem::path& database, const std::string& public_key_pem,
                                  const std::optional<SignedHead>& witness, std::uint64_t min_records_per_range) {
  LogVerification result;
  std::unique_ptr<SqliteSession> session;
  try {
    session = openForReading(database);
  } catch (const std::exception& e) {
    result.problem = e.what();
    return result;
  }
  return verifyWhilePurgesLand(
      [&]() -> std::pair<LogVerification, std::size_t> {
        ChainContents contents;
        try {
          // One snapshot of checkpoints, head and purges, however many commits land meanwhile.
          contents = sql::inTransaction(*session, session->beginRead(), [&] {
            ChainContents read = chain_tables::contents(*session, kSqliteChain);
            if (read.last_sequence == 0 && !read.head) read.traces = tracesOfUse(*session);
            return read;
          });
        } catch (const std::exception& e) {
          LogVerification unread;
          unread.problem = std::string("cannot read the log: ") + e.what();
          return {unread, 0};
        }
        return {
            verifyChain(
                contents,
                [&database] { return chain_tables::recordReader(openForReading(database), std::string(kSqliteChain)); },
                public_key_pem, witness, min_records_per_range),
            contents.purges.purges.size()};
      },
      [&session] { return chain_tables::purgeCount(*session); });
}

}  // namespace ketenpoort
