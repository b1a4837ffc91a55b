#pragma once

#include <string>
#include <string_view>

#include "gateway/mapping/flow_definition.hpp"
#include "gateway/store/store_transaction.hpp"

namespace ketenpoort::plain_dutch {

// The console's words for the log's codes, in plain Dutch (B1). A code the console does
// not know is shown as it is: never hidden.
std::string outcome(std::string_view code);  // delivered, queued, refused, failed
// A reason the log stored (a refusal's, a withheld field's, a record of the gateway's
// own), in the vocabulary's Dutch words (gateway/vocabulary).
std::string reason(std::string_view code);
// A purpose as the mappings say it in Dutch (<purpose nl>); the gateway's own purposes
// (bewaartermijn) are Dutch words already and shown as they are.
std::string purpose(const MappingCatalogue& catalogue, std::string_view purpose_id);
std::string deliveryState(std::string_view state);  // pending, postbus, delivered, …
// A step of a delivery into a case system (zaak, rol, document_l, …), and the reference
// it left ("linked-before": the case system had it already).
std::string channelStep(std::string_view step);
std::string channelReference(std::string_view reference);
std::string consentStatus(ConsentStatus status);
// "persoon.geboortedatum" → "geboortedatum (persoon)"; repeated groups folded.
std::string fieldLabel(std::string_view field);
// "2026-11-22T15:04:05.123Z" → "22 november 2026, 15:04 (UTC)"; "2026-11-22" → "22 november 2026".
std::string dateTime(std::string_view text);

}  // namespace ketenpoort::plain_dutch
