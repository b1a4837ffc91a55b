#include "gateway/console/plain_dutch.hpp"

#include <array>
#include <charconv>
#include <optional>
#include <utility>

#include "gateway/calendar/civil_date.hpp"
#include "gateway/vocabulary/enum_names.hpp"
#include "gateway/vocabulary/reason.hpp"

namespace ketenpoort::plain_dutch {

namespace {

using Entry = std::pair<std::string_view, std::string_view>;

template <std::size_t N>
std::string lookup(const std::array<Entry, N>& table, std::string_view code) {
  for (const auto& [key, text] : table) {
    if (key == code) return std::string(text);
  }
  return std::string(code);
}

}  // namespace

std::string outcome(std::string_view code) {
  static constexpr std::array<Entry, 4> kTexts{{{"delivered", "doorgegeven"},
                                                {"queued", "aangenomen, wordt doorgegeven"},
                                                {"refused", "geweigerd"},
                                                {"failed", "mislukt"}}};
  return lookup(kTexts, code);
}

std::string reason(std::string_view code) {
  const std::optional<Reason> known = reasonNamed(code);
  return known ? std::string(reasonType(*known).dutch) : std::string(code);
}

std::string purpose(const MappingCatalogue& catalogue, std::string_view purpose_id) {
  const std::string* said = catalogue.purposeInDutch(purpose_id);
  return said ? *said : std::string(purpose_id);
}

std::string deliveryState(std::string_view state) {
  static constexpr std::array<Entry, 5> kTexts{{
      {"pending", "wacht op een (nieuwe) poging"},
      {"postbus", "ligt klaar in de postbus van de ontvanger"},
      {"delivered", "afgeleverd"},
      {"dead-letter", "niet af te leveren: de beheerder moet ingrijpen"},
      {"withdrawn", "ingetrokken: de grondslag verviel voordat het bericht vertrok"},
  }};
  return lookup(kTexts, state);
}

std::string channelStep(std::string_view step) {
  static constexpr std::array<Entry, 6> kTexts{{
      {"zaak", "zaak"},
      {"rol", "de persoon als betrokkene"},
      {"document_l", "leesbaar document"},
      {"document_j", "gegevens (JSON)"},
      {"link_l", "leesbaar document bij de zaak"},
      {"link_j", "gegevens bij de zaak"},
  }};
  return lookup(kTexts, step);
}

std::string channelReference(std::string_view reference) {
  return reference == "linked-before" ? "stond al bij de zaak" : std::string(reference);
}

std::string consentStatus(ConsentStatus status) {
  constexpr std::array<EnumName<ConsentStatus>, 4> kTexts{{{ConsentStatus::kActive, "geldig"},
                                                           {ConsentStatus::kExpired, "verlopen"},
                                                           {ConsentStatus::kWithdrawn, "ingetrokken"},
                                                           {ConsentStatus::kNotYetActive, "nog niet ingegaan"}}};
  return std::string(nameIn(kTexts, status));
}

std::string fieldLabel(std::string_view field) {
  std::string folded;
  for (std::size_t i = 0; i < field.size(); ++i) {
    if (field[i] == '[') {
      while (i < field.size() && field[i] != ']') ++i;
      continue;
    }
    folded += field[i];
  }
  const auto dot = folded.rfind('.');
  const auto slash = folded.rfind('/');
  if (dot == std::string::npos || (slash != std::string::npos && slash > dot)) return folded;  // a source path
  std::string name = folded.substr(dot + 1);
  for (char& c : name) {
    if (c == '_') c = ' ';
  }
  return name + " (" + folded.substr(0, dot) + ")";
}

std::string dateTime(std::string_view text) { return dutchDateTime(text); }

}  // namespace ketenpoort::plain_dutch
