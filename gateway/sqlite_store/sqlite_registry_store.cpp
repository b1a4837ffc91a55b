#include "gateway/sqlite_store/sqlite_registry_store.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>

#include "gateway/diagnostics/diagnostic_log.hpp"
#include "gateway/sqlite_store/sqlite_exchange_log.hpp"

#include "gateway/calendar/civil_date.hpp"
#include "gateway/sqlite_store/sqlite_statement.hpp"
#include "gateway/store/record_codec.hpp"

namespace ketenpoort {

using store_internal::exec;
using store_internal::closeDatabase;
using store_internal::openDatabase;
using store_internal::SqliteError;
using store_internal::Statement;

namespace {

constexpr const char* kRegistrySchema = R"sql(
CREATE TABLE IF NOT EXISTS koppeling (
  subject_key INTEGER NOT NULL,
  subject_ref TEXT NOT NULL,
  gemeente_cbs TEXT NOT NULL,
  valid_from TEXT NOT NULL,
  valid_until TEXT,
  source_transaction TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS koppeling_subject ON koppeling(subject_key);
CREATE TABLE IF NOT EXISTS agreements (
  id TEXT PRIMARY KEY,
  party_id TEXT NOT NULL,
  purpose TEXT NOT NULL,
  gemeente_cbs TEXT NOT NULL,
  valid_from TEXT NOT NULL,
  valid_until TEXT NOT NULL,
  document_ref TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS consents (
  id TEXT PRIMARY KEY,
  subject_key INTEGER NOT NULL,
  subject_ref TEXT NOT NULL,
  purpose TEXT NOT NULL,
  recipient_oin TEXT NOT NULL,
  evidence_ref TEXT NOT NULL,
  granted TEXT NOT NULL,
  expires TEXT,
  withdrawn TEXT
);
CREATE INDEX IF NOT EXISTS consents_subject ON consents(subject_key);
CREATE TABLE IF NOT EXISTS identity_links (
  bsn_ref TEXT NOT NULL UNIQUE,
  vnummer_ref TEXT NOT NULL UNIQUE,
  linked_utc TEXT NOT NULL,
  source_transaction TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS registry_version (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  version INTEGER NOT NULL
);
)sql";

ConsentEntry consentFrom(Statement& q) {
  return {std::string(q.text(0)), std::string(q.text(1)), std::string(q.text(2)),
          std::string(q.text(3)), std::string(q.text(4)), std::string(q.text(5)),
          std::string(q.text(6)), std::string(q.text(7))};
}

constexpr const char* kConsentColumns =
    "SELECT id, subject_ref, purpose, recipient_oin, evidence_ref, granted, "
    "COALESCE(expires, ''), COALESCE(withdrawn, '') FROM consents ";

}  // namespace

SqliteRegistryStore::SqliteRegistryStore(const std::filesystem::path& database,
                                         const SubjectReferencer& referencer, SqliteExchangeLog& log)
    : RegistryStore(referencer, log), log_(log) {
  read_ = openDatabase(database, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, 5000);
  try {
    sqlite_registry::createSchema(read_);
  } catch (const SqliteError& e) {
    closeDatabase(read_);
    throw std::runtime_error(std::string("cannot create the registries: ") + e.what());
  }
}

SqliteRegistryStore::~SqliteRegistryStore() { closeDatabase(read_); }

const RegistrySnapshot& SqliteRegistryStore::current() const {
  RegistrySnapshot& snapshot = log_.registrySnapshot();
  const std::uint64_t announced = log_.registryMarker().read();
  if (announced != caught_up_with_.load(std::memory_order_acquire)) {
    // Someone announced a change since: the database's version is the truth. Every
    // reader that saw the new announcement waits here until the snapshot has it.
    std::lock_guard lock(read_mutex_);
    if (sqlite_registry::version(read_) != snapshot.version()) {
      // Changed by another process: load it all, in one read transaction.
      exec(read_, "BEGIN");
      try {
        snapshot.replace(sqlite_registry::load(read_));
        exec(read_, "COMMIT");
      } catch (...) {
        sqlite3_exec(read_, "ROLLBACK", nullptr, nullptr, nullptr);
        throw;
      }
    }
    caught_up_with_.store(announced, std::memory_order_release);
  }
  return snapshot;
}

std::optional<KoppelingInForce> SqliteRegistryStore::koppelingOf(const SubjectKey& subject, const CivilDate& date) const {
  return current().koppelingOfReference(referencer_.reference(subject), date);
}

std::optional<std::string> SqliteRegistryStore::gemeenteOfReference(const std::string& ref,
                                                                    const CivilDate& date) const {
  return current().gemeenteOfReference(ref, date);
}

IdentityRegistry::Link SqliteRegistryStore::linkOf(const std::string& bsn,
                                                   const std::string& vnummer) const {
  return current().linkOf(referencer_.reference({SubjectKey::Kind::kBsn, bsn}),
                          referencer_.reference({SubjectKey::Kind::kVnummer, vnummer}));
}

std::optional<std::string> SqliteRegistryStore::findValid(std::string_view party_id,
                                                    std::string_view purpose_id,
                                                    std::string_view gemeente_cbs_code,
                                                    const CivilDate& date) const {
  return current().findAgreement(party_id, purpose_id, gemeente_cbs_code, date);
}

std::optional<std::string> SqliteRegistryStore::findActive(const SubjectKey& subject,
                                                           std::string_view purpose_id,
                                                           const Oin& recipient,
                                                           const CivilDate& date) const {
  return current().findConsent(referencer_.reference(subject), purpose_id, recipient.str(), date);
}

std::vector<ConsentEntry> SqliteRegistryStore::listConsentsByReference(
    const std::optional<std::string>& subject) const {
  std::vector<ConsentEntry> out;
  std::lock_guard lock(read_mutex_);
  Statement q(read_, std::string(kConsentColumns) +
                         (subject ? "WHERE subject_key = ?1 AND subject_ref = ?2 ORDER BY granted, id"
                                  : "ORDER BY granted, id"));
  if (subject) {
    q.bindInt(1, subjectKey(*subject));
    q.bindText(2, *subject);
  }
  while (q.step()) out.push_back(consentFrom(q));
  return out;
}

std::optional<ConsentEntry> SqliteRegistryStore::consent(const std::string& id) const {
  return current().consent(id);
}

std::optional<AgreementEntry> SqliteRegistryStore::agreement(const std::string& id) const {
  return current().agreement(id);
}

namespace sqlite_registry {

void createSchema(sqlite3* db) {
  exec(db, kRegistrySchema);
  // At most one open koppeling per reference, by construction (issue 25). A file from
  // before the index may hold two (a back-dated registration that ended nothing): the later
  // one stays open, the earlier ends where the later begins (every lookup answers as it
  // did), then the index
  // (IF NOT EXISTS: another process may open the same file for the first time just now;
  // the repair is idempotent).
  Statement indexed(db, "SELECT 1 FROM sqlite_master WHERE type = 'index' AND name = 'koppeling_one_open'");
  if (indexed.step()) return;
  exec(db, R"sql(
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

void recordKoppeling(sqlite3* db, const KoppelingEntry& k) {
  const std::string day = formatIsoDate(k.valid_from);
  // The person: this reference and the one linked to it.
  std::vector<std::string> refs{k.subject_ref};
  Statement linked(db, "SELECT vnummer_ref FROM identity_links WHERE bsn_ref = ?1 "
                       "UNION ALL SELECT bsn_ref FROM identity_links WHERE vnummer_ref = ?1");
  linked.bindText(1, k.subject_ref);
  while (linked.step()) refs.emplace_back(linked.text(0));
  for (const std::string& ref : refs) {
    Statement open(db, "SELECT valid_from FROM koppeling WHERE subject_key = ?1 AND subject_ref = ?2 "
                       "AND valid_until IS NULL");
    open.bindInt(1, subjectKey(ref));
    open.bindText(2, ref);
    while (open.step()) {
      if (std::string(open.text(0)) > day) throw KoppelingConflict();
    }
  }
  for (const std::string& ref : refs) {
    Statement end(db, "UPDATE koppeling SET valid_until = ?3 WHERE subject_key = ?1 AND subject_ref = ?2 "
                      "AND valid_until IS NULL");
    end.bindInt(1, subjectKey(ref));
    end.bindText(2, ref);
    end.bindText(3, day);
    end.step();
  }
  Statement insert(db, "INSERT INTO koppeling (subject_key, subject_ref, gemeente_cbs, "
                       "valid_from, valid_until, source_transaction) VALUES (?1, ?2, ?3, ?4, NULL, ?5)");
  insert.bindInt(1, subjectKey(k.subject_ref));
  insert.bindText(2, k.subject_ref);
  insert.bindText(3, k.gemeente_cbs_code);
  insert.bindText(4, day);
  insert.bindText(5, k.source_transaction_id);
  insert.step();
}

void insertConsent(sqlite3* db, const ConsentEntry& c) {
  Statement insert(db,
                   "INSERT INTO consents (id, subject_key, subject_ref, purpose, recipient_oin, "
                   "evidence_ref, granted, expires, withdrawn) "
                   "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, NULLIF(?8, ''), NULL)");
  insert.bindText(1, c.id);
  insert.bindInt(2, subjectKey(c.subject_ref));
  insert.bindText(3, c.subject_ref);
  insert.bindText(4, c.purpose_id);
  insert.bindText(5, c.recipient_oin);
  insert.bindText(6, c.evidence_ref);
  insert.bindText(7, c.granted);
  insert.bindText(8, c.expires);
  insert.step();
}

void withdrawConsent(sqlite3* db, const std::string& consent_id, const CivilDate& date) {
  Statement update(db, "UPDATE consents SET withdrawn = ?2 WHERE id = ?1 AND withdrawn IS NULL");
  update.bindText(1, consent_id);
  update.bindText(2, formatIsoDate(date));
  update.step();
  if (sqlite3_changes(db) != 1) {
    throw std::runtime_error("consent " + consent_id + " does not exist or is already withdrawn");
  }
}

void linkIdentities(sqlite3* db, const IdentityLinkEntry& link) {
  // UNIQUE on both: a number linked to another person already refuses the record.
  Statement insert(db, "INSERT INTO identity_links (bsn_ref, vnummer_ref, linked_utc, "
                       "source_transaction) VALUES (?1, ?2, ?3, ?4)");
  insert.bindText(1, link.bsn_ref);
  insert.bindText(2, link.vnummer_ref);
  insert.bindText(3, utcNowRfc3339());
  insert.bindText(4, link.source_transaction_id);
  insert.step();
}

RegistryHistoryRemoved removeHistory(sqlite3* db, const CivilDate& ended_before) {
  const std::string day = formatIsoDate(ended_before);
  RegistryHistoryRemoved removed;
  Statement koppelingen(db, "DELETE FROM koppeling WHERE valid_until IS NOT NULL AND valid_until < ?1");
  koppelingen.bindText(1, day);
  koppelingen.step();
  removed.koppelingen = static_cast<std::uint64_t>(sqlite3_changes(db));
  Statement consents(db, "DELETE FROM consents WHERE (withdrawn IS NOT NULL AND withdrawn < ?1) "
                         "OR (expires IS NOT NULL AND expires < ?1)");
  consents.bindText(1, day);
  consents.step();
  removed.consents = static_cast<std::uint64_t>(sqlite3_changes(db));
  return removed;
}

void upsertAgreement(sqlite3* db, const AgreementEntry& a) {
  Statement upsert(db,
                   "INSERT INTO agreements (id, party_id, purpose, gemeente_cbs, valid_from, "
                   "valid_until, document_ref) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) "
                   "ON CONFLICT(id) DO UPDATE SET party_id = excluded.party_id, "
                   "purpose = excluded.purpose, gemeente_cbs = excluded.gemeente_cbs, "
                   "valid_from = excluded.valid_from, valid_until = excluded.valid_until, "
                   "document_ref = excluded.document_ref");
  upsert.bindText(1, a.id);
  upsert.bindText(2, a.party_id);
  upsert.bindText(3, a.purpose_id);
  upsert.bindText(4, a.gemeente_cbs_code);
  upsert.bindText(5, formatIsoDate(a.valid_from));
  upsert.bindText(6, formatIsoDate(a.valid_until));
  upsert.bindText(7, a.document_ref);
  upsert.step();
}

std::uint64_t version(sqlite3* db) {
  Statement q(db, "SELECT version FROM registry_version WHERE id = 1");
  return q.step() ? static_cast<std::uint64_t>(q.integer(0)) : 0;
}

void raiseVersion(sqlite3* db) {
  // No row yet means version 0 (a start writes nothing, so it never waits for the lock).
  Statement raise(db, "INSERT INTO registry_version (id, version) VALUES (1, 1) "
                      "ON CONFLICT(id) DO UPDATE SET version = version + 1");
  raise.step();
}

RegistrySnapshot::Contents load(sqlite3* db) {
  RegistrySnapshot::Contents c;
  c.version = version(db);
  Statement koppelingen(db, "SELECT subject_ref, gemeente_cbs, valid_from, COALESCE(valid_until, '') "
                            "FROM koppeling ORDER BY rowid");
  while (koppelingen.step()) {
    c.koppelingen[std::string(koppelingen.text(0))].push_back(
        {std::string(koppelingen.text(1)), std::string(koppelingen.text(2)), std::string(koppelingen.text(3)),
         c.next_order++});
  }
  Statement agreements(db, "SELECT id, party_id, purpose, gemeente_cbs, valid_from, valid_until, document_ref "
                           "FROM agreements");
  while (agreements.step()) {
    const auto from = parseIsoDate(agreements.text(4));
    const auto until = parseIsoDate(agreements.text(5));
    if (!from || !until) continue;  // unreadable: treated as absent, so rewritten
    c.agreements[std::string(agreements.text(0))] =
        AgreementEntry{std::string(agreements.text(0)), std::string(agreements.text(1)),
                       std::string(agreements.text(2)), std::string(agreements.text(3)), *from, *until,
                       std::string(agreements.text(6))};
  }
  Statement consents(db, std::string(kConsentColumns) + "ORDER BY rowid");
  while (consents.step()) {
    ConsentEntry entry = consentFrom(consents);
    c.consents_of[entry.subject_ref].push_back(entry.id);
    c.consents[entry.id] = std::move(entry);
  }
  Statement links(db, "SELECT bsn_ref, vnummer_ref FROM identity_links");
  while (links.step()) {
    c.linked[std::string(links.text(0))] = std::string(links.text(1));
    c.linked[std::string(links.text(1))] = std::string(links.text(0));
  }
  return c;
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
