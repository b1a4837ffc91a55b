#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "gateway/config/gateway_config.hpp"
#include "gateway/mapping/record_mapper.hpp"
#include "gateway/policy/registries.hpp"

namespace ketenpoort {

// Stable reason codes. An exchange is refused with exactly one of the first group; a
// field is withheld with one of the second.
namespace reasons {
inline constexpr std::string_view kFlowNotAllowed = "flow-not-allowed";
inline constexpr std::string_view kPurposeMismatch = "purpose-mismatch";
inline constexpr std::string_view kInvalidMessage = "invalid-message";
inline constexpr std::string_view kNoAgreement = "no-agreement";
inline constexpr std::string_view kLawRegime = "law-regime";
inline constexpr std::string_view kNoKoppeling = "no-koppeling";
inline constexpr std::string_view kNoConsent = "no-consent";
// A herkoppeling dated before the start of the koppeling in force: it would leave two
// koppelingen open, or rewrite the past (issue 25).
inline constexpr std::string_view kKoppelingConflict = "koppeling-conflict";
// The message's identifiers (BSN, V-nummer) are linked to different persons.
inline constexpr std::string_view kIdentityConflict = "identity-conflict";
// Not the policy's but the exchange's: a transaction id re-used by another sender or for
// another request.
inline constexpr std::string_view kTransactionConflict = "transaction-conflict";

inline constexpr std::string_view kNotPermitted = "not-permitted";
inline constexpr std::string_view kSpecialCategory = "special-category";
inline constexpr std::string_view kNotMapped = "not-mapped";
// kNoConsent also withholds a field that needs consent when there is none.
}  // namespace reasons

struct PolicyRequest {
  const Party& caller;     // the authenticated party (the sender; for a query, the asker)
  const FlowDefinition& flow;
  std::string_view stated_purpose;  // the X-Doelbinding header
  const MappingOutcome& mapped;
  const Party& recipient;
  CivilDate date;
};

// A decision refers into the MappingOutcome it was made from (paths and delivered values
// are not copied); keep that outcome alive as long as the decision is used.
struct FieldDecision {
  std::string_view path;                    // canonical path, or the source path if unmapped
  const FieldDefinition* field = nullptr;   // null for unmapped source content
  bool delivered = false;
  std::string_view reason;                  // empty when delivered
};

struct PolicyDecision {
  bool allowed = false;
  std::string_view reason;  // empty when allowed
  std::string detail;       // for people; names fields and rules, never values
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
  std::vector<FieldDecision> fields;             // every value and unmapped path, when allowed
  std::vector<const CanonicalValue*> delivered;  // only what may pass, in document order
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
  PolicyDecision mayAsk(const Party& caller, const FlowDefinition& flow,
                        std::string_view stated_purpose, const std::string& subject_value,
                        const CivilDate& date) const;

 private:
  enum class Stage { kBeforeFetch, kDocument };
  PolicyDecision decide(const PolicyRequest& request, Stage stage) const;

  Registries registries_;
};

}  // namespace ketenpoort
