#include "adapters/duo/duo_elip_source.hpp"

#include <charconv>

namespace ketenpoort {

namespace {

const std::string* valueOf(const CanonicalRecord& record, std::string_view path) {
  for (const CanonicalValue& v : record.values) {
    if (v.path == path) return &v.value;
  }
  return nullptr;
}

}  // namespace

std::optional<ElipSignalSource::Person> DuoElipSource::person(const CanonicalRecord& record) const {
  const std::string* law = valueOf(record, "procedure.wet");
  const std::string* status = valueOf(record, "duo.status");
  const std::string* max = valueOf(record, "duo.lening.maximum_eur");
  const std::string* used = valueOf(record, "duo.lening.besteed_eur");
  const std::string* end = valueOf(record, "duo.termijn.einde");
  if (!law || !status || !max || !used || !end) return std::nullopt;
  const auto max_cents = parseEuroCents(*max);
  const auto used_cents = parseEuroCents(*used);
  const auto termijn_end = parseIsoDate(*end);
  if (!max_cents || !used_cents || !termijn_end) return std::nullopt;
  Person p;
  p.law_regime = *law;
  p.wi2021 = *law == "wi2021";
  const std::string* exemption = valueOf(record, "duo.ontheffing.verleend");
  p.input.obligation_met = *status != "plichtig" || (exemption && *exemption == "true");
  p.input.loan_max_cents = *max_cents;
  p.input.loan_used_cents = *used_cents;
  p.input.termijn_end = *termijn_end;
  for (const CanonicalValue& v : record.values) {
    if (v.field && v.field->id == "duo.termijn.verlengingen[].maanden") {
      int months = 0;
      const auto [rest, error] = std::from_chars(v.value.data(), v.value.data() + v.value.size(), months);
      // The mapping typed it as an integer already; anything else makes the record unreadable.
      if (error != std::errc() || rest != v.value.data() + v.value.size()) return std::nullopt;
      p.input.extensions.push_back({months, {}});
    }
  }
  return p;
}

SourceNode DuoElipSource::signalDocument(const std::string& signal_root, const SubjectKey& subject,
                                         const Person& person, const ElipAssessment& a) const {
  SourceNode document{signal_root, {}, {}};
  document.children = {{"bsn", subject.value, {}},
                       {"wet", person.law_regime, {}},
                       {"kandidaat", "true", {}},
                       {"lening_percentage", formatHundredths(a.loan_basis_points), {}},
                       {"termijn_einde", formatIsoDate(a.deadline), {}},
                       {"maanden_resterend", std::to_string(a.months_left), {}}};
  return document;
}

}  // namespace ketenpoort
