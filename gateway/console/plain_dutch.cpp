#include "gateway/console/plain_dutch.hpp"

#include <array>
#include <charconv>
#include <optional>
#include <utility>

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

std::string dateTime(std::string_view text) {
  static constexpr std::array<std::string_view, 12> kMonths{"januari",   "februari", "maart",    "april",
                                                            "mei",       "juni",     "juli",     "augustus",
                                                            "september", "oktober",  "november", "december"};
  int year = 0;
  int month = 0;
  int day = 0;
  const auto number = [&text](std::size_t at, std::size_t length, int& out) {
    if (text.size() < at + length) return false;
    const auto [end, ec] = std::from_chars(text.data() + at, text.data() + at + length, out);
    return ec == std::errc() && end == text.data() + at + length;
  };
  if (!number(0, 4, year) || !number(5, 2, month) || !number(8, 2, day) || month < 1 || month > 12) {
    return std::string(text);
  }
  std::string out = std::to_string(day) + " " + std::string(kMonths[static_cast<std::size_t>(month - 1)]) + " " +
                    std::to_string(year);
  if (text.size() >= 16 && text[10] == 'T') out += ", " + std::string(text.substr(11, 5)) + " uur (UTC)";
  return out;
}

}  // namespace ketenpoort::plain_dutch
