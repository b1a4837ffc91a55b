#pragma once

#include <functional>
#include <optional>

#include "gateway/exchange/exchange_adapters.hpp"
#include "gateway/signals/derived_signals.hpp"

namespace ketenpoort {

// The Belastingdienst/Toeslagen's status message (docs/adapters/toeslagen.md): XML with
// root <toeslagenstatus>. The gateway adds the derived signal itself: overbrugging_nodig
// is true when a huurtoeslag or zorgtoeslag in the message was not granted (status
// toegekend with its besluitdatum) within <signals bridging-after-days> of the BRP
// registration and that time has passed. A value the sender put there is replaced.
class ToeslagenStatusFormat final : public InboundFormat {
 public:
  using TimeSource = std::function<CivilDate()>;
  explicit ToeslagenStatusFormat(SignalThresholds thresholds, TimeSource today = todayUtc)
      : thresholds_(thresholds), today_(std::move(today)) {}
  std::string_view name() const override { return "toeslagen_xml"; }
  std::variant<SourceNode, std::string> decode(const FlowDefinition& flow, std::string_view body) const override;

 private:
  SignalThresholds thresholds_;
  TimeSource today_;
};

// What the Belastingdienst's intake receives (coa.toeslagaanvraag): XML whose root is
// the flow's last name part (<toeslagaanvraag>), with the transaction id and legal basis
// as attributes and only the delivered fields, nested by their canonical paths
// ("gezin.leden[1].voornamen" → <gezin><leden><voornamen>, one <leden> per member).
class ToeslagenXmlFormat final : public OutboundFormat {
 public:
  std::string_view contentType() const override { return "application/xml"; }
  std::string render(const OutboundMessage& message) const override;
};

// One person's toeslagen as the Belastingdienst reports them (the simulator's input).
struct ToeslagStatus {
  std::string applied_on;  // ISO date
  std::string applied_by = "coa-toeslagenservicepunt";
  std::string status = "aangevraagd";
  std::string decided_on;   // ISO date, when toegekend or afgewezen
  std::string advance_eur;  // monthly advance, when toegekend
  std::string starts_on;    // ISO date
  std::string recovered_eur;
};
struct ToeslagenStatusMessage {
  std::string bsn;
  std::string permit_date;        // vergunningdatum
  std::string brp_registered_on;  // brp_inschrijvingsdatum
  std::optional<ToeslagStatus> huurtoeslag;
  std::optional<ToeslagStatus> zorgtoeslag;
};
std::string toeslagenStatusXml(const ToeslagenStatusMessage& message);

// The Belastingdienst's own check of an aanvraag it receives: it needs the person's BSN
// and an account to pay to. Returns "" when it can take it in.
std::string checkToeslagaanvraag(std::string_view body);

inline constexpr const char* kToeslagenFlows[] = {"toeslagen.status"};

}  // namespace ketenpoort
