#pragma once

#include <cstdint>
#include <iosfwd>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace ketenpoort {

// The one vocabulary of why (issue 26): every error the gateway answers, every reason it
// refuses an exchange or withholds a field, and every reason the log gives for a record
// of its own. Policy, store, outbox, delivery, problem+json, the log and the console all
// speak it; each reason has one entry in the catalogue (reason.cpp): its stable name (the
// `code` of problem+json, the reason stored in the log), its HTTP status when it is an
// answer, its title and its words in plain Dutch for the console. docs/api/problems.md
// documents the answers; a unit test holds the two to each other.
enum class Reason : std::uint8_t {
  // --- answers (problem+json) ---
  // HTTP and identity, before any route
  kBadRequest,
  kDuplicateHeader,
  kNotFound,
  kMethodNotAllowed,
  kPayloadTooLarge,
  kHeaderTooLarge,
  kInvalidClientCertificate,
  kUnknownParty,
  kTestPartyRefused,
  kRoleNotAllowed,
  // the request itself
  kInvalidQuery,
  kBsnInUrl,
  kFormNotTrusted,
  kCrossSiteRequest,
  kUnsupportedMediaType,
  kInvalidTransactionId,
  kTransactionInProgress,
  // refusals: the policy engine's reasons (and the exchange's own), logged as refused
  kInvalidMessage,
  kTransactionConflict,
  kIdentityConflict,
  kFlowNotAllowed,
  kPurposeMismatch,
  kNoKoppeling,
  kLawRegime,
  kNoAgreement,
  kNoConsent,
  kKoppelingConflict,
  // a source system asked on the caller's behalf, logged as failed
  kSubjectUnknown,
  kSourceUnreachable,
  kSourceInvalidAnswer,
  kSourceTimeout,
  // the gateway itself
  kLogUnavailable,
  kInternalError,  // the last answer (the catalogue's answers end here)

  // --- never an answer ---
  // why a field was withheld (kNoConsent too)
  kNotPermitted,
  kSpecialCategory,
  kNotMapped,
  // a change declined in its record's transaction: the transaction id is logged already
  kTransactionKnown,
  // a queued message when it leaves, or could not
  kBasisWithdrawnConsent,
  kBasisWithdrawnAgreement,
  kBasisWithdrawnKoppeling,
  kBasisEndedDuringDeliveryConsent,
  kBasisEndedDuringDeliveryAgreement,
  kBasisEndedDuringDeliveryKoppeling,
  kRecipientFailed,        // the recipient's endpoint failed or answered an error status
  kPayloadMissing,         // the outbox holds no body for the entry: it cannot be delivered
  kRecipientEndpointGone,  // the configuration no longer holds the recipient's endpoint
  // the log's records of the gateway's own work
  kAuditQuery,
  kConsentGranted,
  kConsentWithdrawn,
  kAgreementRegistered,
  kAgreementEnded,
  kKoppelingRegistered,
  kRegistryHistoryPurged,
  kRetentionEnded,
};

struct ReasonType {
  Reason reason;
  std::string_view name;   // "flow-not-allowed"
  unsigned status;         // the HTTP status when it is an answer; 0 when it never is
  std::string_view title;  // for developers, in English
  std::string_view dutch;  // for the officer and the person, plain Dutch (B1)
};

// The whole catalogue, in the enum's order.
std::span<const ReasonType> reasonCatalogue();
const ReasonType& reasonType(Reason reason);
inline std::string_view reasonName(Reason reason) { return reasonType(reason).name; }
// The reason by its stable name, for reading back what the log stored; nullopt for a
// name the catalogue lacks. Never used to decide on the request or delivery path.
std::optional<Reason> reasonNamed(std::string_view name);
// Its name, for test output and tools.
std::ostream& operator<<(std::ostream& out, Reason reason);

// A reason and, for people, the detail of this case (never a BSN or text taken from a
// message). On the request path it is what the caller hears (problem+json).
struct Problem {
  Reason code = Reason::kInternalError;
  std::string detail;

  unsigned status() const { return reasonType(code).status; }
  std::string_view name() const { return reasonType(code).name; }
};

// The result of a step: its value, or the problem. Steps return it; exceptions are for
// start-up and bugs only.
template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : outcome_(std::in_place_index<0>, std::move(value)) {}            // NOLINT: implicit by design
  Result(Problem problem) : outcome_(std::in_place_index<1>, std::move(problem)) {}  // NOLINT

  bool ok() const { return outcome_.index() == 0; }
  T& value() { return std::get<0>(outcome_); }
  const T& value() const { return std::get<0>(outcome_); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() { return value(); }
  const T& operator*() const { return value(); }
  const Problem& problem() const { return std::get<1>(outcome_); }

 private:
  std::variant<T, Problem> outcome_;
};

}  // namespace ketenpoort
