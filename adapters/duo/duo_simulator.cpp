#include "adapters/duo/duo_simulator.hpp"

#include <random>
#include <thread>

#include "gateway/identity/bsn.hpp"

namespace ketenpoort {

namespace {

std::string dateText(const CivilDate& d) { return formatIsoDate(d); }

// The one value of <vraag><name>…</name></vraag>, or "" when the question is not that.
std::string questionValue(const std::string& body, std::string_view name) {
  const auto parsed = sourceFromXml(body);
  if (!std::holds_alternative<SourceNode>(parsed)) return {};
  const SourceNode& root = std::get<SourceNode>(parsed);
  if (root.name != "vraag") return {};
  for (const SourceNode& c : root.children) {
    if (c.name == name) return c.text;
  }
  return {};
}

}  // namespace

DuoSimulator::DuoSimulator(DuoSimulatorOptions options, std::string gateway_oin)
    : options_(std::move(options)), gateway_oin_(std::move(gateway_oin)) {
  delay_ms_.store(options_.delay.count());
  receiver_ = std::make_unique<HttpsReceiver>(
      options_.receiver, [this](const ApiRequest& request, const std::string& peer) { return handle(request, peer); });
}

ApiResponse DuoSimulator::handle(const ApiRequest& request, const std::string& peer_oin) {
  ++questions_;
  if (const auto delay = delay_ms_.load(); delay > 0) {
    std::this_thread::sleep_for(std::chrono::milliseconds(delay));
  }
  if (!gateway_oin_.empty() && peer_oin != gateway_oin_) return {403, "text/plain", "only the gateway may ask\n", {}};
  if (request.method != "POST") return {405, "text/plain", "POST only\n", {}};
  if (request.path == "/duo/inburgeringsstatus") {
    const std::string bsn = questionValue(request.body, "bsn");
    if (!isValidBsn(bsn)) return {400, "text/plain", "<vraag><bsn> must be a valid BSN\n", {}};
    for (const DuoPerson& p : options_.persons) {
      if (p.bsn == bsn) return {200, "application/xml", inburgeringsstatusXml(p), {}};
    }
    return {404, "text/plain", "unknown person\n", {}};
  }
  if (request.path == "/duo/elip-overzicht") {
    const std::string gemeente = questionValue(request.body, "gemeente");
    if (gemeente.size() != 4) return {400, "text/plain", "<vraag><gemeente> must be a CBS code\n", {}};
    std::string body = "<?xml version=\"1.0\"?>\n<overzicht gemeente=\"" + gemeente + "\">\n";
    for (const DuoPerson& p : options_.persons) {
      if (p.gemeente_cbs != gemeente) continue;
      std::string person = inburgeringsstatusXml(p);
      body += person.substr(person.find("<inburgeringsstatus"));  // without its declaration
    }
    return {200, "application/xml", body + "</overzicht>\n", {}};
  }
  return {404, "text/plain", "no such endpoint\n", {}};
}

std::vector<DuoPerson> syntheticDuoRegister(const std::vector<std::string>& gemeente_cbs_codes, std::uint64_t seed,
                                            const CivilDate& today) {
  std::mt19937_64 rng(seed);
  const auto ago = [&](int months) { return addPeriod(today, {0, -months, 0}); };
  std::vector<DuoPerson> persons;
  for (const std::string& cbs : gemeente_cbs_codes) {
    // An ELIP candidate: 82 % used, term ends in 4 months.
    DuoPerson candidate;
    candidate.bsn = randomSyntheticBsn(rng);
    candidate.gemeente_cbs = cbs;
    candidate.termijn_start = dateText(ago(32));
    candidate.termijn_end = dateText(addPeriod(today, {0, 4, 0}));
    candidate.loan_used_eur = "8200.00";
    candidate.exams = {{"lezen", 2, "niet-behaald"}, {"spreken", 1, "behaald"}, {"knm", 1, "behaald"}};
    candidate.hours = 610;
    candidate.hour_statements = true;
    persons.push_back(candidate);

    // Not a candidate: an extension of 6 months moves the deadline out of reach.
    DuoPerson extended = candidate;
    extended.bsn = randomSyntheticBsn(rng);
    extended.extensions = {{6, "alfabetisering"}};
    extended.literacy_hours = 300;
    persons.push_back(extended);

    // Exempted on medical grounds: the gemeente may learn the exemption, not the ground.
    DuoPerson exempted;
    exempted.bsn = randomSyntheticBsn(rng);
    exempted.gemeente_cbs = cbs;
    exempted.status = "ontheffing";
    exempted.termijn_start = dateText(ago(20));
    exempted.termijn_end = dateText(addPeriod(today, {0, 16, 0}));
    exempted.loan_used_eur = "3100.00";
    exempted.exemption_date = dateText(ago(2));
    exempted.exemption_ground = "psychische beperking (medisch advies)";
    persons.push_back(exempted);

    // Old-law persons: the gemeente gets only counts.
    for (int i = 0; i < 3; ++i) {
      DuoPerson old_law = candidate;
      old_law.bsn = randomSyntheticBsn(rng);
      old_law.law = "wi2013";
      old_law.termijn_start = dateText(ago(40));
      old_law.termijn_end = dateText(addPeriod(today, {0, 2 + 3 * i, 0}));
      old_law.loan_used_eur = i == 2 ? "5000.00" : "9400.00";
      persons.push_back(old_law);
    }
  }
  return persons;
}

}  // namespace ketenpoort
