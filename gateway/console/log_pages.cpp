// GET/POST /console/controle (the log verified now, the signed heads, the pseudonym keys)
// and GET /console/toegang (who of the organisation's officers looked at what).
#include <algorithm>

#include "gateway/api/query_string.hpp"
#include "gateway/console/console_pages.hpp"
#include "gateway/console/plain_dutch.hpp"
#include "gateway/store/identifiers.hpp"

namespace ketenpoort::console {

namespace {

using html::Markup;
using html::text;

Markup intactOrNot(bool intact) {
  return intact ? Markup("<span class=\"status-good\">in orde</span>")
                : Markup("<span class=\"status-bad\">NIET in orde</span>");
}

// One line per chain, for the page and for the next visit's "last verification".
std::string verificationSummary(const StoreLogCheck& check) {
  std::string summary;
  for (const auto& chain : check.chains) {
    const LogVerification& v = chain.verification;
    summary += chain.node.empty() ? std::string("logboek: ") : "knooppunt " + chain.node + ": ";
    if (v.intact) {
      summary += "in orde, " + std::to_string(v.records_checked) + " records en " +
                 std::to_string(v.checkpoints_checked) + " ondertekende tussenstanden gecontroleerd";
      if (v.purges_checked > 0) {
        summary += "; " + std::to_string(v.records_purged) + " records verwijderd na hun bewaartermijn, onder " +
                   std::to_string(v.purges_checked) + " ondertekende verwijderverklaring(en)";
      }
    } else {
      summary += "NIET in orde na " + std::to_string(v.records_checked) + " goede records";
      if (v.first_bad_sequence) summary += ", eerste foute record " + std::to_string(*v.first_bad_sequence);
      summary += ": " + v.problem;
    }
    if (chain.key_from_database) summary += " (met de sleutel die de database voor dit knooppunt kent)";
    summary += "\n";
  }
  if (!check.problem.empty()) summary += check.problem + "\n";
  return summary;
}

// ---- the access trail

struct AccessTrailView {
  const ConsoleState& state;
  std::string organisation;
  std::vector<LoggedExchange> trail;  // newest first, at most kPageRows
  bool more = false;
};

Markup renderAccessTrail(const AccessTrailView& v) {
  Markup out;
  out << "<p class=\"intro\">Elke raadpleging in deze console en via de audit-API staat in het logboek, vóórdat er "
         "iets getoond wordt. Hier ziet u die van de functionarissen van "
      << text(v.organisation)
      << ", nieuwste eerst.</p><table><thead><tr><th scope=\"col\">Record</th><th scope=\"col\">Tijd</th><th "
         "scope=\"col\">Wie</th><th scope=\"col\">Wat</th><th scope=\"col\">Over een persoon</th><th "
         "scope=\"col\">Zoekopdracht</th></tr></thead><tbody>";
  for (const auto& e : v.trail) {
    const ExchangeRecord& r = e.record;
    std::string terms;
    for (const auto& term : r.fields_delivered) terms += (terms.empty() ? "" : ", ") + term;
    const std::string what = r.purpose.starts_with("audit:") ? r.purpose.substr(6) : r.purpose;
    out << "<tr><td>" << e.sequence << "</td><td>" << text(plain_dutch::dateTime(r.time_utc)) << "</td><td>"
        << text(partyName(v.state.context.config, r.sender_oin)) << "</td><td>" << text(what) << "</td><td>";
    if (r.subject_ref.empty()) {
      out << "nee";
    } else {
      out << "ja, " << pseudonym(r.subject_ref);
    }
    out << "</td><td><code>" << text(terms) << "</code></td></tr>";
  }
  out << "</tbody></table>";
  if (v.more || v.trail.size() == kPageRows) {
    out << "<nav class=\"pager\" aria-label=\"Pagina's\"><a class=\"button\" rel=\"next\" href=\""
        << text(html::link("/console/toegang", {{"voor", std::to_string(v.trail.back().sequence)}}))
        << "\">Oudere raadplegingen</a></nav>";
  }
  return out;
}

}  // namespace

Result<Markup> verifyFormPage(ConsoleState& s, const ApiRequest& request, const Officer& officer, html::Frame& frame) {
  frame.title = "Controle van het logboek";
  if (!request.query.empty()) return problems::invalidQuery("this page takes no parameters");
  std::optional<VerificationSeen> last;
  {
    std::lock_guard lock(s.seen_mutex);
    last = s.last_verification;
  }
  Markup out(
      "<p class=\"intro\">De controle leest het hele logboek: elk record, de keten van hashes, de ondertekende "
      "tussenstanden en de laatste ondertekende stand. Een gewijzigd, verwijderd of ingevoegd record wordt zo "
      "gevonden. Bij veel records duurt dit enkele seconden.</p>");
  if (last) {
    out << "<h2>Laatste controle</h2><p>" << text(plain_dutch::dateTime(last->at)) << ", door " << text(last->by)
        << ": " << intactOrNot(last->intact) << "</p><pre class=\"witness\">" << text(last->summary) << "</pre>";
  }
  out << "<form method=\"post\" action=\"/console/controle\">" << formToken(s, officer)
      << "<button type=\"submit\">Controleer het logboek nu</button></form>" << renderLogKeeping(readLogKeeping(s));
  return out;
}

Result<Markup> verifyPage(ConsoleState& s, const ApiRequest& request, const Officer& officer, html::Frame& frame) {
  frame.title = "Controle van het logboek";
  auto fields = s.forms.accept(request, officer.person.oin.str(), s.context.clock.now());
  if (!fields.ok()) return fields.problem();
  if (!fields->empty()) return problems::invalidQuery("the form takes no fields");
  if (!recorded(s, officer, "controle", "", {})) return problems::logUnavailable();
  if (s.verifying.exchange(true)) {
    return Markup(
        "<p class=\"notice\" role=\"status\">Er loopt al een controle. Open deze pagina over enkele seconden "
        "opnieuw.</p><p><a href=\"/console/controle\">Naar de controle</a></p>");
  }
  const StoreLogCheck check = s.context.store.verifyLog();
  s.verifying = false;
  VerificationSeen seen;
  seen.at = s.context.clock.nowRfc3339();
  seen.by = officer.person.name;
  seen.intact = check.intact;
  for (const auto& chain : check.chains) seen.records += chain.verification.records_checked;
  seen.summary = verificationSummary(check);
  {
    std::lock_guard lock(s.seen_mutex);
    s.last_verification = seen;
  }
  Markup out;
  out << (check.intact ? Markup("<div class=\"notice\" role=\"status\"><p><span class=\"status-good\">Het logboek "
                                "is in orde.</span>")
                       : Markup("<div class=\"error\" role=\"status\"><p><span class=\"status-bad\">Het logboek is "
                                "NIET in orde.</span> Meld dit direct bij de beheerder en bewaar deze pagina."))
      << "</p><pre class=\"witness\">" << text(seen.summary) << "</pre></div>" << renderLogKeeping(readLogKeeping(s));
  return out;
}

Result<Markup> accessTrailPage(ConsoleState& s, const ApiRequest& request, const Officer& officer, html::Frame& frame) {
  frame.title = "Wie keek wat in";
  const auto params = parseQueryString(request.query);
  if (!params) return problems::invalidQuery("malformed or repeated query parameter");
  std::optional<std::uint64_t> before;
  for (const auto& [key, value] : *params) {
    if (key != "voor" || !parseRecordNumber(value)) {
      return problems::invalidQuery("this page takes voor, a record number");
    }
    before = parseRecordNumber(value);
  }
  if (!recorded(s, officer, "toegang", "", {before ? "before=" + std::to_string(*before) : "first-page"})) {
    return problems::logUnavailable();
  }
  // Every officer of the organisation: their OIN is the sender of their queries' records
  // (an officer sends nothing else), so each officer's index holds exactly their trail.
  AccessTrailView v{s, officer.organisation.name, {}, false};
  for (const Party& party : s.context.config.parties) {
    if (party.role != PartyRole::kPrivacyOfficer || party.organisation != officer.organisation.id) continue;
    ExchangeQuery f;
    f.organisation_oin = party.oin.str();
    f.flow = std::string(internal_flows::kAuditQuery);
    f.newest_first = true;
    f.before_sequence = before;
    f.limit = kPageRows;
    for (auto& e : s.context.store.log().findExchanges(f)) {
      if (e.record.recipient_oin == officer.organisation.oin.str()) v.trail.push_back(std::move(e));
    }
  }
  std::sort(v.trail.begin(), v.trail.end(), [](const auto& a, const auto& b) { return a.sequence > b.sequence; });
  v.more = v.trail.size() > kPageRows;
  if (v.more) v.trail.resize(kPageRows);
  return renderAccessTrail(v);
}

}  // namespace ketenpoort::console
