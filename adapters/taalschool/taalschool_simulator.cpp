#include "adapters/taalschool/taalschool_simulator.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

namespace ketenpoort {

std::string elipAanmeldingJson(const TaalschoolPupil& p) {
  boost::json::object o{
      {"bsn", p.bsn},
      {"route", p.route},
      {"plan_van_aanpak", p.route == "inburgering"
                              ? "Intensief B1-traject, 12 uur per week, examens lezen en spreken"
                              : "Aantonen van voldoende inspanning; aanvraag ontheffing voorbereiden"},
      {"nog_nodig", "examens lezen, spreken"},
      {"uren_gevolgd", p.hours_followed},
      {"lening_besteed_eur", p.loan_used_eur}};
  if (!p.remarks.empty()) o["opmerkingen"] = p.remarks;
  return boost::json::serialize(o);
}

std::string aanwezigheidJson(const TaalschoolPupil& p, const CivilDate& start, const CivilDate& end) {
  boost::json::object o{{"bsn", p.bsn},
                        {"periode", {{"start", formatIsoDate(start)}, {"einde", formatIsoDate(end)}}},
                        {"lessen_gepland", p.lessons_planned},
                        {"lessen_bijgewoond", p.lessons_attended}};
  if (!p.remarks.empty()) o["opmerkingen"] = p.remarks;
  return boost::json::serialize(o);
}

std::vector<TaalschoolPush> runTaalschoolSimulator(const TaalschoolSimulatorOptions& options) {
  HttpsClient client(options.gateway);
  std::vector<std::pair<std::string, std::string>> headers{{"Content-Type", "application/json"},
                                                           {"X-Doelbinding", "elip"}};
  if (!options.gemeente.empty()) headers.emplace_back("X-Ontvanger", options.gemeente);
  std::vector<TaalschoolPush> pushes;
  const auto push = [&](const std::string& flow, const std::string& body) {
    TaalschoolPush p{flow, 0, {}};
    const auto result = client.request("POST", "/v1/berichten/" + flow, headers, body);
    if (const auto* error = std::get_if<std::string>(&result)) {
      p.code = *error;
    } else {
      const auto& response = std::get<HttpsResponse>(result);
      p.status = response.status;
      boost::system::error_code ec;
      const auto json = boost::json::parse(response.body, ec);
      if (!ec && json.is_object() && json.as_object().contains("code") && json.at("code").is_string()) {
        p.code = std::string(json.at("code").as_string());
      }
    }
    pushes.push_back(std::move(p));
  };
  for (const TaalschoolPupil& pupil : options.pupils) {
    push("taalschool.elip-aanmelding", elipAanmeldingJson(pupil));
    push("taalschool.aanwezigheid", aanwezigheidJson(pupil, options.period_start, options.period_end));
  }
  return pushes;
}

}  // namespace ketenpoort
