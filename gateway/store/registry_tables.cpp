#include "gateway/store/registry_tables.hpp"

#include <boost/json.hpp>

#include "gateway/calendar/civil_date.hpp"
#include "gateway/store/record_codec.hpp"

namespace ketenpoort::registry_tables {

namespace {

constexpr std::string_view kConsentsOfPerson =
    "SELECT id, subject_ref, purpose, recipient_oin, evidence_ref, granted, COALESCE(expires, ''), "
    "COALESCE(withdrawn, '') FROM consents WHERE subject_key = $1 AND subject_ref = $2 ORDER BY granted, id";
constexpr std::string_view kAllConsents =
    "SELECT id, subject_ref, purpose, recipient_oin, evidence_ref, granted, COALESCE(expires, ''), "
    "COALESCE(withdrawn, '') FROM consents ORDER BY granted, id";
constexpr std::string_view kConsentsInOrder =
    "SELECT id, subject_ref, purpose, recipient_oin, evidence_ref, granted, COALESCE(expires, ''), "
    "COALESCE(withdrawn, '') FROM consents ORDER BY position";

ConsentEntry consentFrom(const sql::Rows& r, int row) {
  return {std::string(r.text(row, 0)), std::string(r.text(row, 1)), std::string(r.text(row, 2)),
          std::string(r.text(row, 3)), std::string(r.text(row, 4)), std::string(r.text(row, 5)),
          std::string(r.text(row, 6)), std::string(r.text(row, 7))};
}

}  // namespace

ChangeVerdict recordKoppeling(sql::Session& s, const KoppelingEntry& k) {
  const std::string day = formatIsoDate(k.valid_from);
  // The person: this reference and the one linked to it.
  std::vector<std::string> refs{k.subject_ref};
  const sql::Rows linked = s.run(
      "SELECT vnummer_ref FROM identity_links WHERE bsn_ref = $1 "
      "UNION ALL SELECT bsn_ref FROM identity_links WHERE vnummer_ref = $1",
      {std::string_view(k.subject_ref)});
  for (int i = 0; i < linked.size(); ++i) refs.emplace_back(linked.text(i, 0));
  // Ending the open one returns its start (and, in PostgreSQL, locks its row until the
  // transaction ends): one that begins after the new one's day refuses it, and the
  // caller's rollback undoes what was ended.
  for (const std::string& ref : refs) {
    const sql::Rows ended = s.run(
        "UPDATE koppeling SET valid_until = $1 WHERE subject_key = $2 AND subject_ref = $3 "
        "AND valid_until IS NULL RETURNING valid_from",
        {std::string_view(day), subjectKey(ref), std::string_view(ref)});
    for (int i = 0; i < ended.size(); ++i) {
      if (ended.text(i, 0) > day) return Reason::kKoppelingConflict;
    }
  }
  s.run(
      "INSERT INTO koppeling (subject_key, subject_ref, gemeente_cbs, valid_from, valid_until, "
      "source_transaction) VALUES ($1, $2, $3, $4, NULL, $5)",
      {subjectKey(k.subject_ref), std::string_view(k.subject_ref), std::string_view(k.gemeente_cbs_code),
       std::string_view(day), std::string_view(k.source_transaction_id)});
  return kApplied;
}

void insertConsent(sql::Session& s, const ConsentEntry& consent) {
  s.run(
      "INSERT INTO consents (id, subject_key, subject_ref, purpose, recipient_oin, evidence_ref, granted, "
      "expires, withdrawn) VALUES ($1, $2, $3, $4, $5, $6, $7, NULLIF($8, ''), NULL)",
      {std::string_view(consent.id), subjectKey(consent.subject_ref), std::string_view(consent.subject_ref),
       std::string_view(consent.purpose_id), std::string_view(consent.recipient_oin),
       std::string_view(consent.evidence_ref), std::string_view(consent.granted), std::string_view(consent.expires)});
}

void withdrawConsent(sql::Session& s, const std::string& consent_id, const CivilDate& date) {
  const std::string day = formatIsoDate(date);
  const sql::Rows r = s.run("UPDATE consents SET withdrawn = $1 WHERE id = $2 AND withdrawn IS NULL",
                            {std::string_view(day), std::string_view(consent_id)});
  if (r.affected() != 1) {
    throw std::runtime_error("consent " + consent_id + " does not exist or is already withdrawn");
  }
}

void linkIdentities(sql::Session& s, const IdentityLinkEntry& link, std::string_view linked_utc) {
  // UNIQUE on both: a number linked to another person already refuses the record. As
  // DO NOTHING and a count, not an error, so a PostgreSQL transaction stays usable.
  const sql::Rows r = s.run(
      "INSERT INTO identity_links (bsn_ref, vnummer_ref, linked_utc, source_transaction) "
      "VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
      {std::string_view(link.bsn_ref), std::string_view(link.vnummer_ref), linked_utc,
       std::string_view(link.source_transaction_id)});
  if (r.affected() != 1) throw std::runtime_error("one of the numbers is linked to another already");
}

RegistryHistoryRemoved removeHistory(sql::Session& s, const CivilDate& ended_before) {
  const std::string day = formatIsoDate(ended_before);
  RegistryHistoryRemoved removed;
  removed.koppelingen =
      s.run("DELETE FROM koppeling WHERE valid_until IS NOT NULL AND valid_until < $1", {std::string_view(day)})
          .affected();
  removed.consents = s.run(
                          "DELETE FROM consents WHERE (withdrawn IS NOT NULL AND withdrawn < $1) "
                          "OR (expires IS NOT NULL AND expires < $1)",
                          {std::string_view(day)})
                         .affected();
  return removed;
}

void upsertAgreement(sql::Session& s, const AgreementEntry& a) {
  const std::string from = formatIsoDate(a.valid_from);
  const std::string until = formatIsoDate(a.valid_until);
  s.run(
      "INSERT INTO agreements (id, party_id, purpose, gemeente_cbs, valid_from, valid_until, document_ref) "
      "VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (id) DO UPDATE SET party_id = excluded.party_id, "
      "purpose = excluded.purpose, gemeente_cbs = excluded.gemeente_cbs, valid_from = excluded.valid_from, "
      "valid_until = excluded.valid_until, document_ref = excluded.document_ref",
      {std::string_view(a.id), std::string_view(a.party_id), std::string_view(a.purpose_id),
       std::string_view(a.gemeente_cbs_code), std::string_view(from), std::string_view(until),
       std::string_view(a.document_ref)});
}

std::uint64_t version(sql::Session& s) {
  const sql::Rows r = s.run("SELECT version FROM registry_version WHERE id = 1");
  return r.empty() ? 0 : static_cast<std::uint64_t>(r.integer(0, 0));
}

std::uint64_t raiseVersion(sql::Session& s) {
  // No row yet is version 0.
  return static_cast<std::uint64_t>(
      s.run("INSERT INTO registry_version (id, version) VALUES (1, 1) ON CONFLICT (id) DO UPDATE "
            "SET version = registry_version.version + 1 RETURNING version")
          .integer(0, 0));
}

RegistrySnapshot::Contents load(sql::Session& s) {
  return sql::inTransaction(s, s.beginRead(), [&s] {
    RegistrySnapshot::Contents contents;
    contents.version = version(s);
    const sql::Rows koppelingen =
        s.run("SELECT subject_ref, gemeente_cbs, valid_from, COALESCE(valid_until, '') FROM koppeling ORDER BY id");
    for (int i = 0; i < koppelingen.size(); ++i) {
      contents.koppelingen[std::string(koppelingen.text(i, 0))].push_back(
          {std::string(koppelingen.text(i, 1)), std::string(koppelingen.text(i, 2)),
           std::string(koppelingen.text(i, 3)), contents.next_order++});
    }
    const sql::Rows agreements =
        s.run("SELECT id, party_id, purpose, gemeente_cbs, valid_from, valid_until, document_ref FROM agreements");
    for (int i = 0; i < agreements.size(); ++i) {
      const auto from = parseIsoDate(agreements.text(i, 4));
      const auto until = parseIsoDate(agreements.text(i, 5));
      if (!from || !until) continue;  // unreadable: treated as absent, so rewritten
      contents.agreements[std::string(agreements.text(i, 0))] = AgreementEntry{std::string(agreements.text(i, 0)),
                                                                               std::string(agreements.text(i, 1)),
                                                                               std::string(agreements.text(i, 2)),
                                                                               std::string(agreements.text(i, 3)),
                                                                               *from,
                                                                               *until,
                                                                               std::string(agreements.text(i, 6))};
    }
    const sql::Rows consents = s.run(kConsentsInOrder);
    for (int i = 0; i < consents.size(); ++i) {
      ConsentEntry entry = consentFrom(consents, i);
      contents.consents_of[entry.subject_ref].push_back(entry.id);
      contents.consents[entry.id] = std::move(entry);
    }
    const sql::Rows links = s.run("SELECT bsn_ref, vnummer_ref FROM identity_links");
    for (int i = 0; i < links.size(); ++i) {
      contents.linked[std::string(links.text(i, 0))] = std::string(links.text(i, 1));
      contents.linked[std::string(links.text(i, 1))] = std::string(links.text(i, 0));
    }
    return contents;
  });
}

std::vector<ConsentEntry> listConsents(sql::Session& s, const std::optional<std::string>& subject_ref) {
  const sql::Rows r = subject_ref ? s.run(kConsentsOfPerson, {subjectKey(*subject_ref), std::string_view(*subject_ref)})
                                  : s.run(kAllConsents);
  std::vector<ConsentEntry> out;
  out.reserve(static_cast<std::size_t>(r.size()));
  for (int i = 0; i < r.size(); ++i) out.push_back(consentFrom(r, i));
  return out;
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
  // Not the source transaction: other readers' registries do not need it, and a change
  // row must not name an exchange a purge may remove (issue 25).
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

void recordChange(sql::Session& s, std::uint64_t version, const std::string& encoded) {
  s.run("INSERT INTO registry_changes (version, change) VALUES ($1, $2)",
        {static_cast<std::int64_t>(version), std::string_view(encoded)});
}

void forgetChangesBefore(sql::Session& s, std::uint64_t version) {
  s.run("DELETE FROM registry_changes WHERE version < $1", {static_cast<std::int64_t>(version)});
}

void catchUp(sql::Session& s, RegistrySnapshot& snapshot) {
  const std::uint64_t from = snapshot.version();
  // The version first: every change up to it committed together with its row, so the rows
  // read next hold all of them (unless rows were removed, or written by a version that
  // kept none: then everything is loaded anew).
  const std::uint64_t current = version(s);
  if (current <= from) return;
  const sql::Rows rows =
      s.run("SELECT version, change FROM registry_changes WHERE version > $1 AND version <= $2 ORDER BY version",
            {static_cast<std::int64_t>(from), static_cast<std::int64_t>(current)});
  if (static_cast<std::uint64_t>(rows.size()) == current - from) {
    std::vector<RegistrySnapshot::Change> changes;
    changes.reserve(static_cast<std::size_t>(rows.size()));
    for (int i = 0; i < rows.size(); ++i) changes.push_back(decodeChange(rows.text(i, 1)));
    if (snapshot.apply(from, current, changes)) return;
    // Another thread caught up first.
    if (snapshot.version() >= current) return;
  }
  snapshot.replace(load(s));
}

}  // namespace ketenpoort::registry_tables
