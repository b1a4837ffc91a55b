#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "gateway/calendar/civil_date.hpp"

namespace ketenpoort {

enum class ExchangeOutcome { kDelivered, kQueued, kRefused, kFailed };
std::string_view toString(ExchangeOutcome outcome);

struct WithheldField {
  std::string field;   // canonical path or source path; a name, never a value
  std::string reason;  // not-permitted, special-category, no-consent, not-mapped
};

// One exchange, as the privacy officer sees it. Holds references, never message bodies
// and never a plain BSN: the subject is `subject_ref`, a keyed hash.
struct ExchangeRecord {
  std::string transaction_id;  // UUID, lower case (canonicalUuid)
  std::string trace_id;        // W3C trace id
  std::string time_utc;        // 2026-11-22T15:04:05.123Z
  std::string flow;
  std::string sender_oin;
  std::string recipient_oin;
  std::string purpose;
  std::string legal_basis;
  std::string consent_id;    // when a consent was used
  std::string agreement_id;  // when an agreement was used
  std::string subject_ref;   // HMAC-SHA256 of the subject's BSN/V-nummer, hex
  std::vector<std::string> fields_delivered;
  std::vector<WithheldField> fields_withheld;
  ExchangeOutcome outcome = ExchangeOutcome::kRefused;
  std::string reason;           // stable code; empty when delivered or queued
  std::string payload_sha256;   // of what left the gateway; empty when nothing did
  std::string retention_until;  // YYYY-MM-DD
  // The span id of the sender's operation when its request carried a W3C traceparent
  // (16 hex): LDV's parent span and foreign operation. Empty otherwise.
  std::string foreign_span_id;
  // Where the recipient takes the message besides an endpoint or its postbus, known when
  // it is queued: "zgw KTP-<32 hex>", the identificatie of the zaak it becomes in the
  // gemeente's case system (its documents add -L and -J; ADR 0028). Never personal data.
  // Empty otherwise.
  std::string delivered_into;
  // SHA-256 of what the sender asked (flow, purpose, named recipient, body): a re-sent
  // transaction id is a replay only when this matches. Empty for exchanges no party sent.
  std::string request_sha256;
  // Not stored: true when `subject_ref` is already a log record's filed reference (an
  // officer's view of that very record). The log keeps it as it is instead of keying it
  // again, so the view is found by the person's BSN like the record it looked at.
  bool subject_ref_filed = false;
};

// The gateway's own records (registry changes, recorded audit queries) use these flow
// names beside the catalogue's.
namespace internal_flows {
inline constexpr std::string_view kConsent = "ketenpoort.consent";
inline constexpr std::string_view kAgreement = "ketenpoort.agreement";
inline constexpr std::string_view kKoppeling = "ketenpoort.koppeling";
inline constexpr std::string_view kAuditQuery = "ketenpoort.audit-query";
inline constexpr std::string_view kRegistryHistory = "ketenpoort.registry-history";
// A purge's own record in the chain: what it removed, as of when (issue 25).
inline constexpr std::string_view kPurge = "ketenpoort.purge";
inline constexpr std::string_view kAll[] = {kConsent, kAgreement, kKoppeling, kAuditQuery, kRegistryHistory, kPurge};
}  // namespace internal_flows

// Written by the log on append.
struct ChainPosition {
  std::uint64_t sequence = 0;
  std::string record_hash;  // 32 bytes
};

}  // namespace ketenpoort
