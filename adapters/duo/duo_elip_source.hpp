#pragma once

#include "gateway/exchange/exchange_adapters.hpp"

namespace ketenpoort {

// DUO as the source of ELIP signals: a person's duo.inburgeringsstatus record gives the
// obligation, the loan and the termijn with its extensions; a candidate becomes a
// duo.elip-signaal document (mappings/flows/duo.elip-signaal.xml maps it).
class DuoElipSource final : public ElipSignalSource {
 public:
  std::string_view signalFlow() const override { return "duo.elip-signaal"; }
  std::string_view personFlow() const override { return "duo.inburgeringsstatus"; }
  std::optional<Person> person(const CanonicalRecord& record) const override;
  SourceNode signalDocument(const std::string& signal_root, const SubjectKey& subject, const Person& person,
                            const ElipAssessment& assessment) const override;
};

}  // namespace ketenpoort
