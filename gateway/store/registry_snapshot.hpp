#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "gateway/policy/registries.hpp"
#include "gateway/store/store_transaction.hpp"
#include "gateway/store/subject_reference.hpp"

namespace ketenpoort {

// The registries (koppeling, agreements, consents, identity links) in memory, as of one
// version of the store: what the policy engine and the delivery's basis check read on the
// request path, so a decision never waits for a database or a lock held by a writer
// (issue 14). The store's one writer keeps it current: it applies each committed change
// here, in commit order, and a change made elsewhere (another process on the same file,
// another node) makes the store load it anew before the next decision.
//
// Lookups answer exactly as the SQL of the SQLite store did (dates compared as ISO text,
// "the latest koppeling in force wins", a person's linked identifier counts as the
// person). Thread-safe: many readers, one writer at a time.
class RegistrySnapshot {
 public:
  struct Koppeling {
    std::string gemeente_cbs_code;
    std::string valid_from;   // ISO date
    std::string valid_until;  // ISO date, "" while in force
    std::uint64_t order = 0;  // insertion order: the later of two on one day wins
  };
  struct Contents {
    std::uint64_t version = 0;  // the store's registry version these contents are at
    std::unordered_map<std::string, std::vector<Koppeling>> koppelingen;    // by subject ref
    std::map<std::string, AgreementEntry> agreements;                       // by id
    std::map<std::string, ConsentEntry> consents;                           // by id
    std::unordered_map<std::string, std::vector<std::string>> consents_of;  // subject ref → ids
    std::unordered_map<std::string, std::string> linked;                    // ref → ref, both ways
    std::uint64_t next_order = 1;
  };
  // One committed change, to apply to the contents (what a StoreTransaction did).
  using Change = std::function<void(Contents&)>;

  std::uint64_t version() const;

  // Replaces everything with `contents` (loaded by the store) unless the snapshot is at
  // that version or newer already.
  void replace(Contents contents);
  // Applies the changes a transaction committed, which took the store's version from
  // `from` to `to`. False (nothing applied) when the snapshot was not at `from`: a change
  // made elsewhere came between, and the caller must load the registries anew.
  bool apply(std::uint64_t from, std::uint64_t to, const std::vector<Change>& changes);

  // The changes of StoreTransaction, as Change.
  static Change koppelingRecorded(KoppelingEntry koppeling);
  static Change consentInserted(ConsentEntry consent);
  static Change consentWithdrawn(std::string consent_id, CivilDate date);
  static Change agreementUpserted(AgreementEntry agreement);
  static Change identitiesLinked(IdentityLinkEntry link);
  static Change historyRemoved(CivilDate ended_before);

  // --- reads (the SQLite store's former queries) ---
  std::optional<std::string> gemeenteOfReference(const std::string& subject_ref, const CivilDate& date) const;
  std::optional<KoppelingInForce> koppelingOfReference(const std::string& subject_ref, const CivilDate& date) const;
  IdentityRegistry::Link linkOf(const std::string& bsn_ref, const std::string& vnummer_ref) const;
  std::optional<std::string> findAgreement(std::string_view party_id, std::string_view purpose_id,
                                           std::string_view gemeente_cbs_code, const CivilDate& date) const;
  std::optional<std::string> findConsent(const std::string& subject_ref, std::string_view purpose_id,
                                         std::string_view recipient_oin, const CivilDate& date) const;
  std::optional<ConsentEntry> consent(const std::string& id) const;
  // Whether a koppeling or consent ended before `date` (what historyRemoved would take).
  bool holdsHistoryEndedBefore(const CivilDate& date) const;
  std::optional<AgreementEntry> agreement(const std::string& id) const;
  std::vector<AgreementEntry> agreements() const;

 private:
  static std::string linkedIn(const Contents& c, const std::string& ref);
  static bool endedBefore(const Koppeling& k, const std::string& day) {
    return !k.valid_until.empty() && k.valid_until < day;
  }
  static bool endedBefore(const ConsentEntry& c, const std::string& day) {
    return (!c.withdrawn.empty() && c.withdrawn < day) || (!c.expires.empty() && c.expires < day);
  }

  mutable std::shared_mutex mutex_;
  Contents contents_;
  bool loaded_ = false;
};

// The policy engine's four registries answered from a snapshot, a person by their keyed
// reference: how every decision reads the store's registries (RegistryStore), and how a
// test, benchmark or fuzzer decides over a snapshot it fills itself. One reading of the
// registries' rules, wherever a decision is made.
class SnapshotRegistries : public KoppelingRegistry,
                           public AgreementRegistry,
                           public ConsentRegistry,
                           public IdentityRegistry {
 public:
  explicit SnapshotRegistries(const SubjectReferencer& referencer) : referencer_(referencer) {}

  std::optional<KoppelingInForce> koppelingOf(const SubjectKey& subject, const CivilDate& date) const final;
  Link linkOf(const std::string& bsn, const std::string& vnummer) const final;
  std::optional<std::string> findValid(std::string_view party_id, std::string_view purpose_id,
                                       std::string_view gemeente_cbs_code, const CivilDate& date) const final;
  std::optional<std::string> findActive(const SubjectKey& subject, std::string_view purpose_id, const Oin& recipient,
                                        const CivilDate& date) const final;

  Registries view() const { return Registries{*this, *this, *this, *this}; }

 protected:
  // The registries in memory, as decisions read them.
  virtual const RegistrySnapshot& current() const = 0;

  const SubjectReferencer& referencer_;
};

}  // namespace ketenpoort
