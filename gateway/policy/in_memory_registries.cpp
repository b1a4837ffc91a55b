#include "gateway/policy/in_memory_registries.hpp"

namespace ketenpoort {
namespace {
bool same(const SubjectKey& a, const SubjectKey& b) { return a.kind == b.kind && a.value == b.value; }
}  // namespace

void InMemoryRegistries::addKoppeling(Koppeling k) {
  std::lock_guard lock(mutex_);
  koppelingen_.push_back(std::move(k));
}

void InMemoryRegistries::linkIdentities(std::string bsn, std::string vnummer) {
  std::lock_guard lock(mutex_);
  links_.emplace_back(std::move(bsn), std::move(vnummer));
}

IdentityRegistry::Link InMemoryRegistries::linkOf(const std::string& bsn, const std::string& vnummer) const {
  std::lock_guard lock(mutex_);
  for (const auto& [b, v] : links_) {
    if (b == bsn && v == vnummer) return Link::kLinked;
    if (b == bsn || v == vnummer) return Link::kConflict;
  }
  return Link::kUnknown;
}

bool InMemoryRegistries::samePerson(const SubjectKey& entry, const SubjectKey& asked) const {
  if (same(entry, asked)) return true;
  if (entry.kind == asked.kind) return false;
  const SubjectKey& bsn = entry.kind == SubjectKey::Kind::kBsn ? entry : asked;
  const SubjectKey& vnummer = entry.kind == SubjectKey::Kind::kBsn ? asked : entry;
  for (const auto& [b, v] : links_) {
    if (b == bsn.value && v == vnummer.value) return true;
  }
  return false;
}

void InMemoryRegistries::addAgreement(Agreement a) {
  std::lock_guard lock(mutex_);
  agreements_.push_back(std::move(a));
}

void InMemoryRegistries::addConsent(Consent c) {
  std::lock_guard lock(mutex_);
  consents_.push_back(std::move(c));
}

std::optional<KoppelingInForce> InMemoryRegistries::koppelingOf(const SubjectKey& subject,
                                                                const CivilDate& date) const {
  std::lock_guard lock(mutex_);
  // The latest koppeling in force wins: a person can be re-gekoppeld.
  const Koppeling* best = nullptr;
  for (const auto& k : koppelingen_) {
    if (!samePerson(k.subject, subject) || k.from > date || (k.until && *k.until <= date)) continue;
    if (!best || k.from >= best->from) best = &k;
  }
  if (!best) return std::nullopt;
  return KoppelingInForce{best->gemeente_cbs_code, best->from};
}

std::optional<std::string> InMemoryRegistries::findValid(std::string_view party_id, std::string_view purpose_id,
                                                         std::string_view gemeente_cbs_code,
                                                         const CivilDate& date) const {
  std::lock_guard lock(mutex_);
  for (const auto& a : agreements_) {
    if (a.party_id == party_id && a.purpose_id == purpose_id && a.gemeente_cbs_code == gemeente_cbs_code &&
        a.valid_from <= date && date <= a.valid_until) {
      return a.id;
    }
  }
  return std::nullopt;
}

std::optional<std::string> InMemoryRegistries::findActive(const SubjectKey& subject, std::string_view purpose_id,
                                                          const Oin& recipient, const CivilDate& date) const {
  std::lock_guard lock(mutex_);
  for (const auto& c : consents_) {
    if (!samePerson(c.subject, subject) || c.purpose_id != purpose_id || !(c.recipient == recipient)) {
      continue;
    }
    if (c.granted > date || (c.expires && *c.expires <= date) || (c.withdrawn && *c.withdrawn <= date)) {
      continue;
    }
    return c.id;
  }
  return std::nullopt;
}

}  // namespace ketenpoort
