#pragma once

#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "gateway/policy/registries.hpp"

namespace ketenpoort {

// Registries held in memory: for tests, benchmarks and tools that evaluate policy
// without a database. The gateway's durable registries live in the store.
class InMemoryRegistries final : public KoppelingRegistry,
                                 public AgreementRegistry,
                                 public ConsentRegistry,
                                 public IdentityRegistry {
 public:
  struct Koppeling {
    SubjectKey subject;
    std::string gemeente_cbs_code;
    CivilDate from;
    std::optional<CivilDate> until;  // exclusive
  };
  struct Agreement {
    std::string id;
    std::string party_id;
    std::string purpose_id;
    std::string gemeente_cbs_code;
    CivilDate valid_from;
    CivilDate valid_until;  // inclusive
  };
  struct Consent {
    std::string id;
    SubjectKey subject;
    std::string purpose_id;
    Oin recipient;
    CivilDate granted;
    std::optional<CivilDate> expires;    // no longer valid from this date
    std::optional<CivilDate> withdrawn;  // no longer valid from this date
  };

  void addKoppeling(Koppeling k);
  void addAgreement(Agreement a);
  void addConsent(Consent c);
  void linkIdentities(std::string bsn, std::string vnummer);

  std::optional<KoppelingInForce> koppelingOf(const SubjectKey& subject, const CivilDate& date) const override;
  std::optional<std::string> findValid(std::string_view party_id, std::string_view purpose_id,
                                       std::string_view gemeente_cbs_code, const CivilDate& date) const override;
  std::optional<std::string> findActive(const SubjectKey& subject, std::string_view purpose_id, const Oin& recipient,
                                        const CivilDate& date) const override;
  Link linkOf(const std::string& bsn, const std::string& vnummer) const override;

  Registries view() const { return Registries{*this, *this, *this, *this}; }

 private:
  mutable std::mutex mutex_;
  std::vector<Koppeling> koppelingen_;
  std::vector<Agreement> agreements_;
  std::vector<Consent> consents_;
  std::vector<std::pair<std::string, std::string>> links_;  // BSN, V-nummer

  // Whether a registry entry for `entry` answers for `asked`: the same identifier, or one
  // linked to it.
  bool samePerson(const SubjectKey& entry, const SubjectKey& asked) const;
};

}  // namespace ketenpoort
