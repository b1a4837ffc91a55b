#include "gateway/store/registry_store.hpp"

#include "gateway/store/identifiers.hpp"
#include "gateway/store/record_codec.hpp"
#include "gateway/store/sqlite_statement.hpp"

namespace ketenpoort {

using store_internal::exec;
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
)sql";

// A registry change as the exchange log records it.
ExchangeRecord changeRecord(std::string flow, std::string reason) {
  ExchangeRecord r;
  r.transaction_id = newUuidV7();
  r.trace_id = newTraceId();
  r.time_utc = utcNowRfc3339();
  r.flow = std::move(flow);
  r.outcome = ExchangeOutcome::kDelivered;
  r.reason = std::move(reason);
  return r;
}

RegistryStore::Change fromResult(const AppendResult& result, std::string id) {
  return {result.ok, std::move(id), result.error, result.sequence};
}

}  // namespace

struct RegistryStore::Lookups {
  explicit Lookups(sqlite3* db)
      : koppeling(db,
                  "SELECT gemeente_cbs FROM koppeling WHERE subject_key = ?1 AND subject_ref = ?2 "
                  "AND valid_from <= ?3 AND (valid_until IS NULL OR valid_until > ?3) "
                  "ORDER BY valid_from DESC, rowid DESC LIMIT 1"),
        agreement(db,
                  "SELECT id FROM agreements WHERE party_id = ?1 AND purpose = ?2 AND "
                  "gemeente_cbs = ?3 AND valid_from <= ?4 AND valid_until >= ?4 LIMIT 1"),
        consent(db,
                "SELECT id FROM consents WHERE subject_key = ?1 AND subject_ref = ?2 AND "
                "purpose = ?3 AND recipient_oin = ?4 AND granted <= ?5 AND "
                "(expires IS NULL OR expires > ?5) AND (withdrawn IS NULL OR withdrawn > ?5) "
                "ORDER BY granted DESC LIMIT 1") {}
  Statement koppeling;
  Statement agreement;
  Statement consent;
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

std::string ConsentEntry::statusOn(const CivilDate& date) const {
  const std::string today = formatIsoDate(date);
  if (!withdrawn.empty() && withdrawn <= today) return "withdrawn";
  if (!expires.empty() && expires <= today) return "expired";
  if (granted > today) return "not-yet-active";
  return "active";
}

RegistryStore::RegistryStore(const std::filesystem::path& database,
                             const SubjectReferencer& referencer, ExchangeLog& log)
    : referencer_(referencer), log_(log) {
  if (sqlite3_open_v2(database.c_str(), &read_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
                      nullptr) != SQLITE_OK) {
    const std::string message = read_ ? sqlite3_errmsg(read_) : "out of memory";
    sqlite3_close(read_);
    throw std::runtime_error("cannot open registries in " + database.string() + ": " + message);
  }
  sqlite3_busy_timeout(read_, 5000);
  try {
    exec(read_, kRegistrySchema);
    lookups_ = std::make_unique<Lookups>(read_);
  } catch (const SqliteError& e) {
    sqlite3_close(read_);
    throw std::runtime_error(std::string("cannot create the registries: ") + e.what());
  }
}

RegistryStore::~RegistryStore() {
  lookups_.reset();  // statements before their connection
  sqlite3_close(read_);
}

std::optional<std::string> RegistryStore::gemeenteOf(const SubjectKey& subject,
                                                     const CivilDate& date) const {
  const std::string ref = referencer_.reference(subject);
  const std::string day = formatIsoDate(date);
  std::lock_guard lock(read_mutex_);
  // The latest koppeling in force wins: a person can be re-gekoppeld.
  Statement& q = lookups_->koppeling;
  q.bindInt(1, subjectKey(ref));
  q.bindText(2, ref);
  q.bindText(3, day);
  return firstText(q);
}

std::optional<std::string> RegistryStore::findValid(std::string_view party_id,
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

std::optional<std::string> RegistryStore::findActive(const SubjectKey& subject,
                                                     std::string_view purpose_id,
                                                     const Oin& recipient,
                                                     const CivilDate& date) const {
  const std::string ref = referencer_.reference(subject);
  const std::string day = formatIsoDate(date);
  std::lock_guard lock(read_mutex_);
  Statement& q = lookups_->consent;
  q.bindInt(1, subjectKey(ref));
  q.bindText(2, ref);
  q.bindText(3, purpose_id);
  q.bindText(4, recipient.str());
  q.bindText(5, day);
  return firstText(q);
}

RegistryStore::Change RegistryStore::grantConsent(const ConsentGrant& grant) {
  const std::string id = "consent-" + newUuidV7();
  const std::string ref = referencer_.reference(grant.subject);
  ExchangeRecord record = changeRecord("ketenpoort.consent", "consent-granted");
  record.sender_oin = grant.recipient.str();
  record.recipient_oin = grant.recipient.str();
  record.purpose = grant.purpose_id;
  record.legal_basis = "AVG art. 6 lid 1 sub a en art. 7: toestemming vastgelegd";
  record.consent_id = id;
  record.subject_ref = ref;
  const std::string granted = formatIsoDate(grant.granted);
  const std::string expires = grant.expires ? formatIsoDate(*grant.expires) : std::string();
  auto effect = [=](sqlite3* db) {
    Statement insert(db,
                     "INSERT INTO consents (id, subject_key, subject_ref, purpose, recipient_oin, "
                     "evidence_ref, granted, expires, withdrawn) "
                     "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, NULLIF(?8, ''), NULL)");
    insert.bindText(1, id);
    insert.bindInt(2, subjectKey(ref));
    insert.bindText(3, ref);
    insert.bindText(4, grant.purpose_id);
    insert.bindText(5, grant.recipient.str());
    insert.bindText(6, grant.evidence_ref);
    insert.bindText(7, granted);
    insert.bindText(8, expires);
    insert.step();
  };
  return fromResult(log_.appendWithEffectAndWait(std::move(record), effect), id);
}

RegistryStore::Change RegistryStore::withdrawConsent(const std::string& consent_id,
                                                     const CivilDate& date) {
  ExchangeRecord record = changeRecord("ketenpoort.consent", "consent-withdrawn");
  record.consent_id = consent_id;
  {
    // The log record names whose consent and towards whom; read it first.
    std::lock_guard lock(read_mutex_);
    Statement q(read_, "SELECT subject_ref, purpose, recipient_oin FROM consents WHERE id = ?1");
    q.bindText(1, consent_id);
    if (!q.step()) return {false, consent_id, "no consent with id " + consent_id, 0};
    record.subject_ref = std::string(q.text(0));
    record.purpose = std::string(q.text(1));
    record.recipient_oin = std::string(q.text(2));
    record.sender_oin = record.recipient_oin;
  }
  record.legal_basis = "AVG art. 7 lid 3: intrekking van toestemming";
  const std::string day = formatIsoDate(date);
  auto effect = [consent_id, day](sqlite3* db) {
    Statement update(db, "UPDATE consents SET withdrawn = ?2 WHERE id = ?1 AND withdrawn IS NULL");
    update.bindText(1, consent_id);
    update.bindText(2, day);
    update.step();
    if (sqlite3_changes(db) != 1) throw std::runtime_error("consent " + consent_id + " is already withdrawn");
  };
  return fromResult(log_.appendWithEffectAndWait(std::move(record), effect), consent_id);
}

RegistryStore::Change RegistryStore::upsertAgreement(const AgreementEntry& a) {
  const std::string from = formatIsoDate(a.valid_from);
  const std::string until = formatIsoDate(a.valid_until);
  {
    std::lock_guard lock(read_mutex_);
    Statement q(read_,
                "SELECT 1 FROM agreements WHERE id = ?1 AND party_id = ?2 AND purpose = ?3 AND "
                "gemeente_cbs = ?4 AND valid_from = ?5 AND valid_until = ?6 AND document_ref = ?7");
    q.bindText(1, a.id);
    q.bindText(2, a.party_id);
    q.bindText(3, a.purpose_id);
    q.bindText(4, a.gemeente_cbs_code);
    q.bindText(5, from);
    q.bindText(6, until);
    q.bindText(7, a.document_ref);
    if (q.step()) return {true, a.id, {}, 0};  // unchanged
  }
  ExchangeRecord record = changeRecord("ketenpoort.agreement", "agreement-registered");
  record.purpose = a.purpose_id;
  record.agreement_id = a.id;
  record.legal_basis = "AVG art. 28: verwerkersovereenkomst " + a.document_ref;
  auto effect = [a, from, until](sqlite3* db) {
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
    upsert.bindText(5, from);
    upsert.bindText(6, until);
    upsert.bindText(7, a.document_ref);
    upsert.step();
  };
  return fromResult(log_.appendWithEffectAndWait(std::move(record), effect), a.id);
}

ExchangeLog::Effect RegistryStore::koppelingEffect(const SubjectKey& subject,
                                                   std::string gemeente_cbs_code, CivilDate from,
                                                   std::string source_transaction_id) const {
  const std::string ref = referencer_.reference(subject);
  const std::string day = formatIsoDate(from);
  return [ref, gemeente_cbs_code, day, source_transaction_id](sqlite3* db) {
    // A new koppeling ends the one in force, so history stays queryable.
    Statement end(db, "UPDATE koppeling SET valid_until = ?3 WHERE subject_key = ?1 AND "
                      "subject_ref = ?2 AND valid_until IS NULL AND valid_from < ?3");
    end.bindInt(1, subjectKey(ref));
    end.bindText(2, ref);
    end.bindText(3, day);
    end.step();
    Statement insert(db, "INSERT INTO koppeling (subject_key, subject_ref, gemeente_cbs, "
                         "valid_from, valid_until, source_transaction) VALUES (?1, ?2, ?3, ?4, NULL, ?5)");
    insert.bindInt(1, subjectKey(ref));
    insert.bindText(2, ref);
    insert.bindText(3, gemeente_cbs_code);
    insert.bindText(4, day);
    insert.bindText(5, source_transaction_id);
    insert.step();
  };
}

std::vector<ConsentEntry> RegistryStore::listConsents(const std::optional<SubjectKey>& subject) const {
  return listConsentsByReference(subject ? std::optional(referencer_.reference(*subject))
                                         : std::nullopt);
}

std::vector<ConsentEntry> RegistryStore::listConsentsByReference(
    const std::optional<std::string>& subject) const {
  std::vector<ConsentEntry> out;
  std::lock_guard lock(read_mutex_);
  Statement q(read_,
              subject ? "SELECT id, subject_ref, purpose, recipient_oin, evidence_ref, granted, "
                        "COALESCE(expires, ''), COALESCE(withdrawn, '') FROM consents "
                        "WHERE subject_key = ?1 AND subject_ref = ?2 ORDER BY granted, id"
                      : "SELECT id, subject_ref, purpose, recipient_oin, evidence_ref, granted, "
                        "COALESCE(expires, ''), COALESCE(withdrawn, '') FROM consents "
                        "ORDER BY granted, id");
  if (subject) {
    q.bindInt(1, subjectKey(*subject));
    q.bindText(2, *subject);
  }
  while (q.step()) {
    out.push_back({std::string(q.text(0)), std::string(q.text(1)), std::string(q.text(2)),
                   std::string(q.text(3)), std::string(q.text(4)), std::string(q.text(5)),
                   std::string(q.text(6)), std::string(q.text(7))});
  }
  return out;
}

}  // namespace ketenpoort
