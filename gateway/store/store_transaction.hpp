#pragma once

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

#include "gateway/calendar/civil_date.hpp"
#include "gateway/store/outbox.hpp"
#include "gateway/vocabulary/reason.hpp"

namespace ketenpoort {

// A koppeling as the registry keeps it: a keyed hash of the person, never the number.
struct KoppelingEntry {
  std::string subject_ref;
  std::string gemeente_cbs_code;
  CivilDate valid_from;
  std::string source_transaction_id;  // the exchange that taught it
};

// A BSN and a V-nummer of one person, as keyed hashes.
struct IdentityLinkEntry {
  std::string bsn_ref;
  std::string vnummer_ref;
  std::string source_transaction_id;  // the exchange that carried both
};

enum class ConsentStatus { kActive, kExpired, kWithdrawn, kNotYetActive };
std::string_view toString(ConsentStatus status);  // active, expired, withdrawn, not-yet-active

struct ConsentEntry {
  std::string id;
  std::string subject_ref;
  std::string purpose_id;
  std::string recipient_oin;
  std::string evidence_ref;  // where the signed consent is kept (document id, not the document)
  std::string granted;
  std::string expires;    // "" when open-ended
  std::string withdrawn;  // "" when not withdrawn

  ConsentStatus statusOn(const CivilDate& date) const;
};

// What a change (StoreChange) says of its record: nullopt, write it (kApplied); a reason,
// decline it (e.g. kTransactionKnown: the exchange's transaction id is logged already, the
// caller answers from the first exchange). A value, not an exception: declining is an
// expected outcome; errors of the database still throw.
using ChangeVerdict = std::optional<Reason>;
inline constexpr ChangeVerdict kApplied = std::nullopt;

struct AgreementEntry {
  std::string id;
  std::string party_id;
  std::string purpose_id;
  std::string gemeente_cbs_code;
  CivilDate valid_from;
  CivilDate valid_until;  // inclusive
  std::string document_ref;

  bool operator==(const AgreementEntry&) const = default;
};

// What a purge of the registries' history removed (ADR 0020).
struct RegistryHistoryRemoved {
  std::uint64_t koppelingen = 0;
  std::uint64_t consents = 0;
};

// The writes a store can do inside the transaction of one exchange-log record (see
// StoreChange). Each throws std::runtime_error when the change is not allowed, which
// refuses that record; the store rolls the change back.
class StoreTransaction {
 public:
  virtual ~StoreTransaction() = default;

  // Whether an exchange with this transaction id is logged already (committed, or earlier
  // in this transaction). Asked by the one writer, so two pushes of one id cannot both
  // pass it.
  virtual bool exchangeLogged(const std::string& transaction_id) = 0;

  // A new koppeling ends the one in force for that person (under any of the person's
  // linked references) on its day, so history stays queryable and at most one koppeling
  // per person is open (a unique index per reference holds the stores to it). Declines
  // with kKoppelingConflict, changing nothing, when the new one is dated before the open
  // one's start (issue 25).
  [[nodiscard]] virtual ChangeVerdict recordKoppeling(const KoppelingEntry& koppeling) = 0;
  virtual void insertConsent(const ConsentEntry& consent) = 0;
  // Throws when there is no such consent or it is withdrawn already.
  virtual void withdrawConsent(const std::string& consent_id, const CivilDate& date) = 0;
  virtual void upsertAgreement(const AgreementEntry& agreement) = 0;
  // Throws when either number is linked to another already.
  virtual void linkIdentities(const IdentityLinkEntry& link) = 0;
  // Removes what ended before `ended_before`: koppelingen a later one ended, consents
  // withdrawn or expired. What is in force stays, and so do agreements (no personal data)
  // and identity links (they do not end).
  virtual RegistryHistoryRemoved removeRegistryHistory(const CivilDate& ended_before) = 0;
  // The entry and the body to deliver. Throws when an entry or a body with that
  // transaction id exists already: a message is queued once, however often it is pushed,
  // and a body is never overwritten.
  virtual void enqueueDelivery(const OutboxEntry& entry, std::string_view body) = 0;
  // The entry's basis is gone: it leaves the outbox's waiting states for `withdrawn`, and
  // its body goes. Throws when it is not waiting (delivered or acknowledged meanwhile).
  virtual void withdrawDelivery(const std::string& transaction_id, Reason reason) = 0;
};

}  // namespace ketenpoort
