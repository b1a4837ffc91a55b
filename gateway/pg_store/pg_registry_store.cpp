#include "gateway/pg_store/pg_registry_store.hpp"

#include <boost/json.hpp>

#include "gateway/calendar/civil_date.hpp"
#include "gateway/pg_store/pg_exchange_log.hpp"
#include "gateway/store/record_codec.hpp"

namespace ketenpoort {

using pg::Param;

namespace {

constexpr const char* kConsentColumns =
    "SELECT id, subject_ref, purpose, recipient_oin, evidence_ref, granted, "
    "COALESCE(expires, ''), COALESCE(withdrawn, '') FROM consents ";

ConsentEntry consentFrom(const pg::Result& r, int row) {
  return {std::string(r.text(row, 0)), std::string(r.text(row, 1)), std::string(r.text(row, 2)),
          std::string(r.text(row, 3)), std::string(r.text(row, 4)), std::string(r.text(row, 5)),
          std::string(r.text(row, 6)), std::string(r.text(row, 7))};
}

}  // namespace

namespace pg_registry {

void recordKoppeling(pg::Connection& c, const KoppelingEntry& k) {
  const std::string day = formatIsoDate(k.valid_from);
  // The person: this reference and the one linked to it.
  std::vector<std::string> refs{k.subject_ref};
  const pg::Result linked = c.run("SELECT vnummer_ref FROM identity_links WHERE bsn_ref = $1 "
                                  "UNION ALL SELECT bsn_ref FROM identity_links WHERE vnummer_ref = $1",
                                  {std::string_view(k.subject_ref)});
  for (int i = 0; i < linked.rows(); ++i) refs.emplace_back(linked.text(i, 0));
  for (const std::string& ref : refs) {
    const pg::Result open = c.run("SELECT valid_from FROM koppeling WHERE subject_key = $1 AND subject_ref = $2 "
                                  "AND valid_until IS NULL FOR UPDATE",
                                  {subjectKey(ref), std::string_view(ref)});
    for (int i = 0; i < open.rows(); ++i) {
      if (std::string(open.text(i, 0)) > day) throw KoppelingConflict();
    }
  }
  for (const std::string& ref : refs) {
    c.run("UPDATE koppeling SET valid_until = $3 WHERE subject_key = $1 AND subject_ref = $2 AND valid_until IS NULL",
          {subjectKey(ref), std::string_view(ref), std::string_view(day)});
  }
  c.run("INSERT INTO koppeling (subject_key, subject_ref, gemeente_cbs, valid_from, valid_until, "
        "source_transaction) VALUES ($1, $2, $3, $4, NULL, $5)",
        {subjectKey(k.subject_ref), std::string_view(k.subject_ref), std::string_view(k.gemeente_cbs_code),
         std::string_view(day), std::string_view(k.source_transaction_id)});
}

void insertConsent(pg::Connection& c, const ConsentEntry& consent) {
  c.run("INSERT INTO consents (id, subject_key, subject_ref, purpose, recipient_oin, evidence_ref, granted, "
        "expires, withdrawn) VALUES ($1, $2, $3, $4, $5, $6, $7, NULLIF($8, ''), NULL)",
        {std::string_view(consent.id), subjectKey(consent.subject_ref), std::string_view(consent.subject_ref),
         std::string_view(consent.purpose_id), std::string_view(consent.recipient_oin),
         std::string_view(consent.evidence_ref), std::string_view(consent.granted),
         std::string_view(consent.expires)});
}

void withdrawConsent(pg::Connection& c, const std::string& consent_id, const CivilDate& date) {
  const std::string day = formatIsoDate(date);
  const pg::Result r = c.run("UPDATE consents SET withdrawn = $2 WHERE id = $1 AND withdrawn IS NULL",
                             {std::string_view(consent_id), std::string_view(day)});
  if (r.affected() != 1) {
    throw std::runtime_error("consent " + consent_id + " does not exist or is already withdrawn");
  }
}

void linkIdentities(pg::Connection& c, const IdentityLinkEntry& link) {
  // UNIQUE on both: a number linked to another person already refuses the record. As
  // ON CONFLICT DO NOTHING and a count, not an error, so the transaction stays usable.
  const std::string now = utcNowRfc3339();
  const pg::Result r = c.run(
      "INSERT INTO identity_links (bsn_ref, vnummer_ref, linked_utc, source_transaction) "
      "VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
      {std::string_view(link.bsn_ref), std::string_view(link.vnummer_ref), std::string_view(now),
       std::string_view(link.source_transaction_id)});
  if (r.affected() != 1) throw std::runtime_error("one of the numbers is linked to another already");
}

RegistryHistoryRemoved removeHistory(pg::Connection& c, const CivilDate& ended_before) {
  const std::string day = formatIsoDate(ended_before);
  RegistryHistoryRemoved removed;
  removed.koppelingen =
      c.run("DELETE FROM koppeling WHERE valid_until IS NOT NULL AND valid_until < $1", {std::string_view(day)})
          .affected();
  removed.consents = c.run("DELETE FROM consents WHERE (withdrawn IS NOT NULL AND withdrawn < $1) "
                           "OR (expires IS NOT NULL AND expires < $1)",
                           {std::string_view(day)})
                         .affected();
  return removed;
}

void upsertAgreement(pg::Connection& c, const AgreementEntry& a) {
  const std::string from = formatIsoDate(a.valid_from);
  const std::string until = formatIsoDate(a.valid_until);
  c.run("INSERT INTO agreements (id, party_id, purpose, gemeente_cbs, valid_from, valid_until, document_ref) "
        "VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (id) DO UPDATE SET party_id = excluded.party_id, "
        "purpose = excluded.purpose, gemeente_cbs = excluded.gemeente_cbs, valid_from = excluded.valid_from, "
        "valid_until = excluded.valid_until, document_ref = excluded.document_ref",
        {std::string_view(a.id), std::string_view(a.party_id), std::string_view(a.purpose_id),
         std::string_view(a.gemeente_cbs_code), std::string_view(from), std::string_view(until),
         std::string_view(a.document_ref)});
}

std::uint64_t version(pg::Connection& c) {
  return static_cast<std::uint64_t>(c.run("SELECT version FROM registry_version WHERE id = 1").integer(0, 0));
}

std::uint64_t raiseVersion(pg::Connection& c) {
  return static_cast<std::uint64_t>(
      c.run("UPDATE registry_version SET version = version + 1 WHERE id = 1 RETURNING version").integer(0, 0));
}

RegistrySnapshot::Contents load(pg::Connection& c) {
  return pg::inTransaction(
      c,
      [&c] {
        RegistrySnapshot::Contents contents;
        contents.version = version(c);
        const pg::Result koppelingen = c.run(
            "SELECT subject_ref, gemeente_cbs, valid_from, COALESCE(valid_until, '') FROM koppeling ORDER BY id");
        for (int i = 0; i < koppelingen.rows(); ++i) {
          contents.koppelingen[std::string(koppelingen.text(i, 0))].push_back(
              {std::string(koppelingen.text(i, 1)), std::string(koppelingen.text(i, 2)),
               std::string(koppelingen.text(i, 3)), contents.next_order++});
        }
        const pg::Result agreements = c.run(
            "SELECT id, party_id, purpose, gemeente_cbs, valid_from, valid_until, document_ref FROM agreements");
        for (int i = 0; i < agreements.rows(); ++i) {
          const auto from = parseIsoDate(agreements.text(i, 4));
          const auto until = parseIsoDate(agreements.text(i, 5));
          if (!from || !until) continue;  // unreadable: treated as absent, so rewritten
          contents.agreements[std::string(agreements.text(i, 0))] = AgreementEntry{
              std::string(agreements.text(i, 0)), std::string(agreements.text(i, 1)),
              std::string(agreements.text(i, 2)), std::string(agreements.text(i, 3)), *from, *until,
              std::string(agreements.text(i, 6))};
        }
        const pg::Result consents = c.run(std::string(kConsentColumns) + "ORDER BY position");
        for (int i = 0; i < consents.rows(); ++i) {
          ConsentEntry entry = consentFrom(consents, i);
          contents.consents_of[entry.subject_ref].push_back(entry.id);
          contents.consents[entry.id] = std::move(entry);
        }
        const pg::Result links = c.run("SELECT bsn_ref, vnummer_ref FROM identity_links");
        for (int i = 0; i < links.rows(); ++i) {
          contents.linked[std::string(links.text(i, 0))] = std::string(links.text(i, 1));
          contents.linked[std::string(links.text(i, 1))] = std::string(links.text(i, 0));
        }
        return contents;
      },
      "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
}

namespace {

boost::json::object changeObject(const char* kind) { return boost::json::object{{"kind", kind}}; }

std::string text(const boost::json::object& o, const char* key) {
  const auto* value = o.if_contains(key);
  if (!value || !value->is_string()) throw std::runtime_error(std::string("a registry change lacks ") + key);
  return std::string(value->as_string());
}

CivilDate dateIn(const boost::json::object& o, const char* key) {
  const auto parsed = parseIsoDate(text(o, key));
  if (!parsed) throw std::runtime_error(std::string("a registry change has no date in ") + key);
  return *parsed;
}

}  // namespace

std::string encodeKoppeling(const KoppelingEntry& k) {
  auto o = changeObject("koppeling");
  o["subject_ref"] = k.subject_ref;
  o["gemeente_cbs"] = k.gemeente_cbs_code;
  o["valid_from"] = formatIsoDate(k.valid_from);
  // Not the source transaction: other nodes' registries do not need it, and a change row
  // must not name an exchange a purge may remove (issue 25).
  return boost::json::serialize(o);
}

std::string encodeConsentInserted(const ConsentEntry& c) {
  auto o = changeObject("consent");
  o["id"] = c.id;
  o["subject_ref"] = c.subject_ref;
  o["purpose"] = c.purpose_id;
  o["recipient_oin"] = c.recipient_oin;
  o["evidence_ref"] = c.evidence_ref;
  o["granted"] = c.granted;
  o["expires"] = c.expires;
  o["withdrawn"] = c.withdrawn;
  return boost::json::serialize(o);
}

std::string encodeConsentWithdrawn(const std::string& consent_id, const CivilDate& date) {
  auto o = changeObject("consent-withdrawn");
  o["id"] = consent_id;
  o["date"] = formatIsoDate(date);
  return boost::json::serialize(o);
}

std::string encodeAgreement(const AgreementEntry& a) {
  auto o = changeObject("agreement");
  o["id"] = a.id;
  o["party_id"] = a.party_id;
  o["purpose"] = a.purpose_id;
  o["gemeente_cbs"] = a.gemeente_cbs_code;
  o["valid_from"] = formatIsoDate(a.valid_from);
  o["valid_until"] = formatIsoDate(a.valid_until);
  o["document_ref"] = a.document_ref;
  return boost::json::serialize(o);
}

std::string encodeIdentityLink(const IdentityLinkEntry& l) {
  auto o = changeObject("identity-link");
  o["bsn_ref"] = l.bsn_ref;
  o["vnummer_ref"] = l.vnummer_ref;
  return boost::json::serialize(o);
}

std::string encodeHistoryRemoved(const CivilDate& ended_before) {
  auto o = changeObject("history-removed");
  o["ended_before"] = formatIsoDate(ended_before);
  return boost::json::serialize(o);
}

RegistrySnapshot::Change decodeChange(std::string_view encoded) {
  boost::system::error_code ec;
  const boost::json::value v = boost::json::parse(encoded, ec);
  if (ec || !v.is_object()) throw std::runtime_error("a registry change is not a JSON object");
  const auto& o = v.as_object();
  const std::string kind = text(o, "kind");
  if (kind == "koppeling") {
    return RegistrySnapshot::koppelingRecorded(
        {text(o, "subject_ref"), text(o, "gemeente_cbs"), dateIn(o, "valid_from"), {}});
  }
  if (kind == "consent") {
    return RegistrySnapshot::consentInserted({text(o, "id"), text(o, "subject_ref"), text(o, "purpose"),
                                              text(o, "recipient_oin"), text(o, "evidence_ref"), text(o, "granted"),
                                              text(o, "expires"), text(o, "withdrawn")});
  }
  if (kind == "consent-withdrawn") return RegistrySnapshot::consentWithdrawn(text(o, "id"), dateIn(o, "date"));
  if (kind == "agreement") {
    return RegistrySnapshot::agreementUpserted({text(o, "id"), text(o, "party_id"), text(o, "purpose"),
                                                text(o, "gemeente_cbs"), dateIn(o, "valid_from"),
                                                dateIn(o, "valid_until"), text(o, "document_ref")});
  }
  if (kind == "identity-link") {
    return RegistrySnapshot::identitiesLinked({text(o, "bsn_ref"), text(o, "vnummer_ref"), {}});
  }
  if (kind == "history-removed") return RegistrySnapshot::historyRemoved(dateIn(o, "ended_before"));
  throw std::runtime_error("a registry change of an unknown kind");
}

void recordChange(pg::Connection& c, std::uint64_t version, const std::string& encoded) {
  c.run("INSERT INTO registry_changes (version, change) VALUES ($1, $2)",
        {static_cast<std::int64_t>(version), std::string_view(encoded)});
}

void forgetChangesBefore(pg::Connection& c, std::uint64_t version) {
  c.run("DELETE FROM registry_changes WHERE version < $1", {static_cast<std::int64_t>(version)});
}

void catchUp(pg::Connection& c, RegistrySnapshot& snapshot) {
  const std::uint64_t from = snapshot.version();
  // The version first: every change up to it committed together with its row, so the rows
  // read next hold all of them (unless rows were removed, or written before version 2 of
  // the schema: then everything is loaded anew).
  const std::uint64_t current = version(c);
  if (current <= from) return;
  const pg::Result rows = c.run(
      "SELECT version, change FROM registry_changes WHERE version > $1 AND version <= $2 ORDER BY version",
      {static_cast<std::int64_t>(from), static_cast<std::int64_t>(current)});
  if (static_cast<std::uint64_t>(rows.rows()) == current - from) {
    std::vector<RegistrySnapshot::Change> changes;
    changes.reserve(static_cast<std::size_t>(rows.rows()));
    for (int i = 0; i < rows.rows(); ++i) changes.push_back(decodeChange(rows.text(i, 1)));
    if (snapshot.apply(from, current, changes)) return;
    // Another thread of this node (writer, watcher, outbox reader) caught up first.
    if (snapshot.version() >= current) return;
  }
  snapshot.replace(load(c));
}

}  // namespace pg_registry

PgRegistryStore::PgRegistryStore(const std::string& dsn, const SubjectReferencer& referencer, PgExchangeLog& log)
    : RegistryStore(referencer, log), log_(log), read_(dsn) {}

const RegistrySnapshot& PgRegistryStore::current() const { return log_.currentRegistries(); }

std::optional<KoppelingInForce> PgRegistryStore::koppelingOf(const SubjectKey& subject, const CivilDate& date) const {
  return current().koppelingOfReference(referencer_.reference(subject), date);
}

std::optional<std::string> PgRegistryStore::gemeenteOfReference(const std::string& ref, const CivilDate& date) const {
  return current().gemeenteOfReference(ref, date);
}

IdentityRegistry::Link PgRegistryStore::linkOf(const std::string& bsn, const std::string& vnummer) const {
  return current().linkOf(referencer_.reference({SubjectKey::Kind::kBsn, bsn}),
                          referencer_.reference({SubjectKey::Kind::kVnummer, vnummer}));
}

std::optional<std::string> PgRegistryStore::findValid(std::string_view party_id, std::string_view purpose_id,
                                                      std::string_view gemeente_cbs_code,
                                                      const CivilDate& date) const {
  return current().findAgreement(party_id, purpose_id, gemeente_cbs_code, date);
}

std::optional<std::string> PgRegistryStore::findActive(const SubjectKey& subject, std::string_view purpose_id,
                                                       const Oin& recipient, const CivilDate& date) const {
  return current().findConsent(referencer_.reference(subject), purpose_id, recipient.str(), date);
}

std::vector<ConsentEntry> PgRegistryStore::listConsentsByReference(const std::optional<std::string>& subject) const {
  std::lock_guard lock(read_mutex_);
  const pg::Result r =
      subject ? pg::runReconnecting(read_,
                                    std::string(kConsentColumns) +
                                        "WHERE subject_key = $1 AND subject_ref = $2 ORDER BY granted, id",
                                    {subjectKey(*subject), std::string_view(*subject)})
              : pg::runReconnecting(read_, std::string(kConsentColumns) + "ORDER BY granted, id");
  std::vector<ConsentEntry> out;
  out.reserve(static_cast<std::size_t>(r.rows()));
  for (int i = 0; i < r.rows(); ++i) out.push_back(consentFrom(r, i));
  return out;
}

std::optional<ConsentEntry> PgRegistryStore::consent(const std::string& id) const { return current().consent(id); }

std::optional<AgreementEntry> PgRegistryStore::agreement(const std::string& id) const {
  return current().agreement(id);
}

}  // namespace ketenpoort
