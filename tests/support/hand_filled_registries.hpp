#pragma once

#include <optional>
#include <string>
#include <utility>

#include "gateway/store/registry_snapshot.hpp"

namespace ketenpoort {

// Registries a test, benchmark or fuzzer fills by hand: the store's own snapshot and its
// reads (SnapshotRegistries), without a database or a log, so a decision here reads the
// rules exactly as the gateway's do.
class HandFilledRegistries final : public SnapshotRegistries {
 public:
  struct Koppeling {
    SubjectKey subject;
    std::string gemeente_cbs_code;
    CivilDate from;
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

  HandFilledRegistries() : SnapshotRegistries(testReferencer()) { snapshot_.replace({}); }

  void addKoppeling(const Koppeling& k) {
    add(RegistrySnapshot::koppelingRecorded({reference(k.subject), k.gemeente_cbs_code, k.from, "test"}));
  }
  void addAgreement(const AgreementEntry& a) { add(RegistrySnapshot::agreementUpserted(a)); }
  void addConsent(const Consent& c) {
    const auto text = [](const std::optional<CivilDate>& d) { return d ? formatIsoDate(*d) : std::string(); };
    add(RegistrySnapshot::consentInserted({c.id, reference(c.subject), c.purpose_id, c.recipient.str(), "test",
                                           formatIsoDate(c.granted), text(c.expires), text(c.withdrawn)}));
  }

 protected:
  const RegistrySnapshot& current() const override { return snapshot_; }

 private:
  static const SubjectReferencer& testReferencer() {
    static const SubjectReferencer referencer(std::string(SubjectReferencer::kKeyBytes, 'k'));
    return referencer;
  }
  std::string reference(const SubjectKey& subject) const { return referencer_.reference(subject); }
  void add(const RegistrySnapshot::Change& change) {
    const std::uint64_t at = snapshot_.version();
    snapshot_.apply(at, at + 1, {change});
  }

  RegistrySnapshot snapshot_;
};

}  // namespace ketenpoort
