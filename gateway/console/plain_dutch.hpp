#pragma once

#include <string>
#include <string_view>

namespace ketenpoort::plain_dutch {

// The console's words for the log's codes, in plain Dutch (B1). A code the console does
// not know is shown as it is: never hidden.
std::string outcome(std::string_view code);               // delivered, queued, refused, failed
std::string refusalReason(std::string_view code);         // a problem code
std::string withheldReason(std::string_view code);        // not-permitted, special-category, …
std::string purpose(std::string_view purpose_id);         // regie-inburgering, …
std::string deliveryState(std::string_view state);        // pending, postbus, delivered, …
std::string consentStatus(std::string_view status);       // active, expired, withdrawn, not-yet-active
// "persoon.geboortedatum" → "geboortedatum (persoon)"; repeated groups folded.
std::string fieldLabel(std::string_view field);
// "2026-11-22T15:04:05.123Z" → "22 november 2026, 15:04 (UTC)"; "2026-11-22" → "22 november 2026".
std::string dateTime(std::string_view text);

}  // namespace ketenpoort::plain_dutch
