#include "gateway/sqlite_store/sqlite_registry_store.hpp"

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

struct SqliteRegistryStore::Lookups {
  explicit Lookups(sqlite3* db)
      // ?1/?2 the identifier asked for, ?6/?7 the one linked to it (the same when none).
      : koppeling(db,
                  "SELECT gemeente_cbs FROM koppeling WHERE ((subject_key = ?1 AND subject_ref = ?2) "
                  "OR (subject_key = ?6 AND subject_ref = ?7)) "
                  "AND valid_from <= ?3 AND (valid_until IS NULL OR valid_until > ?3) "
                  "ORDER BY valid_from DESC, rowid DESC LIMIT 1"),
        agreement(db,
                  "SELECT id FROM agreements WHERE party_id = ?1 AND purpose = ?2 AND "
                  "gemeente_cbs = ?3 AND valid_from <= ?4 AND valid_until >= ?4 LIMIT 1"),
        consent(db,
                "SELECT id FROM consents WHERE ((subject_key = ?1 AND subject_ref = ?2) OR "
                "(subject_key = ?6 AND subject_ref = ?7)) AND "
                "purpose = ?3 AND recipient_oin = ?4 AND granted <= ?5 AND "
                "(expires IS NULL OR expires > ?5) AND (withdrawn IS NULL OR withdrawn > ?5) "
                "ORDER BY granted DESC LIMIT 1"),
        linked(db,
               "SELECT vnummer_ref FROM identity_links WHERE bsn_ref = ?1 UNION ALL "
               "SELECT bsn_ref FROM identity_links WHERE vnummer_ref = ?1 LIMIT 1") {}
  Statement koppeling;
  Statement agreement;
  Statement consent;
  Statement linked;
};

namespace {
// Runs a prepared single-value lookup and leaves the statement ready for the next one.
std::optional<std::string> firstText(Statement& q) {
  // Reset whatever happens: a statement left mid-step would fail every later lookup.
  struct ResetAfter {
    Statement& q;
    ~ResetAfter() { q.reset(); }
  } reset_after{q};
  if (!q.step()) return std::nullopt;
  return std::string(q.text(0));
}
}  // namespace

SqliteRegistryStore::SqliteRegistryStore(const std::filesystem::path& database,
                                         const SubjectReferencer& referencer, ExchangeLog& log)
    : RegistryStore(referencer, log) {
  read_ = openDatabase(database, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, 5000);
  try {
    sqlite_registry::createSchema(read_);
    lookups_ = std::make_unique<Lookups>(read_);
  } catch (const SqliteError& e) {
    closeDatabase(read_);
    throw std::runtime_error(std::string("cannot create the registries: ") + e.what());
  }
}

SqliteRegistryStore::~SqliteRegistryStore() {
  lookups_.reset();  // statements before their connection
  closeDatabase(read_);
}

std::string SqliteRegistryStore::linkedReference(const std::string& subject_ref) const {
  Statement& q = lookups_->linked;
  q.bindText(1, subject_ref);
  return firstText(q).value_or(subject_ref);
}

std::optional<std::string> SqliteRegistryStore::gemeenteOf(const SubjectKey& subject,
                                                           const CivilDate& date) const {
  return gemeenteOfReference(referencer_.reference(subject), date);
}

std::optional<std::string> SqliteRegistryStore::gemeenteOfReference(const std::string& ref,
                                                                    const CivilDate& date) const {
  const std::string day = formatIsoDate(date);
  std::lock_guard lock(read_mutex_);
  const std::string linked = linkedReference(ref);
  // The latest koppeling in force wins: a person can be re-gekoppeld.
  Statement& q = lookups_->koppeling;
  q.bindInt(1, subjectKey(ref));
  q.bindText(2, ref);
  q.bindText(3, day);
  q.bindInt(6, subjectKey(linked));
  q.bindText(7, linked);
  return firstText(q);
}

IdentityRegistry::Link SqliteRegistryStore::linkOf(const std::string& bsn,
                                                   const std::string& vnummer) const {
  const std::string bsn_ref = referencer_.reference({SubjectKey::Kind::kBsn, bsn});
  const std::string vnummer_ref = referencer_.reference({SubjectKey::Kind::kVnummer, vnummer});
  std::lock_guard lock(read_mutex_);
  const std::string of_bsn = linkedReference(bsn_ref);
  const std::string of_vnummer = linkedReference(vnummer_ref);
  if (of_bsn == vnummer_ref) return Link::kLinked;
  if (of_bsn != bsn_ref || of_vnummer != vnummer_ref) return Link::kConflict;
  return Link::kUnknown;
}

std::optional<std::string> SqliteRegistryStore::findValid(std::string_view party_id,
                                                    std::string_view purpose_id,
                                                    std::string_view gemeente_cbs_code,
                                                    const CivilDate& date) const {
  const std::string day = formatIsoDate(date);
  std::lock_guard lock(read_mutex_);
  Statement& q = lookups_->agreement;
  q.bindText(1, party_id);
  q.bindText(2, purpose_id);
  q.bindText(3, gemeente_cbs_code);
  q.bindText(4, day);
  return firstText(q);
}

std::optional<std::string> SqliteRegistryStore::findActive(const SubjectKey& subject,
                                                           std::string_view purpose_id,
                                                           const Oin& recipient,
                                                           const CivilDate& date) const {
  const std::string ref = referencer_.reference(subject);
  const std::string day = formatIsoDate(date);
  std::lock_guard lock(read_mutex_);
  const std::string linked = linkedReference(ref);
  Statement& q = lookups_->consent;
  q.bindInt(1, subjectKey(ref));
  q.bindText(2, ref);
  q.bindText(3, purpose_id);
  q.bindText(4, recipient.str());
  q.bindText(5, day);
  q.bindInt(6, subjectKey(linked));
  q.bindText(7, linked);
  return firstText(q);
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
  std::lock_guard lock(read_mutex_);
  Statement q(read_, std::string(kConsentColumns) + "WHERE id = ?1");
  q.bindText(1, id);
  if (!q.step()) return std::nullopt;
  return consentFrom(q);
}

std::optional<AgreementEntry> SqliteRegistryStore::agreement(const std::string& id) const {
  std::lock_guard lock(read_mutex_);
  Statement q(read_,
              "SELECT id, party_id, purpose, gemeente_cbs, valid_from, valid_until, document_ref "
              "FROM agreements WHERE id = ?1");
  q.bindText(1, id);
  if (!q.step()) return std::nullopt;
  const auto from = parseIsoDate(q.text(4));
  const auto until = parseIsoDate(q.text(5));
  if (!from || !until) return std::nullopt;  // unreadable: treated as absent, so rewritten
  return AgreementEntry{std::string(q.text(0)), std::string(q.text(1)), std::string(q.text(2)),
                        std::string(q.text(3)), *from, *until, std::string(q.text(6))};
}

namespace sqlite_registry {

void createSchema(sqlite3* db) { exec(db, kRegistrySchema); }

void recordKoppeling(sqlite3* db, const KoppelingEntry& k) {
  const std::string day = formatIsoDate(k.valid_from);
  Statement end(db, "UPDATE koppeling SET valid_until = ?3 WHERE subject_key = ?1 AND "
                    "subject_ref = ?2 AND valid_until IS NULL AND valid_from < ?3");
  end.bindInt(1, subjectKey(k.subject_ref));
  end.bindText(2, k.subject_ref);
  end.bindText(3, day);
  end.step();
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

}  // namespace sqlite_registry

}  // namespace ketenpoort
