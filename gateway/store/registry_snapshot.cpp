#include "gateway/store/registry_snapshot.hpp"

#include <mutex>

namespace ketenpoort {

std::uint64_t RegistrySnapshot::version() const {
  std::shared_lock lock(mutex_);
  return contents_.version;
}

void RegistrySnapshot::replace(Contents contents) {
  std::unique_lock lock(mutex_);
  if (loaded_ && contents.version <= contents_.version) return;
  contents_ = std::move(contents);
  loaded_ = true;
}

bool RegistrySnapshot::apply(std::uint64_t from, std::uint64_t to, const std::vector<Change>& changes) {
  std::unique_lock lock(mutex_);
  if (contents_.version != from) return false;
  for (const Change& change : changes) change(contents_);
  contents_.version = to;
  return true;
}

RegistrySnapshot::Change RegistrySnapshot::koppelingRecorded(KoppelingEntry k) {
  return [k = std::move(k)](Contents& c) {
    const std::string day = formatIsoDate(k.valid_from);
    // A new koppeling ends the one open for that person, under either of their references
    // (the store refused one dated before it: StoreTransaction::recordKoppeling).
    const std::string linked = linkedIn(c, k.subject_ref);
    for (const std::string* ref : {&k.subject_ref, &linked}) {
      const auto it = c.koppelingen.find(*ref);
      if (it == c.koppelingen.end()) continue;
      for (Koppeling& row : it->second) {
        if (row.valid_until.empty()) row.valid_until = day;
      }
    }
    c.koppelingen[k.subject_ref].push_back({k.gemeente_cbs_code, day, "", c.next_order++});
  };
}

RegistrySnapshot::Change RegistrySnapshot::consentInserted(ConsentEntry consent) {
  return [consent = std::move(consent)](Contents& c) {
    c.consents_of[consent.subject_ref].push_back(consent.id);
    c.consents[consent.id] = consent;
  };
}

RegistrySnapshot::Change RegistrySnapshot::consentWithdrawn(std::string consent_id, CivilDate date) {
  return [consent_id = std::move(consent_id), date](Contents& c) {
    const auto it = c.consents.find(consent_id);
    if (it != c.consents.end() && it->second.withdrawn.empty()) it->second.withdrawn = formatIsoDate(date);
  };
}

RegistrySnapshot::Change RegistrySnapshot::agreementUpserted(AgreementEntry agreement) {
  return [agreement = std::move(agreement)](Contents& c) { c.agreements[agreement.id] = agreement; };
}

RegistrySnapshot::Change RegistrySnapshot::identitiesLinked(IdentityLinkEntry link) {
  return [link = std::move(link)](Contents& c) {
    c.linked[link.bsn_ref] = link.vnummer_ref;
    c.linked[link.vnummer_ref] = link.bsn_ref;
  };
}

RegistrySnapshot::Change RegistrySnapshot::historyRemoved(CivilDate ended_before) {
  return [day = formatIsoDate(ended_before)](Contents& c) {
    for (auto it = c.koppelingen.begin(); it != c.koppelingen.end();) {
      std::erase_if(it->second, [&day](const Koppeling& k) { return endedBefore(k, day); });
      it = it->second.empty() ? c.koppelingen.erase(it) : std::next(it);
    }
    for (auto it = c.consents.begin(); it != c.consents.end();) {
      const ConsentEntry& consent = it->second;
      if (!endedBefore(consent, day)) {
        ++it;
        continue;
      }
      auto of = c.consents_of.find(consent.subject_ref);
      if (of != c.consents_of.end()) {
        std::erase(of->second, consent.id);
        if (of->second.empty()) c.consents_of.erase(of);
      }
      it = c.consents.erase(it);
    }
  };
}

bool RegistrySnapshot::holdsHistoryEndedBefore(const CivilDate& date) const {
  const std::string day = formatIsoDate(date);
  std::shared_lock lock(mutex_);
  for (const auto& [ref, rows] : contents_.koppelingen) {
    for (const Koppeling& k : rows) {
      if (endedBefore(k, day)) return true;
    }
  }
  for (const auto& [id, consent] : contents_.consents) {
    if (endedBefore(consent, day)) return true;
  }
  return false;
}

std::string RegistrySnapshot::linkedIn(const Contents& c, const std::string& ref) {
  const auto it = c.linked.find(ref);
  return it == c.linked.end() ? ref : it->second;
}

namespace {
// The rows `index` holds for a person: under `ref`, and under the identifier linked to it.
template <class Row, class Visit>
void forPerson(const std::unordered_map<std::string, std::vector<Row>>& index, const std::string& ref,
               const std::string& linked, Visit visit) {
  for (const std::string* key : {&ref, &linked}) {
    const auto it = index.find(*key);
    if (it != index.end()) {
      for (const Row& row : it->second) visit(row);
    }
    if (linked == ref) break;
  }
}
}  // namespace

std::optional<std::string> RegistrySnapshot::gemeenteOfReference(const std::string& subject_ref,
                                                                 const CivilDate& date) const {
  auto k = koppelingOfReference(subject_ref, date);
  return k ? std::optional<std::string>(std::move(k->gemeente_cbs_code)) : std::nullopt;
}

std::optional<KoppelingInForce> RegistrySnapshot::koppelingOfReference(const std::string& subject_ref,
                                                                       const CivilDate& date) const {
  const std::string day = formatIsoDate(date);
  std::shared_lock lock(mutex_);
  // The latest koppeling in force wins: a person can be re-gekoppeld.
  const Koppeling* best = nullptr;
  forPerson(contents_.koppelingen, subject_ref, linkedIn(contents_, subject_ref), [&](const Koppeling& k) {
    if (k.valid_from > day || (!k.valid_until.empty() && k.valid_until <= day)) return;
    if (!best || k.valid_from > best->valid_from || (k.valid_from == best->valid_from && k.order > best->order)) {
      best = &k;
    }
  });
  if (!best) return std::nullopt;
  const auto from = parseIsoDate(best->valid_from);
  if (!from) return std::nullopt;
  return KoppelingInForce{best->gemeente_cbs_code, *from};
}

IdentityRegistry::Link RegistrySnapshot::linkOf(const std::string& bsn_ref, const std::string& vnummer_ref) const {
  std::shared_lock lock(mutex_);
  const std::string of_bsn = linkedIn(contents_, bsn_ref);
  const std::string of_vnummer = linkedIn(contents_, vnummer_ref);
  if (of_bsn == vnummer_ref) return IdentityRegistry::Link::kLinked;
  if (of_bsn != bsn_ref || of_vnummer != vnummer_ref) return IdentityRegistry::Link::kConflict;
  return IdentityRegistry::Link::kUnknown;
}

std::optional<std::string> RegistrySnapshot::findAgreement(std::string_view party_id, std::string_view purpose_id,
                                                           std::string_view gemeente_cbs_code,
                                                           const CivilDate& date) const {
  std::shared_lock lock(mutex_);
  for (const auto& [id, a] : contents_.agreements) {
    if (a.party_id == party_id && a.purpose_id == purpose_id && a.gemeente_cbs_code == gemeente_cbs_code &&
        a.valid_from <= date && date <= a.valid_until) {
      return id;
    }
  }
  return std::nullopt;
}

std::optional<std::string> RegistrySnapshot::findConsent(const std::string& subject_ref, std::string_view purpose_id,
                                                         std::string_view recipient_oin, const CivilDate& date) const {
  const std::string day = formatIsoDate(date);
  std::shared_lock lock(mutex_);
  const ConsentEntry* best = nullptr;
  forPerson(contents_.consents_of, subject_ref, linkedIn(contents_, subject_ref), [&](const std::string& id) {
    const ConsentEntry& c = contents_.consents.at(id);
    if (c.purpose_id != purpose_id || c.recipient_oin != recipient_oin || c.granted > day) return;
    if (!c.expires.empty() && c.expires <= day) return;
    if (!c.withdrawn.empty() && c.withdrawn <= day) return;
    if (!best || c.granted > best->granted) best = &c;
  });
  if (!best) return std::nullopt;
  return best->id;
}

std::optional<ConsentEntry> RegistrySnapshot::consent(const std::string& id) const {
  std::shared_lock lock(mutex_);
  const auto it = contents_.consents.find(id);
  if (it == contents_.consents.end()) return std::nullopt;
  return it->second;
}

std::vector<AgreementEntry> RegistrySnapshot::agreements() const {
  std::shared_lock lock(mutex_);
  std::vector<AgreementEntry> out;
  out.reserve(contents_.agreements.size());
  for (const auto& [id, agreement] : contents_.agreements) out.push_back(agreement);
  return out;
}

std::optional<AgreementEntry> RegistrySnapshot::agreement(const std::string& id) const {
  std::shared_lock lock(mutex_);
  const auto it = contents_.agreements.find(id);
  if (it == contents_.agreements.end()) return std::nullopt;
  return it->second;
}

std::optional<KoppelingInForce> SnapshotRegistries::koppelingOf(const SubjectKey& subject,
                                                                const CivilDate& date) const {
  return current().koppelingOfReference(referencer_.reference(subject), date);
}

IdentityRegistry::Link SnapshotRegistries::linkOf(const std::string& bsn, const std::string& vnummer) const {
  return current().linkOf(referencer_.reference({SubjectKey::Kind::kBsn, bsn}),
                          referencer_.reference({SubjectKey::Kind::kVnummer, vnummer}));
}

std::optional<std::string> SnapshotRegistries::findValid(std::string_view party_id, std::string_view purpose_id,
                                                         std::string_view gemeente_cbs_code,
                                                         const CivilDate& date) const {
  return current().findAgreement(party_id, purpose_id, gemeente_cbs_code, date);
}

std::optional<std::string> SnapshotRegistries::findActive(const SubjectKey& subject, std::string_view purpose_id,
                                                          const Oin& recipient, const CivilDate& date) const {
  return current().findConsent(referencer_.reference(subject), purpose_id, recipient.str(), date);
}

}  // namespace ketenpoort
