#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "gateway/config/gateway_config.hpp"
#include "gateway/mapping/record_mapper.hpp"
#include "gateway/policy/registries.hpp"
#include "gateway/vocabulary/reason.hpp"

namespace ketenpoort {

struct PolicyRequest {
  const Party& caller;  // the authenticated party (the sender; for a query, the asker)
  const FlowDefinition& flow;
  std::string_view stated_purpose;  // the X-Doelbinding header
  const MappingOutcome& mapped;
  const Party& recipient;
  CivilDate date;
};

// A decision refers into the MappingOutcome it was made from (paths and delivered values
// are not copied); keep that outcome alive as long as the decision is used.
struct FieldDecision {
  std::string_view path;                   // canonical path, or the source path if unmapped
  const FieldDefinition* field = nullptr;  // null for unmapped source content
  bool delivered = false;
  std::optional<Reason> reason;  // why it was withheld; none when delivered
};

struct PolicyDecision {
  bool allowed = false;
  Reason reason = Reason::kInternalError;  // why not, when not allowed
  std::string detail;                      // for people; names fields and rules, never values
  std::optional<SubjectKey> subject;
  std::optional<std::string> agreement_id;
  std::optional<std::string> consent_id;
  // For flows whose record names the gemeente: the koppeling the registry already held
  // (nullopt: none yet, so this exchange teaches it).
  std::optional<std::string> registered_koppeling;
  // For a herkoppeling (koppeling="move"): the gemeente and the day the person's koppeling
  // moves to (written with its record).
  std::optional<KoppelingInForce> moved_koppeling;
  // The record names a BSN and a V-nummer the registry has not linked yet: this exchange
  // links them (written with its record).
  std::optional<std::pair<std::string, std::string>> identity_link;  // BSN, V-nummer
  std::vector<FieldDecision> fields;                                 // every value and unmapped path, when allowed
  std::vector<const CanonicalValue*> delivered;                      // only what may pass, in document order
  CivilDate retention_until;
};

// Who a record is about: the first of the flow's subject fields present in it.
std::optional<SubjectKey> subjectOf(const FlowDefinition& flow, const CanonicalRecord& record);
// Every identifier the record gives for its subject, first as subjectOf.
std::vector<SubjectKey> subjectIdentifiers(const FlowDefinition& flow, const CanonicalRecord& record);

// Decides, deny by default, whether an exchange may happen and which fields pass.
// No network and no disk: everything it needs comes in the request and the registries.
class PolicyEngine {
 public:
  explicit PolicyEngine(Registries registries) : registries_(registries) {}

  PolicyDecision decide(const PolicyRequest& request) const;

  // For a query, before the source system is asked: everything that can be decided from
  // who asks, why, and about whom (flow, purpose, agreement, koppeling in the registry,
  // consent the flow needs). The law regime and the fields are decided on the answer.
  // `subject_value` is a valid BSN (or V-nummer, as the flow's subject field says).
  PolicyDecision mayAsk(const Party& caller, const FlowDefinition& flow, std::string_view stated_purpose,
                        const std::string& subject_value, const CivilDate& date) const;

 private:
  enum class Stage { kBeforeFetch, kDocument };
  PolicyDecision decide(const PolicyRequest& request, Stage stage) const;

  Registries registries_;
};

}  // namespace ketenpoort
