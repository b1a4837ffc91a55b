#include "gateway/console/plain_dutch.hpp"

#include <array>
#include <charconv>
#include <utility>

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

std::string refusalReason(std::string_view code) {
  static constexpr std::array<Entry, 25> kTexts{{
      {"flow-not-allowed", "deze organisatie mag dit soort bericht niet sturen of ontvangen"},
      {"purpose-mismatch", "het opgegeven doel past niet bij dit bericht"},
      {"invalid-message", "het bericht was niet volledig of niet juist"},
      {"no-agreement", "er was geen geldige overeenkomst tussen de organisaties"},
      {"law-regime", "voor deze persoon geldt de oude wet (Wet inburgering 2013): er is geen grondslag"},
      {"no-koppeling", "de persoon is niet aan deze gemeente gekoppeld"},
      {"no-consent", "er was geen geldige toestemming van de persoon"},
      {"transaction-conflict", "het berichtnummer hoorde al bij een ander bericht"},
      {"identity-conflict", "de nummers in het bericht hoorden bij verschillende personen"},
      {"subject-unknown", "de bron kende deze persoon niet"},
      {"source-unreachable", "de bron was niet bereikbaar"},
      {"source-invalid-answer", "het antwoord van de bron was niet bruikbaar"},
      {"source-timeout", "de bron antwoordde niet op tijd"},
      {"log-unavailable", "het logboek kon niet worden geschreven"},
      {"audit-query", "raadpleging door de functionaris gegevensbescherming"},
      {"internal-error", "een fout in de gateway"},
      {"koppeling-conflict", "de herkoppeling lag vóór het begin van de koppeling die gold: er veranderde niets"},
      {"agreement-ended", "de overeenkomst is beëindigd: ze staat niet meer in de configuratie"},
      {"retention-ended", "records verwijderd na hun bewaartermijn"},
      {"basis-withdrawn:consent", "niet afgeleverd: de toestemming verviel voordat het bericht vertrok"},
      {"basis-withdrawn:agreement", "niet afgeleverd: de overeenkomst eindigde voordat het bericht vertrok"},
      {"basis-withdrawn:koppeling", "niet afgeleverd: de persoon werd intussen aan een andere gemeente gekoppeld"},
      {"basis-ended-during-delivery:consent", "afgeleverd, maar de toestemming verviel terwijl het bericht onderweg was"},
      {"basis-ended-during-delivery:agreement",
       "afgeleverd, maar de overeenkomst eindigde terwijl het bericht onderweg was"},
      {"basis-ended-during-delivery:koppeling",
       "afgeleverd, maar de persoon werd intussen aan een andere gemeente gekoppeld"},
  }};
  return lookup(kTexts, code);
}

std::string withheldReason(std::string_view code) {
  static constexpr std::array<Entry, 4> kTexts{{
      {"not-permitted", "de ontvanger heeft dit gegeven niet nodig voor het doel"},
      {"special-category", "bijzonder persoonsgegeven (zoals gezondheid): wordt nooit doorgegeven"},
      {"no-consent", "mag alleen met toestemming, en die was er niet"},
      {"not-mapped", "geen bekend gegeven voor dit doel: niet doorgegeven"},
  }};
  return lookup(kTexts, code);
}

std::string purpose(std::string_view purpose_id) {
  static constexpr std::array<Entry, 5> kTexts{{
      {"bewaartermijn", "het verwijderen van gegevens na hun bewaartermijn"},
      {"regie-inburgering", "de regie van de gemeente over de inburgering (brede intake en het plan inburgering en participatie)"},
      {"elip", "het signaal dat de lening of de tijd voor inburgering bijna op is (ELIP)"},
      {"ontzorgen", "het ontzorgen: de gemeente betaalt in het begin de vaste lasten"},
      {"toeslagaanvraag", "het aanvragen van huurtoeslag en zorgtoeslag"},
  }};
  return lookup(kTexts, purpose_id);
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

std::string consentStatus(std::string_view status) {
  static constexpr std::array<Entry, 4> kTexts{{{"active", "geldig"},
                                                {"expired", "verlopen"},
                                                {"withdrawn", "ingetrokken"},
                                                {"not-yet-active", "nog niet ingegaan"}}};
  return lookup(kTexts, status);
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
  static constexpr std::array<std::string_view, 12> kMonths{"januari", "februari", "maart",     "april",
                                                            "mei",     "juni",     "juli",      "augustus",
                                                            "september", "oktober", "november", "december"};
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
