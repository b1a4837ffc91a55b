#include "gateway/sqlite_store/sqlite_registry_store.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>

#include "gateway/diagnostics/diagnostic_log.hpp"
#include "gateway/sqlite_store/sqlite_exchange_log.hpp"

#include "gateway/calendar/civil_date.hpp"
#include "gateway/sqlite_store/sqlite_session.hpp"
#include "gateway/store/registry_tables.hpp"

namespace ketenpoort {

namespace {

constexpr int kBusyTimeoutMs = 5000;

// The registries as PostgreSQL keeps them (pg_schema.cpp): the same tables and columns,
// so that every statement on them is written once (gateway/store/registry_tables.cpp).
#define KETENPOORT_KOPPELING_COLUMNS                                                   \
  "(id INTEGER PRIMARY KEY, subject_key INTEGER NOT NULL, subject_ref TEXT NOT NULL, " \
  "gemeente_cbs TEXT NOT NULL, valid_from TEXT NOT NULL, valid_until TEXT, source_transaction TEXT NOT NULL)"
#define KETENPOORT_CONSENT_COLUMNS                                                                              \
  "(position INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, subject_key INTEGER NOT NULL, "                      \
  "subject_ref TEXT NOT NULL, purpose TEXT NOT NULL, recipient_oin TEXT NOT NULL, evidence_ref TEXT NOT NULL, " \
  "granted TEXT NOT NULL, expires TEXT, withdrawn TEXT)"

constexpr const char* kRegistrySchema =
    "CREATE TABLE IF NOT EXISTS koppeling " KETENPOORT_KOPPELING_COLUMNS
    ";"
    "CREATE INDEX IF NOT EXISTS koppeling_subject ON koppeling(subject_key);"
    "CREATE TABLE IF NOT EXISTS agreements (id TEXT PRIMARY KEY, party_id TEXT NOT NULL, purpose TEXT NOT NULL, "
    "gemeente_cbs TEXT NOT NULL, valid_from TEXT NOT NULL, valid_until TEXT NOT NULL, document_ref TEXT NOT NULL);"
    "CREATE TABLE IF NOT EXISTS consents " KETENPOORT_CONSENT_COLUMNS
    ";"
    "CREATE INDEX IF NOT EXISTS consents_subject ON consents(subject_key);"
    "CREATE TABLE IF NOT EXISTS identity_links (bsn_ref TEXT NOT NULL UNIQUE, vnummer_ref TEXT NOT NULL UNIQUE, "
    "linked_utc TEXT NOT NULL, source_transaction TEXT NOT NULL);"
    "CREATE TABLE IF NOT EXISTS registry_version (id INTEGER PRIMARY KEY CHECK (id = 1), version INTEGER NOT NULL);"
    "CREATE TABLE IF NOT EXISTS registry_changes (version INTEGER PRIMARY KEY, change TEXT NOT NULL);";

// Layout 4: koppeling and consents get PostgreSQL's explicit insertion order (`id`,
// `position`: what was the rowid, kept), so a statement reading them in that order is
// one text for both stores. Inside the caller's write transaction.
constexpr const char* kRegistriesToLayout4 =
    "CREATE TABLE koppeling_layout4 " KETENPOORT_KOPPELING_COLUMNS
    ";"
    "INSERT INTO koppeling_layout4 (id, subject_key, subject_ref, gemeente_cbs, valid_from, valid_until, "
    "source_transaction) SELECT rowid, subject_key, subject_ref, gemeente_cbs, valid_from, valid_until, "
    "source_transaction FROM koppeling;"
    "DROP TABLE koppeling;"
    "ALTER TABLE koppeling_layout4 RENAME TO koppeling;"
    "CREATE TABLE consents_layout4 " KETENPOORT_CONSENT_COLUMNS
    ";"
    "INSERT INTO consents_layout4 (position, id, subject_key, subject_ref, purpose, recipient_oin, evidence_ref, "
    "granted, expires, withdrawn) SELECT rowid, id, subject_key, subject_ref, purpose, recipient_oin, evidence_ref, "
    "granted, expires, withdrawn FROM consents;"
    "DROP TABLE consents;"
    "ALTER TABLE consents_layout4 RENAME TO consents;";

#undef KETENPOORT_KOPPELING_COLUMNS
#undef KETENPOORT_CONSENT_COLUMNS

}  // namespace

SqliteRegistryStore::SqliteRegistryStore(const std::filesystem::path& database, const SubjectReferencer& referencer,
                                         SqliteExchangeLog& log)
    // The log's writer made the tables before (it is opened first).
    : RegistryStore(referencer, log, SqliteSession::open(database, kBusyTimeoutMs), log.timeSource()),
      log_(log),
      catch_up_(SqliteSession::open(database, kBusyTimeoutMs)) {}

const RegistrySnapshot& SqliteRegistryStore::current() const {
  RegistrySnapshot& snapshot = log_.registrySnapshot();
  const std::uint64_t announced = log_.registryMarker().read();
  if (announced != caught_up_with_.load(std::memory_order_acquire)) {
    // Someone announced a change since: the database's version is the truth. Every
    // reader that saw the new announcement waits here until the snapshot has it: what
    // the other process changed is applied (or everything loaded anew).
    std::lock_guard lock(catch_up_mutex_);
    registry_tables::catchUp(*catch_up_, snapshot);
    caught_up_with_.store(announced, std::memory_order_release);
  }
  return snapshot;
}

namespace sqlite_registry {

void createSchema(sql::Session& s) {
  // A file of layout 3 (its koppeling table has no id yet) is brought to layout 4 first.
  if (!s.run("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'koppeling' "
             "AND NOT EXISTS (SELECT 1 FROM pragma_table_info('koppeling') WHERE name = 'id')")
           .empty()) {
    s.execute(kRegistriesToLayout4);
  }
  s.execute(kRegistrySchema);
  // At most one open koppeling per reference, by construction (issue 25). A file from
  // before the index may hold two (a back-dated registration that ended nothing): the later
  // one stays open, the earlier ends where the later begins (every lookup answers as it
  // did), then the index (IF NOT EXISTS: another process may open the same file for the
  // first time just now; the repair is idempotent).
  if (!s.run("SELECT 1 FROM sqlite_master WHERE type = 'index' AND name = 'koppeling_one_open'").empty()) return;
  s.execute(R"sql(
UPDATE koppeling SET valid_until = (
  SELECT MAX(o.valid_from) FROM koppeling o
  WHERE o.subject_key = koppeling.subject_key AND o.subject_ref = koppeling.subject_ref AND o.valid_until IS NULL)
WHERE valid_until IS NULL AND EXISTS (
  SELECT 1 FROM koppeling o
  WHERE o.subject_key = koppeling.subject_key AND o.subject_ref = koppeling.subject_ref AND o.valid_until IS NULL
    AND (o.valid_from > koppeling.valid_from OR (o.valid_from = koppeling.valid_from AND o.rowid > koppeling.rowid)));
CREATE UNIQUE INDEX IF NOT EXISTS koppeling_one_open ON koppeling(subject_ref) WHERE valid_until IS NULL;
)sql");
}

}  // namespace sqlite_registry

RegistryChangeMarker::RegistryChangeMarker(const std::filesystem::path& database) {
  const std::string file = database.string() + "-registry";
  fd_ = ::open(file.c_str(), O_CREAT | O_RDWR | O_CLOEXEC, 0600);
  if (fd_ < 0) throw std::runtime_error("cannot open " + file);
}

RegistryChangeMarker::~RegistryChangeMarker() { ::close(fd_); }

void RegistryChangeMarker::announce(std::uint64_t version) {
  // Fixed width, written in place: a reader sees the old or the new number (or, torn,
  // something else, which only makes it look at the database once more).
  char text[21];
  std::snprintf(text, sizeof text, "%020llu", static_cast<unsigned long long>(version));
  if (::pwrite(fd_, text, 20, 0) != 20) logWarn("registry-marker-unwritable", {});
}

std::uint64_t RegistryChangeMarker::read() const {
  char text[21] = {};
  if (::pread(fd_, text, 20, 0) != 20) return 0;
  return std::strtoull(text, nullptr, 10);
}

}  // namespace ketenpoort
