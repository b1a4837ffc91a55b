#include "adapters/coa_tvs/synthetic_coa.hpp"

#include <array>
#include <chrono>
#include <cstdio>

#include "gateway/calendar/civil_date.hpp"

namespace ketenpoort {

namespace {

constexpr std::array kGivenNames{"Amani", "Karim", "Lina",    "Omar",  "Yara",  "Samir",  "Hana",
                                 "Dawit", "Selam", "Tesfaye", "Meron", "Ahmad", "Fatima", "Yusuf",
                                 "Noor",  "Rahel", "Bilal",   "Aisha", "Olena", "Taras"};
constexpr std::array kFamilyNames{"Haddad", "Al-Khatib", "Tesfamariam", "Gebremedhin", "Rahimi",
                                  "Ahmadi", "Yousef",    "Kovalenko",   "Haile",       "Nasser"};
constexpr std::array kCountries{std::pair{"Syrische", "Syrië"},        std::pair{"Eritrese", "Eritrea"},
                                std::pair{"Afghaanse", "Afghanistan"}, std::pair{"Jemenitische", "Jemen"},
                                std::pair{"Turkse", "Turkije"},        std::pair{"Somalische", "Somalië"}};
constexpr std::array kAzcs{"azc Amsterdam-Zuidoost", "azc Ter Apel",
                           "azc Budel-Cranendonck",  "azc Zweeloo",
                           "azc Den Haag Laakhaven", "azc Utrecht Joseph Haydnlaan"};
constexpr std::array kDiagnoses{"Diabetes mellitus type 2", "Posttraumatische stressklachten", "Hypertensie", "Astma",
                                "Chronische rugklachten"};
constexpr std::array kLevels{"geen", "A0", "A1", "A2"};

template <typename T, std::size_t N>
const T& pick(std::mt19937_64& rng, const std::array<T, N>& items) {
  return items[std::uniform_int_distribution<std::size_t>(0, N - 1)(rng)];
}

int between(std::mt19937_64& rng, int low, int high) { return std::uniform_int_distribution<int>(low, high)(rng); }

std::string dateDaysAgo(int days) {
  const auto today = std::chrono::sys_days(todayUtc());
  return formatIsoDate(CivilDate(today - std::chrono::days(days)));
}

std::string birthDate(std::mt19937_64& rng, int min_age, int max_age) {
  return dateDaysAgo(between(rng, min_age * 365, max_age * 365));
}

}  // namespace

std::string syntheticVnummer(const std::string& bsn) {
  std::uint64_t h = 1469598103934665603ULL;
  for (char c : bsn) h = (h ^ static_cast<unsigned char>(c)) * 1099511628211ULL;
  char out[11];
  std::snprintf(out, sizeof out, "%010llu", static_cast<unsigned long long>(1'000'000'000ULL + h % 9'000'000'000ULL));
  return out;
}

std::string syntheticToeslagaanvraag(const std::string& bsn, const std::string& move_date) {
  return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<toeslagaanvraag>\n"
         "  <persoon><bsn>" +
         bsn +
         "</bsn><voornamen>Amina</voornamen>"
         "<geslachtsnaam>Testpersoon</geslachtsnaam><geboortedatum>1991-04-12</geboortedatum></persoon>\n"
         "  <aanvraag><soort>huurtoeslag</soort><soort>zorgtoeslag</soort></aanvraag>\n"
         "  <woning><adres>Voorbeeldstraat 1</adres><postcode>1011AB</postcode>"
         "<huurcontract_datum>2026-10-01</huurcontract_datum><huur>712.40</huur>"
         "<verhuisdatum>" +
         move_date +
         "</verhuisdatum></woning>\n"
         "  <financien><iban>NL91ABNA0417164300</iban><inkomen>0.00</inkomen></financien>\n"
         "  <medisch><beperking>rolstoelgebonden</beperking></medisch>\n"
         "</toeslagaanvraag>\n";
}

SyntheticCoa::SyntheticCoa(std::uint64_t seed, std::vector<std::string> gemeente_cbs_codes)
    : rng_(seed), gemeenten_(std::move(gemeente_cbs_codes)) {
  if (gemeenten_.empty()) gemeenten_.emplace_back("0363");
}

SyntheticProfile SyntheticCoa::next() {
  SyntheticProfile p;
  ++count_;
  p.bsn = randomSyntheticBsn(rng_);
  p.gemeente_cbs = gemeenten_[std::uniform_int_distribution<std::size_t>(0, gemeenten_.size() - 1)(rng_)];
  p.has_medical = between(rng_, 1, 5) == 1;
  const bool nareiziger = between(rng_, 1, 6) == 1;
  p.flow = nareiziger ? "coa.nareisprofiel" : "coa.klantprofiel";
  const auto& [nationality, country] = pick(rng_, kCountries);
  const std::string given = pick(rng_, kGivenNames);
  const std::string family = pick(rng_, kFamilyNames);
  // Permits from the last two years: all under the Wet inburgering 2021.
  const int permit_days_ago = between(rng_, 20, 700);
  const std::string permit = dateDaysAgo(permit_days_ago);
  const std::string koppeling = dateDaysAgo(permit_days_ago - between(rng_, 7, 19));
  std::string x = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  auto medical = [&] {
    if (!p.has_medical) return std::string();
    return "  <medisch>\n    <diagnose>" + std::string(pick(rng_, kDiagnoses)) +
           "</diagnose>\n    <huisarts>Huisartsenpraktijk " + std::string(pick(rng_, kAzcs)) +
           "</huisarts>\n  </medisch>\n";
  };
  if (nareiziger) {
    x += "<nareisprofiel>\n  <persoon>\n    <bsn>" + p.bsn + "</bsn>\n    <vnummer>" + syntheticVnummer(p.bsn) +
         "</vnummer>\n    <voornamen>" + given + "</voornamen>\n    <geslachtsnaam>" + family +
         "</geslachtsnaam>\n    <geboortedatum>" + birthDate(rng_, 1, 60) + "</geboortedatum>\n    <geslacht>" +
         (between(rng_, 0, 1) ? "v" : "m") + "</geslacht>\n    <nationaliteit>" + nationality +
         "</nationaliteit>\n  </persoon>\n"
         "  <referent>\n    <bsn>" +
         randomSyntheticBsn(rng_) + "</bsn>\n    <relatie>" + (between(rng_, 0, 1) ? "partner" : "kind") +
         "</relatie>\n  </referent>\n" + "  <aankomstdatum>" + dateDaysAgo(between(rng_, 1, 15)) +
         "</aankomstdatum>\n" + "  <vergunningdatum>" + permit +
         "</vergunningdatum>\n  <koppeling>\n    <gemeentecode>" + p.gemeente_cbs + "</gemeentecode>\n    <datum>" +
         koppeling + "</datum>\n  </koppeling>\n" + medical() + "</nareisprofiel>\n";
    p.xml = std::move(x);
    return p;
  }
  x += "<klantprofiel versie=\"" + std::to_string(between(rng_, 1, 4)) + "\">\n  <persoon>\n    <bsn>" + p.bsn +
       "</bsn>\n    <vnummer>" + syntheticVnummer(p.bsn) + "</vnummer>\n    <voornamen>" + given +
       "</voornamen>\n    <geslachtsnaam>" + family + "</geslachtsnaam>\n    <geboortedatum>" +
       birthDate(rng_, 18, 65) + "</geboortedatum>\n    <geslacht>" + (between(rng_, 0, 1) ? "v" : "m") +
       "</geslacht>\n    <nationaliteit>" + nationality + "</nationaliteit>\n    <geboorteland>" + country +
       "</geboorteland>\n  </persoon>\n  <procedure>\n    <vergunningdatum>" + permit +
       "</vergunningdatum>\n    <koppeling>\n      <gemeentecode>" + p.gemeente_cbs + "</gemeentecode>\n      <datum>" +
       koppeling + "</datum>\n    </koppeling>\n  </procedure>\n" + "  <opvang><azc>" + pick(rng_, kAzcs) +
       "</azc></opvang>\n  <casemanager>\n    <naam>" + "Casemanager " + std::to_string(between(rng_, 1, 40)) +
       "</naam>\n    <telefoon>+31 88 7157000" +
       "</telefoon>\n    <email>casemanager@coa.example</email>\n  </casemanager>\n";
  const int household = between(rng_, 1, 7);
  if (household > 1) {
    x += "  <gezin>\n";
    int expected = 0;
    for (int i = 1; i < household; ++i) {
      const bool partner = i == 1 && between(rng_, 0, 3) > 0;
      const bool follows = between(rng_, 1, 4) == 1;
      expected += follows ? 1 : 0;
      x += std::string("    <lid><voornamen>") + pick(rng_, kGivenNames) + "</voornamen><geboortedatum>" +
           (partner ? birthDate(rng_, 18, 60) : birthDate(rng_, 0, 17)) + "</geboortedatum><relatie>" +
           (partner ? "partner" : "kind") + "</relatie><nareiziger>" + (follows ? "true" : "false") +
           "</nareiziger></lid>\n";
    }
    x += "    <verwachte_nareizigers>" + std::to_string(expected) + "</verwachte_nareizigers>\n  </gezin>\n";
  }
  const bool took_part = between(rng_, 0, 4) > 0;
  x += std::string("  <voorinburgering>\n    <deelname>") + (took_part ? "true" : "false") + "</deelname>\n";
  if (took_part) {
    x += "    <nt2_uren>" + std::to_string(between(rng_, 0, 115)) + "</nt2_uren>\n    <knm_gevolgd>" +
         (between(rng_, 0, 1) ? "true" : "false") + "</knm_gevolgd>\n    <taalniveau_indicatie>" + pick(rng_, kLevels) +
         "</taalniveau_indicatie>\n    <activiteit>Taalcafé azc</activiteit>\n";
  }
  x += "  </voorinburgering>\n";
  if (between(rng_, 0, 2) == 0) {
    x += "  <financien>\n    <schuld_coa>" + std::to_string(between(rng_, 10, 400)) +
         ".00</schuld_coa>\n  </financien>\n";
  }
  x += medical();
  if (between(rng_, 0, 1) == 0) {
    x += "  <opmerkingen>Afspraken worden goed nagekomen; graag een warme overdracht.</opmerkingen>\n";
  }
  x += "</klantprofiel>\n";
  p.xml = std::move(x);
  return p;
}

}  // namespace ketenpoort
