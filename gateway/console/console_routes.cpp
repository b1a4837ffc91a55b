#include "gateway/console/console_routes.hpp"

#include <algorithm>
#include <atomic>
#include <charconv>
#include <memory>
#include <mutex>
#include <optional>

#include "gateway/api/query_string.hpp"
#include "gateway/api/request_task.hpp"
#include "gateway/audit/audit_queries.hpp"
#include "gateway/console/form_guard.hpp"
#include "gateway/console/html.hpp"
#include "gateway/console/plain_dutch.hpp"
#include "gateway/diagnostics/diagnostic_log.hpp"
#include "gateway/identity/bsn.hpp"

namespace ketenpoort {

// The stylesheet, embedded at build time from console.css (console_assets.cpp).
extern const std::string_view kConsoleStylesheet;

namespace {

using html::escape;

// A list page shows this many rows; the inzage at most this many exchanges of one person.
constexpr std::size_t kPageRows = 50;
constexpr std::size_t kInzageMax = 1000;
constexpr std::size_t kDeadLettersShown = 10;
// A filtered search looks through at most this many record numbers per page: a filter
// that matches little (or nothing) costs a bounded walk through the organisation's index,
// not the whole log; the page then offers to search on in older records.
constexpr std::uint64_t kSearchWindow = 50'000;
constexpr int kChartDays = 30;
// A form's token lasts a working day.
constexpr std::chrono::hours kFormLifetime{10};

struct Officer {
  const Party& person;
  const Party& organisation;
};

// What a verification found, kept for the overview and the verify page.
struct VerificationSeen {
  std::string at;  // RFC 3339
  std::string by;  // the officer's name
  bool intact = false;
  std::uint64_t records = 0;
  std::string summary;  // one line per chain
};

struct ConsoleState {
  explicit ConsoleState(const ConsoleContext& c)
      : context(c), forms(c.store.referencer().derivedKeyHex("console-form-token"), kFormLifetime) {}

  ConsoleContext context;
  FormGuard forms;
  std::atomic<bool> verifying{false};
  std::mutex seen_mutex;
  std::optional<VerificationSeen> last_verification;
};

using PageBody = std::function<Result<std::string>(ConsoleState&, const ApiRequest&, const Officer&, html::Frame&)>;

ApiResponse htmlResponse(unsigned status, std::string body) {
  ApiResponse response;
  response.status = status;
  response.content_type = "text/html; charset=utf-8";
  response.body = std::move(body);
  return response;
}

// A problem as a page: the catalogue's status, and its code shown, so a person can quote it.
ApiResponse problemPage(const Problem& problem, const html::Frame& frame) {
  html::Frame f = frame;
  f.title = problem.status() == 403   ? "Geen toegang"
            : problem.status() >= 500 ? "Tijdelijk niet beschikbaar"
                                      : "Dit verzoek kan niet worden uitgevoerd";
  f.letter_head.clear();
  std::string body = "<div class=\"error\" role=\"alert\"><p>" + escape(reasonType(problem.code).title) + "</p><p>" +
                     escape(problem.detail) + "</p><p>Code: <code>" + escape(problem.name()) + "</code></p></div>" +
                     "<p><a href=\"/console\">Terug naar het overzicht</a></p>";
  return htmlResponse(problem.status(), html::page(f, body));
}

std::string partyName(const GatewayConfig& config, const std::string& oin) {
  const auto parsed = Oin::parse(oin);
  const Party* party = parsed ? config.findPartyByOin(*parsed) : nullptr;
  return party ? party->name : "OIN " + oin;
}

// Records the view in the exchange log; nothing is shown if this fails.
// `subject_ref_filed`: the reference is a log record's own (ExchangeRecord::subject_ref_filed).
bool recorded(ConsoleState& s, const Officer& officer, const std::string& page, const std::string& subject_ref,
              std::vector<std::string> description, bool subject_ref_filed = false) {
  description.insert(description.begin(), "organisation=" + officer.organisation.oin.str());
  return recordAuditQuery(s.context.store.log(), officer.person.oin.str(), "console:" + page,
                          officer.organisation.oin.str(), subject_ref, std::move(description), subject_ref_filed)
      .ok;
}

std::string formToken(ConsoleState& s, const Officer& officer) {
  return "<input type=\"hidden\" name=\"formulier\" value=\"" +
         escape(s.forms.issue(officer.person.oin.str(), s.context.clock.now())) + "\">";
}

// ---------------------------------------------------------------- the overview

std::string chartSvg(const ExchangeStatistics::Summary& summary, const CivilDate& today) {
  // Bars per day, stacked: passed on (delivered or queued), refused, failed.
  std::vector<std::pair<std::string, std::array<std::uint64_t, 3>>> days;
  std::uint64_t highest = 1;
  const std::chrono::sys_days last{today};
  for (int i = kChartDays - 1; i >= 0; --i) {
    const std::string day = formatIsoDate(CivilDate{last - std::chrono::days(i)});
    std::array<std::uint64_t, 3> bar{0, 0, 0};
    if (const auto it = summary.per_day.find(day); it != summary.per_day.end()) {
      bar = {it->second[0] + it->second[1], it->second[2], it->second[3]};
    }
    highest = std::max(highest, bar[0] + bar[1] + bar[2]);
    days.emplace_back(day, bar);
  }
  constexpr int kWidth = 720;
  constexpr int kHeight = 200;
  constexpr int kLeft = 50;
  constexpr int kBottom = 170;
  constexpr int kBar = 18;
  constexpr int kStep = 22;
  std::string svg = "<svg class=\"chart\" viewBox=\"0 0 " + std::to_string(kWidth) + " " + std::to_string(kHeight) +
                    "\" role=\"img\" aria-labelledby=\"grafiek-titel\"><title id=\"grafiek-titel\">Uitwisselingen per "
                    "dag, de laatste " +
                    std::to_string(kChartDays) + " dagen (de tabel hieronder geeft dezelfde cijfers)</title>";
  svg += "<line class=\"axis\" x1=\"" + std::to_string(kLeft) + "\" y1=\"" + std::to_string(kBottom) + "\" x2=\"" +
         std::to_string(kWidth) + "\" y2=\"" + std::to_string(kBottom) + "\"/>";
  svg += "<text x=\"0\" y=\"20\">" + std::to_string(highest) + "</text><text x=\"0\" y=\"" + std::to_string(kBottom) +
         "\">0</text>";
  static constexpr std::array<std::string_view, 3> kClasses{"bar-doorgegeven", "bar-geweigerd", "bar-mislukt"};
  for (std::size_t i = 0; i < days.size(); ++i) {
    const int x = kLeft + 4 + static_cast<int>(i) * kStep;
    double y = kBottom;
    for (std::size_t part = 0; part < 3; ++part) {
      const double h = static_cast<double>(days[i].second[part]) * (kBottom - 20) / static_cast<double>(highest);
      if (h <= 0) continue;
      y -= h;
      svg += "<rect class=\"" + std::string(kClasses[part]) + "\" x=\"" + std::to_string(x) + "\" y=\"" +
             std::to_string(y) + "\" width=\"" + std::to_string(kBar) + "\" height=\"" + std::to_string(h) + "\"/>";
    }
    if ((i % 7 == 0 && i + 4 < days.size()) || i + 1 == days.size()) {
      svg += "<text x=\"" + std::to_string(x) + "\" y=\"" + std::to_string(kBottom + 16) + "\">" +
             days[i].first.substr(5) + "</text>";
    }
  }
  svg += "</svg>";
  svg +=
      "<ul class=\"legend\"><li><span class=\"swatch swatch-doorgegeven\"></span>doorgegeven of aangenomen</li>"
      "<li><span class=\"swatch swatch-geweigerd\"></span>geweigerd</li>"
      "<li><span class=\"swatch swatch-mislukt\"></span>mislukt</li></ul>";
  return svg;
}

std::string logHealth(ConsoleState& s) {
  std::string out = "<h2>Het logboek</h2><dl class=\"facts\">";
  try {
    const auto heads = s.context.store.signedHeads();
    if (heads.empty()) out += "<dt>Laatste ondertekende stand</dt><dd>nog geen (het logboek is leeg)</dd>";
    for (const auto& [node, head] : heads) {
      out += "<dt>Laatste ondertekende stand" + (node.empty() ? std::string() : " van knooppunt " + escape(node)) +
             "</dt><dd>record " + std::to_string(head.sequence) + ", " +
             escape(plain_dutch::dateTime(head.created_utc)) + "</dd>";
    }
  } catch (const std::exception&) {
    out += "<dt>Laatste ondertekende stand</dt><dd class=\"status-bad\">niet te lezen</dd>";
  }
  std::lock_guard lock(s.seen_mutex);
  out += "<dt>Laatste controle</dt><dd>";
  if (s.last_verification) {
    const auto& v = *s.last_verification;
    out += std::string(v.intact ? "<span class=\"status-good\">in orde</span>"
                                : "<span class=\"status-bad\">NIET in orde</span>") +
           ", " + escape(plain_dutch::dateTime(v.at)) + ", door " + escape(v.by);
  } else {
    out += "nog niet gedaan sinds de gateway startte";
  }
  out += " — <a href=\"/console/controle\">controleer nu</a></dd></dl>";
  return out;
}

Result<std::string> overviewPage(ConsoleState& s, const ApiRequest&, const Officer& officer, html::Frame& frame) {
  frame.title = "Overzicht";
  if (!recorded(s, officer, "overzicht", "", {})) return problems::logUnavailable();
  const ExchangeStatistics::Summary summary = s.context.statistics.summary(officer.organisation.oin.str());
  DeliveryQuery dead;
  dead.organisation_oin = officer.organisation.oin.str();
  dead.state = DeliveryState::kDeadLetter;
  const auto dead_letters = s.context.store.outbox().list(dead);

  std::uint64_t refused = 0;
  for (const auto& [key, count] : summary.refusals) refused += count;
  std::uint64_t withheld = 0;
  for (const auto& [key, count] : summary.withheld) withheld += count;
  std::string out = "<p class=\"intro\">Wat de gateway voor " + escape(officer.organisation.name) +
                    " heeft uitgewisseld, geweigerd en achtergehouden. De cijfers tellen tot en met record " +
                    std::to_string(summary.counted_until) + " van het logboek.</p>";
  out += "<div class=\"cards\"><p class=\"card\"><span class=\"figure\">" + std::to_string(summary.exchanges) +
         "</span>uitwisselingen</p><p class=\"card\"><span class=\"figure\">" + std::to_string(refused) +
         "</span>geweigerd</p><p class=\"card\"><span class=\"figure\">" + std::to_string(withheld) +
         "</span>keer een gegeven achtergehouden</p><p class=\"card\"><span class=\"figure\">" +
         std::to_string(dead_letters.size()) + "</span>niet af te leveren berichten</p></div>";

  out += "<h2>Per dag</h2>" + chartSvg(summary, s.context.clock.today());
  out += "<h2>Per soort bericht en uitkomst</h2><table><thead><tr><th scope=\"col\">Soort bericht</th>";
  for (const char* o : {"delivered", "queued", "refused", "failed"}) {
    out += "<th scope=\"col\" class=\"number\">" + plain_dutch::outcome(o) + "</th>";
  }
  out += "</tr></thead><tbody>";
  for (const auto& [flow, counts] : summary.per_flow) {
    out += "<tr><th scope=\"row\"><a href=\"" + escape(html::link("/console/uitwisselingen", {{"stroom", flow}})) +
           "\">" + escape(flow) + "</a></th>";
    for (const auto count : counts) out += "<td class=\"number\">" + std::to_string(count) + "</td>";
    out += "</tr>";
  }
  if (summary.per_flow.empty()) out += "<tr><td colspan=\"5\">Nog geen uitwisselingen.</td></tr>";
  out += "</tbody></table>";

  out +=
      "<h2>Geweigerd, per reden</h2><table><thead><tr><th scope=\"col\">Soort bericht</th><th scope=\"col\">Reden</th>"
      "<th scope=\"col\" class=\"number\">Aantal</th></tr></thead><tbody>";
  for (const auto& [key, count] : summary.refusals) {
    out += "<tr><td>" + escape(std::get<0>(key)) + "</td><td>" + escape(plain_dutch::reason(std::get<1>(key))) +
           " (<code>" + escape(std::get<1>(key)) + "</code>)</td><td class=\"number\">" + std::to_string(count) +
           "</td></tr>";
  }
  if (summary.refusals.empty()) out += "<tr><td colspan=\"3\">Niets geweigerd.</td></tr>";
  out += "</tbody></table>";

  out +=
      "<h2>Achtergehouden gegevens, per reden</h2><table><thead><tr><th scope=\"col\">Soort bericht</th>"
      "<th scope=\"col\">Gegeven</th><th scope=\"col\">Reden</th><th scope=\"col\" class=\"number\">Aantal</th></tr>"
      "</thead><tbody>";
  for (const auto& [key, count] : summary.withheld) {
    out += "<tr><td>" + escape(std::get<0>(key)) + "</td><td>" + escape(plain_dutch::fieldLabel(std::get<1>(key))) +
           "</td><td>" + escape(plain_dutch::reason(std::get<2>(key))) + "</td><td class=\"number\">" +
           std::to_string(count) + "</td></tr>";
  }
  if (summary.withheld.empty()) out += "<tr><td colspan=\"4\">Niets achtergehouden.</td></tr>";
  out += "</tbody></table>";

  out += "<h2>Niet af te leveren berichten</h2>";
  if (dead_letters.empty()) {
    out += "<p>Geen.</p>";
  } else {
    out +=
        "<table><thead><tr><th scope=\"col\">Aangemaakt</th><th scope=\"col\">Soort bericht</th><th scope=\"col\">"
        "Aan</th><th scope=\"col\" class=\"number\">Pogingen</th><th scope=\"col\">Laatste "
        "fout</th></tr></thead><tbody>";
    for (std::size_t i = 0; i < dead_letters.size() && i < kDeadLettersShown; ++i) {
      const auto& e = dead_letters[i];
      out += "<tr><td>" + escape(plain_dutch::dateTime(e.created_utc)) + "</td><td>" + escape(e.flow) + "</td><td>" +
             escape(partyName(s.context.config, e.recipient_oin)) + "</td><td class=\"number\">" +
             std::to_string(e.attempts) + "</td><td><code>" + escape(e.last_error) + "</code></td></tr>";
    }
    out += "</tbody></table>";
  }
  out += logHealth(s);
  return out;
}

// ---------------------------------------------------------------- search

std::string outcomeOptions(const std::string& chosen) {
  std::string out = "<option value=\"\">alle</option>";
  for (const char* o : {"delivered", "queued", "refused", "failed"}) {
    out += "<option value=\"" + std::string(o) + "\"" + (chosen == o ? " selected" : "") + ">" +
           plain_dutch::outcome(o) + "</option>";
  }
  return out;
}

// NOLINTNEXTLINE(readability-function-size,readability-function-cognitive-complexity): older than the gate (issue 26); split it, never grow it
Result<std::string> searchPage(ConsoleState& s, const ApiRequest& request, const Officer& officer, html::Frame& frame) {
  frame.title = "Uitwisselingen zoeken";
  const auto params = parseQueryString(request.query);
  if (!params) return problems::invalidQuery("malformed or repeated query parameter");
  if (params->contains("bsn")) return problems::bsnInUrl("POST /console/inzage");
  ExchangeQuery f;
  f.organisation_oin = officer.organisation.oin.str();
  f.exchanges_only = true;
  f.newest_first = true;
  f.limit = kPageRows;
  std::map<std::string, std::string> shown;
  for (const auto& [key, value] : *params) {
    if (value.empty()) continue;  // an empty field of the form: no filter
    if (key == "van" || key == "tot") {
      if (!parseIsoDate(value)) return problems::invalidQuery(key + " must be a date YYYY-MM-DD");
      (key == "van" ? f.from_date : f.to_date) = value;
    } else if (key == "stroom") {
      if (!s.context.catalogue.findFlow(value)) return problems::invalidQuery("stroom names no flow of the catalogue");
      f.flow = value;
    } else if (key == "partij") {
      const Party* party = s.context.config.findPartyById(value);
      if (!party) return problems::invalidQuery("partij names no configured party");
      f.party_oin = party->oin.str();
    } else if (key == "uitkomst") {
      if (value != "delivered" && value != "queued" && value != "refused" && value != "failed") {
        return problems::invalidQuery("uitkomst must be delivered, queued, refused or failed");
      }
      f.outcome = value;
    } else if (key == "voor") {
      const auto before = parseRecordNumber(value);
      if (!before) return problems::invalidQuery("voor must be the sequence number a page ended with");
      f.before_sequence = *before;
    } else {
      return problems::invalidQuery("an unknown parameter; this page takes van, tot, stroom, partij, uitkomst, voor");
    }
    shown[key] = value;
  }
  if (!recorded(s, officer, "uitwisselingen", "", f.describe())) return problems::logUnavailable();
  // A filter: one window of record numbers, below `voor` or the organisation's newest.
  std::optional<std::uint64_t> window_start;
  if (f.flow || f.outcome || f.party_oin || f.from_date || f.to_date) {
    std::uint64_t upper = 0;
    if (f.before_sequence) {
      upper = *f.before_sequence;
    } else {
      ExchangeQuery newest;
      newest.organisation_oin = f.organisation_oin;
      newest.newest_first = true;
      newest.limit = 1;
      const auto found = s.context.store.log().findExchanges(newest);
      upper = found.empty() ? 1 : found.front().sequence + 1;
    }
    f.before_sequence = upper;
    if (upper > kSearchWindow + 1) {
      f.after_sequence = upper - kSearchWindow - 1;
      window_start = *f.after_sequence + 1;
    }
  }
  const auto page = s.context.store.log().findExchanges(f);

  const auto value = [&shown](const char* key) {
    const auto it = shown.find(key);
    return it == shown.end() ? std::string() : it->second;
  };
  std::string out = "<form class=\"filters\" method=\"get\" action=\"/console/uitwisselingen\">";
  out += "<div><label for=\"van\">Van (datum)</label><input type=\"date\" id=\"van\" name=\"van\" value=\"" +
         escape(value("van")) + "\"></div>";
  out += "<div><label for=\"tot\">Tot en met (datum)</label><input type=\"date\" id=\"tot\" name=\"tot\" value=\"" +
         escape(value("tot")) + "\"></div>";
  out +=
      "<div><label for=\"stroom\">Soort bericht</label><select id=\"stroom\" name=\"stroom\"><option value=\"\">alle"
      "</option>";
  for (const auto& flow : s.context.catalogue.flows) {
    out += "<option value=\"" + escape(flow->id) + "\"" + (value("stroom") == flow->id ? " selected" : "") + ">" +
           escape(flow->id) + "</option>";
  }
  out +=
      "</select></div><div><label for=\"partij\">Organisatie</label><select id=\"partij\" name=\"partij\">"
      "<option value=\"\">alle</option>";
  for (const auto& party : s.context.config.parties) {
    if (party.role == PartyRole::kPrivacyOfficer) continue;
    out += "<option value=\"" + escape(party.id) + "\"" + (value("partij") == party.id ? " selected" : "") + ">" +
           escape(party.name) + "</option>";
  }
  out += "</select></div><div><label for=\"uitkomst\">Uitkomst</label><select id=\"uitkomst\" name=\"uitkomst\">" +
         outcomeOptions(value("uitkomst")) + "</select></div><div><button type=\"submit\">Zoeken</button></div></form>";

  out += "<table><caption>Uitwisselingen, nieuwste eerst" +
         std::string(shown.contains("voor") ? " (vóór record " + shown.at("voor") + ")" : "") +
         "</caption><thead><tr><th scope=\"col\">Record</th><th scope=\"col\">Tijd</th><th scope=\"col\">Soort bericht"
         "</th><th scope=\"col\">Van</th><th scope=\"col\">Aan</th><th scope=\"col\">Uitkomst</th>"
         "<th scope=\"col\" class=\"number\">Achtergehouden</th></tr></thead><tbody>";
  for (const auto& e : page) {
    const auto& r = e.record;
    out += "<tr><td><a href=\"/console/uitwisselingen/" + std::to_string(e.sequence) + "\">" +
           std::to_string(e.sequence) + "</a></td><td>" + escape(plain_dutch::dateTime(r.time_utc)) + "</td><td>" +
           escape(r.flow) + "</td><td>" + escape(partyName(s.context.config, r.sender_oin)) + "</td><td>" +
           escape(partyName(s.context.config, r.recipient_oin)) + "</td><td>" +
           escape(plain_dutch::outcome(toString(r.outcome))) +
           (r.reason.empty() ? "" : ": " + escape(plain_dutch::reason(r.reason))) + "</td><td class=\"number\">" +
           std::to_string(r.fields_withheld.size()) + "</td></tr>";
  }
  if (page.empty()) out += "<tr><td colspan=\"7\">Geen uitwisselingen gevonden.</td></tr>";
  out += "</tbody></table><nav class=\"pager\" aria-label=\"Pagina's\">";
  // A pager link: the same filters, `voor` as given (empty: the newest).
  const auto pagerLink = [&value](const std::string& before, const char* css_class, const char* rel,
                                  const char* label) {
    return std::string("<a class=\"") + css_class + "\"" + rel + " href=\"" +
           escape(html::link("/console/uitwisselingen", {{"van", value("van")},
                                                         {"tot", value("tot")},
                                                         {"stroom", value("stroom")},
                                                         {"partij", value("partij")},
                                                         {"uitkomst", value("uitkomst")},
                                                         {"voor", before}})) +
           "\">" + label + "</a>";
  };
  if (shown.contains("voor")) out += pagerLink("", "button secondary", "", "Nieuwste");
  if (page.size() < f.limit && window_start) {
    out += "<p class=\"notice\">Gezocht tot en met record " + std::to_string(*window_start) +
           "; oudere records zijn nog niet doorzocht.</p>";
    out += pagerLink(std::to_string(*window_start), "button", " rel=\"next\"", "Verder zoeken in oudere records");
  }
  if (page.size() == f.limit) {
    out += pagerLink(std::to_string(page.back().sequence), "button", " rel=\"next\"", "Oudere uitwisselingen");
  }
  out += "</nav>";
  return out;
}

// ---------------------------------------------------------------- one exchange

// Labels in the order first seen, a repeated group's fields once with how often
// ("voornamen (gezin.leden), 4 keer").
std::vector<std::pair<std::string, int>> countedLabels(const std::vector<std::string>& labels) {
  std::vector<std::pair<std::string, int>> out;
  for (const auto& label : labels) {
    const auto it = std::find_if(out.begin(), out.end(), [&label](const auto& e) { return e.first == label; });
    if (it == out.end()) {
      out.emplace_back(label, 1);
    } else {
      ++it->second;
    }
  }
  return out;
}

std::string labelList(const std::vector<std::string>& labels, const char* list_class) {
  std::string out = std::string("<ul") + list_class + ">";
  for (const auto& [label, count] : countedLabels(labels)) {
    out += "<li>" + escape(label) + (count > 1 ? ", " + std::to_string(count) + " keer" : "") + "</li>";
  }
  return out + "</ul>";
}

std::string fieldList(const std::vector<std::string>& fields) {
  if (fields.empty()) return "<p>Geen.</p>";
  std::vector<std::string> labels;
  labels.reserve(fields.size());
  for (const auto& field : fields) labels.push_back(plain_dutch::fieldLabel(field));
  return labelList(labels, "");
}

std::string withheldList(const std::vector<WithheldField>& fields) {
  if (fields.empty()) return "<p>Niets.</p>";
  std::vector<std::string> labels;
  labels.reserve(fields.size());
  for (const auto& w : fields) {
    labels.push_back(plain_dutch::fieldLabel(w.field) + ": " + plain_dutch::reason(w.reason));
  }
  return labelList(labels, " class=\"withheld\"");
}

// A withdrawal is the exchange's own record: its delivery did not happen.
bool isBasisWithdrawn(std::string_view logged_reason) {
  const std::optional<Reason> reason = reasonNamed(logged_reason);
  return reason == Reason::kBasisWithdrawnConsent || reason == Reason::kBasisWithdrawnAgreement ||
         reason == Reason::kBasisWithdrawnKoppeling;
}

// Whether `entry`, found by the record's transaction id, is the delivery of the exchange the
// record describes. The id alone does not say so: another party may send with an id it has
// seen and be refused for it (transaction-conflict), and its officer must not see the
// first exchange's delivery through that refused record (issue 25).
bool isDeliveryOf(const OutboxEntry& entry, const ExchangeRecord& r) {
  const bool its_own_exchange = r.outcome != ExchangeOutcome::kRefused || isBasisWithdrawn(r.reason);
  return its_own_exchange && entry.sender_oin == r.sender_oin && entry.recipient_oin == r.recipient_oin &&
         entry.flow == r.flow && entry.purpose == r.purpose;
}

std::string pseudonym(const std::string& subject_ref) {
  return subject_ref.empty() ? "geen" : "<code>" + escape(subject_ref.substr(0, 12)) + "…</code>";
}

Result<std::string> exchangePage(ConsoleState& s, const ApiRequest& request, const Officer& officer,
                                 html::Frame& frame) {
  frame.title = "Eén uitwisseling";
  if (!request.query.empty()) return problems::invalidQuery("this page takes no parameters");
  const auto sequence = parseRecordNumber(request.param("volgnummer"));
  if (!sequence || *sequence == 0) return problems::notFound("no exchange of your organisation has this number");
  ExchangeQuery f;
  f.organisation_oin = officer.organisation.oin.str();
  f.after_sequence = *sequence - 1;
  f.limit = 1;
  const auto found = s.context.store.log().findExchanges(f);
  if (found.empty() || found.front().sequence != *sequence) {
    return problems::notFound("no exchange of your organisation has this number");
  }
  const ExchangeRecord& r = found.front().record;
  // Recorded before it is shown, under the record's own reference as the log keeps it (not
  // keyed once more): the person's BSN finds who looked at their exchange (issue 25).
  if (!recorded(s, officer, "uitwisseling", r.subject_ref, {"sequence=" + std::to_string(*sequence)},
                /*subject_ref_filed=*/true)) {
    return problems::logUnavailable();
  }
  frame.title = "Uitwisseling " + std::to_string(*sequence);
  std::string out = "<dl class=\"facts\">";
  const auto fact = [&out](std::string_view term, const std::string& value_html) {
    out += "<dt>" + std::string(term) + "</dt><dd>" + value_html + "</dd>";
  };
  fact("Tijd", escape(plain_dutch::dateTime(r.time_utc)));
  fact("Soort bericht", escape(r.flow));
  fact("Van", escape(partyName(s.context.config, r.sender_oin)));
  fact("Aan", escape(partyName(s.context.config, r.recipient_oin)));
  fact("Doel",
       escape(plain_dutch::purpose(s.context.catalogue, r.purpose)) + " (<code>" + escape(r.purpose) + "</code>)");
  fact("Grondslag", escape(r.legal_basis));
  if (!r.consent_id.empty()) {
    const auto consent = s.context.store.registries().consent(r.consent_id);
    fact("Toestemming", "<code>" + escape(r.consent_id) + "</code>" +
                            (consent ? ", bewijs: " + escape(consent->evidence_ref) + ", gegeven op " +
                                           escape(plain_dutch::dateTime(consent->granted))
                                     : std::string()));
  }
  if (!r.agreement_id.empty()) {
    const auto agreement = s.context.store.registries().agreement(r.agreement_id);
    fact("Overeenkomst", "<code>" + escape(r.agreement_id) + "</code>" +
                             (agreement ? ", document: " + escape(agreement->document_ref) : std::string()));
  }
  fact("Over", "een persoon, in het logboek alleen als pseudoniem " + pseudonym(r.subject_ref));
  fact("Uitkomst", escape(plain_dutch::outcome(toString(r.outcome))) +
                       (r.reason.empty() ? ""
                                         : ": " + escape(plain_dutch::reason(r.reason)) + " (<code>" +
                                               escape(r.reason) + "</code>)"));
  fact("Transactie", "<code>" + escape(r.transaction_id) + "</code>");
  fact("Trace", "<code>" + escape(r.trace_id) + "</code>");
  fact("Bewaard tot", escape(plain_dutch::dateTime(r.retention_until)));
  out += "</dl><h2>Doorgegeven gegevens</h2>" + fieldList(r.fields_delivered);
  out += "<h2>Achtergehouden gegevens</h2>" + withheldList(r.fields_withheld);
  out += "<h2>Aflevering</h2>";
  const auto entry = s.context.store.outbox().find(r.transaction_id);
  if (entry && isDeliveryOf(*entry, r)) {
    out += "<dl class=\"facts\"><dt>Stand</dt><dd>" + escape(plain_dutch::deliveryState(toString(entry->state))) +
           "</dd><dt>Pogingen</dt><dd>" + std::to_string(entry->attempts) + "</dd>";
    if (!entry->last_error.empty())
      out += "<dt>Laatste fout</dt><dd><code>" + escape(entry->last_error) + "</code></dd>";
    if (!entry->finished_utc.empty()) {
      out += "<dt>Afgerond</dt><dd>" + escape(plain_dutch::dateTime(entry->finished_utc)) + "</dd>";
    }
    out += "</dl>";
  } else {
    out += "<p>" +
           std::string(r.outcome == ExchangeOutcome::kQueued ? "Geen gegevens over de aflevering meer."
                                                             : "Er is niets afgeleverd: het antwoord ging "
                                                               "direct terug, of het bericht werd geweigerd.") +
           "</p>";
  }
  return out;
}

// ---------------------------------------------------------------- inzage (AVG art. 15)

std::string inzageForm(ConsoleState& s, const Officer& officer) {
  return "<form class=\"stacked\" method=\"post\" action=\"/console/inzage\">" + formToken(s, officer) +
         "<div><label for=\"bsn\">Burgerservicenummer van de persoon</label>"
         "<span class=\"hint\" id=\"bsn-uitleg\">Negen cijfers. Het nummer gaat niet in het adres van de pagina en "
         "niet in de geschiedenis van de browser; het logboek bewaart alleen een pseudoniem.</span>"
         "<input id=\"bsn\" name=\"bsn\" inputmode=\"numeric\" autocomplete=\"off\" maxlength=\"9\" "
         "aria-describedby=\"bsn-uitleg\" required></div><div><button type=\"submit\">Toon de uitwisselingen</button>"
         "</div></form>";
}

Result<std::string> inzageFormPage(ConsoleState& s, const ApiRequest& request, const Officer& officer,
                                   html::Frame& frame) {
  frame.title = "Inzage voor een persoon";
  if (!request.query.empty()) {
    return request.query.find("bsn") != std::string::npos ? problems::bsnInUrl("POST /console/inzage")
                                                          : problems::invalidQuery("this page takes no parameters");
  }
  return "<p class=\"intro\">Een persoon heeft recht op inzage (artikel 15 AVG): welke organisaties gegevens over "
         "hem of haar kregen, welke, waarom en op welke grond, en wat is achtergehouden. Vul het "
         "burgerservicenummer in; de uitkomst kunt u afdrukken als brief.</p>" +
         inzageForm(s, officer);
}

Result<std::string> inzagePage(ConsoleState& s, const ApiRequest& request, const Officer& officer, html::Frame& frame) {
  frame.title = "Inzage voor een persoon";
  auto fields = s.forms.accept(request, officer.person.oin.str(), s.context.clock.now());
  if (!fields.ok()) return fields.problem();
  if (fields->size() != 1 || !fields->contains("bsn")) return problems::invalidQuery("the form takes bsn only");
  const std::string& bsn = fields->at("bsn");
  if (!isValidBsn(bsn)) {
    return problems::invalidQuery("the burgerservicenummer is not nine digits that pass the elfproef");
  }
  ExchangeQuery f;
  f.organisation_oin = officer.organisation.oin.str();
  f.subject_ref = s.context.store.referencer().reference({SubjectKey::Kind::kBsn, bsn});
  f.exchanges_only = true;
  f.limit = kInzageMax;
  if (!recorded(s, officer, "inzage", *f.subject_ref, f.describe())) return problems::logUnavailable();
  const auto exchanges = s.context.store.log().findExchanges(f);

  const std::string today = formatIsoDate(s.context.clock.today());
  const std::string masked = "•••••" + bsn.substr(5);
  frame.letter_head = "<p class=\"sender\">" + escape(officer.organisation.name) +
                      "</p><p>Functionaris gegevensbescherming</p><p>Datum: " + escape(plain_dutch::dateTime(today)) +
                      "</p><p>Betreft: uw verzoek om inzage (artikel 15 AVG)<br>Burgerservicenummer: " + masked +
                      "</p>";
  std::string out = "<p class=\"print-only\">Geachte heer, mevrouw,</p>";
  out += "<p class=\"intro\">Hieronder staat welke gegevens over de persoon met burgerservicenummer " + masked +
         " via de ketenpoort zijn uitgewisseld door of met " + escape(officer.organisation.name) +
         ", met het doel, de wettelijke grond en wat niet is doorgegeven. Zorg- en medische gegevens worden nooit "
         "doorgegeven; u ziet hieronder waar ze zijn tegengehouden.</p>";
  out +=
      "<p class=\"no-print\">Gebruik de afdrukfunctie van de browser om dit als brief af te drukken. "
      "<a href=\"/console/inzage\">Een andere persoon</a></p>";
  if (exchanges.empty()) {
    out += "<p>Er zijn geen uitwisselingen over deze persoon.</p>";
    return out;
  }
  // Per other organisation: whom the data went to or came from.
  std::map<std::string, std::vector<const LoggedExchange*>> groups;
  for (const auto& e : exchanges) {
    const std::string& other =
        e.record.sender_oin == officer.organisation.oin.str() ? e.record.recipient_oin : e.record.sender_oin;
    groups[partyName(s.context.config, other)].push_back(&e);
  }
  out += "<p>" + std::to_string(exchanges.size()) + " uitwisseling(en), met " + std::to_string(groups.size()) +
         " organisatie(s)" + (exchanges.size() == kInzageMax ? " (de eerste " + std::to_string(kInzageMax) + ")" : "") +
         ".</p>";
  for (const auto& [organisation, items] : groups) {
    out += "<section class=\"organisation-group\"><h2>" + escape(organisation) + "</h2>";
    for (const LoggedExchange* e : items) {
      const ExchangeRecord& r = e->record;
      const bool outgoing = r.sender_oin == officer.organisation.oin.str();
      out += "<div class=\"exchange-item\"><h3>" + escape(plain_dutch::dateTime(r.time_utc)) + ": " + escape(r.flow) +
             "</h3><p>" +
             escape(outgoing ? officer.organisation.name + " aan " + organisation
                             : organisation + " aan " + officer.organisation.name) +
             ". Doel: " + escape(plain_dutch::purpose(s.context.catalogue, r.purpose)) +
             ". Grond: " + escape(r.legal_basis) + ".</p>";
      if (r.outcome == ExchangeOutcome::kRefused || r.outcome == ExchangeOutcome::kFailed) {
        out += "<p><strong>Niet doorgegeven</strong>: " + escape(plain_dutch::reason(r.reason)) +
               ". Er zijn geen gegevens verstrekt.</p>";
      } else {
        out += "<p><strong>Doorgegeven:</strong></p>" + fieldList(r.fields_delivered);
      }
      if (!r.fields_withheld.empty())
        out += "<p><strong>Achtergehouden:</strong></p>" + withheldList(r.fields_withheld);
      out += "<p class=\"hint no-print\"><a href=\"/console/uitwisselingen/" + std::to_string(e->sequence) +
             "\">Record " + std::to_string(e->sequence) + "</a></p></div>";
    }
    out += "</section>";
  }
  out += "<p class=\"print-only\">Met vriendelijke groet,<br><br>De functionaris gegevensbescherming van " +
         escape(officer.organisation.name) + "</p>";
  return out;
}

// ---------------------------------------------------------------- consents and agreements

Result<std::string> consentsPage(ConsoleState& s, const ApiRequest& request, const Officer& officer,
                                 html::Frame& frame) {
  frame.title = "Toestemmingen en overeenkomsten";
  if (!request.query.empty()) return problems::invalidQuery("this page takes no parameters");
  if (!recorded(s, officer, "toestemmingen", "", {})) return problems::logUnavailable();
  const CivilDate today = s.context.clock.today();
  std::string out =
      "<h2>Toestemmingen van personen voor " + escape(officer.organisation.name) +
      "</h2><table><thead><tr><th scope=\"col\">Kenmerk</th><th scope=\"col\">Doel</th>"
      "<th scope=\"col\">Persoon (pseudoniem)</th><th scope=\"col\">Bewijs</th><th scope=\"col\">Gegeven</th>"
      "<th scope=\"col\">Verloopt</th><th scope=\"col\">Ingetrokken</th><th scope=\"col\">Stand</th></tr>"
      "</thead><tbody>";
  std::size_t shown = 0;
  for (const auto& c : s.context.store.registries().listConsentsByReference(std::nullopt)) {
    if (c.recipient_oin != officer.organisation.oin.str()) continue;
    const ConsentStatus status = c.statusOn(today);
    out += "<tr><td><code>" + escape(c.id) + "</code></td><td>" + escape(c.purpose_id) + "</td><td>" +
           pseudonym(c.subject_ref) + "</td><td>" + escape(c.evidence_ref) + "</td><td>" +
           escape(plain_dutch::dateTime(c.granted)) + "</td><td>" +
           (c.expires.empty() ? "geen einddatum" : escape(plain_dutch::dateTime(c.expires))) + "</td><td>" +
           (c.withdrawn.empty() ? "nee" : escape(plain_dutch::dateTime(c.withdrawn))) + "</td><td class=\"" +
           (status == ConsentStatus::kActive ? "status-good" : "status-warn") + "\">" +
           escape(plain_dutch::consentStatus(status)) + "</td></tr>";
    ++shown;
  }
  if (shown == 0) out += "<tr><td colspan=\"8\">Geen toestemmingen.</td></tr>";
  out += "</tbody></table>";

  out +=
      "<h2>Overeenkomsten</h2><table><thead><tr><th scope=\"col\">Kenmerk</th><th scope=\"col\">Organisatie</th>"
      "<th scope=\"col\">Gemeente</th><th scope=\"col\">Doel</th><th scope=\"col\">Geldig</th>"
      "<th scope=\"col\">Document</th><th scope=\"col\">Stand</th></tr></thead><tbody>";
  shown = 0;
  for (const AgreementConfig& configured : s.context.config.agreements) {
    if (configured.party_id != officer.organisation.id && configured.gemeente_id != officer.organisation.id) continue;
    const auto a = s.context.store.registries().agreement(configured.id);
    if (!a) continue;
    const Party* party = s.context.config.findPartyById(a->party_id);
    const Party* gemeente = s.context.config.findPartyById(configured.gemeente_id);
    const bool valid = a->valid_from <= today && today <= a->valid_until;
    const bool future = today < a->valid_from;
    out += "<tr><td><code>" + escape(a->id) + "</code></td><td>" + escape(party ? party->name : a->party_id) +
           "</td><td>" + escape(gemeente ? gemeente->name : a->gemeente_cbs_code) + "</td><td>" +
           escape(a->purpose_id) + "</td><td>" + escape(plain_dutch::dateTime(formatIsoDate(a->valid_from))) +
           " tot en met " + escape(plain_dutch::dateTime(formatIsoDate(a->valid_until))) + "</td><td>" +
           escape(a->document_ref) + "</td><td class=\"" + (valid ? "status-good" : "status-warn") + "\">" +
           (valid    ? "geldig"
            : future ? "nog niet ingegaan"
                     : "verlopen") +
           "</td></tr>";
    ++shown;
  }
  if (shown == 0) out += "<tr><td colspan=\"7\">Geen overeenkomsten.</td></tr>";
  out += "</tbody></table>";
  return out;
}

// ---------------------------------------------------------------- verification

std::string headsBlock(ConsoleState& s) {
  std::string witness;
  try {
    for (const auto& [node, head] : s.context.store.signedHeads()) witness += signedHeadJson(head, node) + "\n";
  } catch (const std::exception&) {
    return "<p class=\"status-bad\">De ondertekende stand is niet te lezen.</p>";
  }
  if (witness.empty()) return "<p>Het logboek heeft nog geen ondertekende stand.</p>";
  return "<h2>De ondertekende stand, om te bewaren</h2><p>Bewaar deze regel(s) buiten de gateway (bijvoorbeeld in uw "
         "dossier). Een latere controle met <code>ketenpoort log verify --witness</code> bewijst dan dat het logboek "
         "sindsdien alleen is aangevuld.</p><pre class=\"witness\">" +
         escape(witness) + "</pre>";
}

// The pseudonym key of each year (ADR 0020): which years can still be linked to a person.
std::string keysBlock(ConsoleState& s) {
  std::vector<PseudonymKeyring::PeriodStatus> periods;
  try {
    periods = s.context.store.pseudonymKeys().periods();
  } catch (const std::exception& e) {
    logWarn("console-keys-unreadable", {{"error", e.what()}});
    return "<p>De sleutels van de pseudoniemen zijn nu niet te lezen.</p>";
  }
  std::string out =
      "<h2>Sleutels van de pseudoniemen</h2><p>Een record noemt een persoon met een pseudoniem, gemaakt met de sleutel "
      "van het jaar waarin zijn bewaartermijn eindigt. Is dat jaar voorbij, dan vernietigt de opschoning die sleutel: "
      "wat van dat jaar over is, is aan niemand meer te koppelen.</p><table><thead><tr><th scope=\"col\">Jaar</th>"
      "<th scope=\"col\">Gemaakt</th><th scope=\"col\">Vernietigd</th></tr></thead><tbody>";
  for (const auto& p : periods) {
    out += "<tr><td>" + std::to_string(p.period) + "</td><td>" + escape(plain_dutch::dateTime(p.created_utc)) +
           "</td><td>" + (p.destroyed_utc.empty() ? "nog in gebruik" : escape(plain_dutch::dateTime(p.destroyed_utc))) +
           "</td></tr>";
  }
  return out + "</tbody></table>";
}

Result<std::string> verifyFormPage(ConsoleState& s, const ApiRequest& request, const Officer& officer,
                                   html::Frame& frame) {
  frame.title = "Controle van het logboek";
  if (!request.query.empty()) return problems::invalidQuery("this page takes no parameters");
  std::string out =
      "<p class=\"intro\">De controle leest het hele logboek: elk record, de keten van hashes, de "
      "ondertekende tussenstanden en de laatste ondertekende stand. Een gewijzigd, verwijderd of "
      "ingevoegd record wordt zo gevonden. Bij veel records duurt dit enkele seconden.</p>";
  {
    std::lock_guard lock(s.seen_mutex);
    if (s.last_verification) {
      const auto& v = *s.last_verification;
      out +=
          "<h2>Laatste controle</h2><p>" + escape(plain_dutch::dateTime(v.at)) + ", door " + escape(v.by) + ": " +
          (v.intact ? "<span class=\"status-good\">in orde</span>" : "<span class=\"status-bad\">NIET in orde</span>") +
          "</p><pre class=\"witness\">" + escape(v.summary) + "</pre>";
    }
  }
  out += "<form method=\"post\" action=\"/console/controle\">" + formToken(s, officer) +
         "<button type=\"submit\">Controleer het logboek nu</button></form>";
  out += headsBlock(s);
  out += keysBlock(s);
  return out;
}

Result<std::string> verifyPage(ConsoleState& s, const ApiRequest& request, const Officer& officer, html::Frame& frame) {
  frame.title = "Controle van het logboek";
  auto fields = s.forms.accept(request, officer.person.oin.str(), s.context.clock.now());
  if (!fields.ok()) return fields.problem();
  if (!fields->empty()) return problems::invalidQuery("the form takes no fields");
  if (!recorded(s, officer, "controle", "", {})) return problems::logUnavailable();
  if (s.verifying.exchange(true)) {
    return std::string(
        "<p class=\"notice\" role=\"status\">Er loopt al een controle. Open deze pagina over enkele seconden "
        "opnieuw.</p><p><a href=\"/console/controle\">Naar de controle</a></p>");
  }
  const StoreLogCheck check = s.context.store.verifyLog();
  s.verifying = false;
  VerificationSeen seen;
  seen.at = s.context.clock.nowRfc3339();
  seen.by = officer.person.name;
  seen.intact = check.intact;
  for (const auto& chain : check.chains) {
    const LogVerification& v = chain.verification;
    seen.records += v.records_checked;
    seen.summary +=
        (chain.node.empty() ? std::string("logboek") : "knooppunt " + chain.node) + ": " +
        (v.intact
             ? "in orde, " + std::to_string(v.records_checked) + " records en " +
                   std::to_string(v.checkpoints_checked) + " ondertekende tussenstanden gecontroleerd" +
                   (v.purges_checked > 0
                        ? "; " + std::to_string(v.records_purged) + " records verwijderd na hun bewaartermijn, onder " +
                              std::to_string(v.purges_checked) + " ondertekende verwijderverklaring(en)"
                        : std::string())
             : "NIET in orde na " + std::to_string(v.records_checked) + " goede records" +
                   (v.first_bad_sequence ? ", eerste foute record " + std::to_string(*v.first_bad_sequence)
                                         : std::string()) +
                   ": " + v.problem) +
        (chain.key_from_database ? " (met de sleutel die de database voor dit knooppunt kent)" : "") + "\n";
  }
  if (!check.problem.empty()) seen.summary += check.problem + "\n";
  {
    std::lock_guard lock(s.seen_mutex);
    s.last_verification = seen;
  }
  std::string out = std::string("<div class=\"") + (check.intact ? "notice" : "error") + "\" role=\"status\"><p>" +
                    (check.intact ? "<span class=\"status-good\">Het logboek is in orde.</span>"
                                  : "<span class=\"status-bad\">Het logboek is NIET in orde.</span> Meld dit direct "
                                    "bij de beheerder en bewaar deze pagina.") +
                    "</p><pre class=\"witness\">" + escape(seen.summary) + "</pre></div>";
  out += headsBlock(s);
  out += keysBlock(s);
  return out;
}

// ---------------------------------------------------------------- the access trail

Result<std::string> accessTrailPage(ConsoleState& s, const ApiRequest& request, const Officer& officer,
                                    html::Frame& frame) {
  frame.title = "Wie keek wat in";
  const auto params = parseQueryString(request.query);
  if (!params) return problems::invalidQuery("malformed or repeated query parameter");
  std::optional<std::uint64_t> before;
  for (const auto& [key, value] : *params) {
    if (key != "voor" || !parseRecordNumber(value))
      return problems::invalidQuery("this page takes voor, a record number");
    before = parseRecordNumber(value);
  }
  if (!recorded(s, officer, "toegang", "", {before ? "before=" + std::to_string(*before) : "first-page"})) {
    return problems::logUnavailable();
  }
  // Every officer of the organisation: their OIN is the sender of their queries' records
  // (an officer sends nothing else), so each officer's index holds exactly their trail.
  std::vector<LoggedExchange> trail;
  for (const Party& party : s.context.config.parties) {
    if (party.role != PartyRole::kPrivacyOfficer || party.organisation != officer.organisation.id) continue;
    ExchangeQuery f;
    f.organisation_oin = party.oin.str();
    f.flow = std::string(internal_flows::kAuditQuery);
    f.newest_first = true;
    f.before_sequence = before;
    f.limit = kPageRows;
    for (auto& e : s.context.store.log().findExchanges(f)) {
      if (e.record.recipient_oin == officer.organisation.oin.str()) trail.push_back(std::move(e));
    }
  }
  std::sort(trail.begin(), trail.end(), [](const auto& a, const auto& b) { return a.sequence > b.sequence; });
  const bool more = trail.size() > kPageRows;
  if (more) trail.resize(kPageRows);
  std::string out =
      "<p class=\"intro\">Elke raadpleging in deze console en via de audit-API staat in het logboek, "
      "vóórdat er iets getoond wordt. Hier ziet u die van de functionarissen van " +
      escape(officer.organisation.name) + ", nieuwste eerst.</p>";
  out +=
      "<table><thead><tr><th scope=\"col\">Record</th><th scope=\"col\">Tijd</th><th scope=\"col\">Wie</th>"
      "<th scope=\"col\">Wat</th><th scope=\"col\">Over een persoon</th><th scope=\"col\">Zoekopdracht</th></tr>"
      "</thead><tbody>";
  for (const auto& e : trail) {
    const ExchangeRecord& r = e.record;
    std::string terms;
    for (const auto& term : r.fields_delivered) terms += (terms.empty() ? "" : ", ") + term;
    std::string what = r.purpose.starts_with("audit:") ? r.purpose.substr(6) : r.purpose;
    out += "<tr><td>" + std::to_string(e.sequence) + "</td><td>" + escape(plain_dutch::dateTime(r.time_utc)) +
           "</td><td>" + escape(partyName(s.context.config, r.sender_oin)) + "</td><td>" + escape(what) + "</td><td>" +
           (r.subject_ref.empty() ? "nee" : "ja, " + pseudonym(r.subject_ref)) + "</td><td><code>" + escape(terms) +
           "</code></td></tr>";
  }
  out += "</tbody></table>";
  if (more || trail.size() == kPageRows) {
    out += "<nav class=\"pager\" aria-label=\"Pagina's\"><a class=\"button\" rel=\"next\" href=\"" +
           escape(html::link("/console/toegang", {{"voor", std::to_string(trail.back().sequence)}})) +
           "\">Oudere raadplegingen</a></nav>";
  }
  return out;
}

// ---------------------------------------------------------------- wiring

// One console request: on the blocking pool (pages read the database and wait for their
// record), with the officer's organisation, the security headers on every answer.
RequestTask consoleRequest(std::shared_ptr<ConsoleState> state, std::string current, PageBody body,
                           ApiRequest request) {
  ConsoleState& s = *state;
  co_await ResumeOn(s.context.run_blocking);
  html::Frame frame;
  frame.current = current;
  frame.officer = request.caller->name;
  const Party* organisation = s.context.config.findPartyById(request.caller->organisation.value_or(""));
  ApiResponse response;
  if (!organisation) {
    response = problemPage(problems::roleNotAllowed("the caller serves no configured organisation"), frame);
  } else {
    frame.organisation = organisation->name;
    const Officer officer{*request.caller, *organisation};
    try {
      const auto content = body(s, request, officer, frame);
      response = content.ok() ? htmlResponse(200, html::page(frame, *content)) : problemPage(content.problem(), frame);
    } catch (const std::runtime_error&) {
      // The store could not be read (the error is the store's; it names no person).
      response = problemPage(problems::logUnavailable(), frame);
    }
  }
  addConsoleSecurityHeaders(response);
  co_return response;
}

void addPage(Router& router, const std::shared_ptr<ConsoleState>& state, const std::string& method,
             const std::string& path, const std::string& current, const PageBody& body) {
  router.addAsync(method, path, [state, current, body](ApiRequest request, Router::Respond respond) {
    consoleRequest(state, current, body, std::move(request)).start(std::move(respond));
  });
}

}  // namespace

void addConsoleRoutes(Router& router, const ConsoleContext& context) {
  const auto state = std::make_shared<ConsoleState>(context);
  router.add("GET", "/", [](const ApiRequest&) {
    ApiResponse r;
    r.status = 303;
    r.content_type = "text/plain; charset=utf-8";
    r.headers.emplace_back("Location", "/console");
    addConsoleSecurityHeaders(r);
    return r;
  });
  router.add("GET", "/console/console.css", [](const ApiRequest&) {
    ApiResponse r;
    r.content_type = "text/css; charset=utf-8";
    r.body = std::string(kConsoleStylesheet);
    addConsoleSecurityHeaders(r);
    return r;
  });
  addPage(router, state, "GET", "/console", "/console", overviewPage);
  addPage(router, state, "GET", "/console/", "/console", overviewPage);
  addPage(router, state, "GET", "/console/uitwisselingen", "/console/uitwisselingen", searchPage);
  addPage(router, state, "GET", "/console/uitwisselingen/{volgnummer}", "/console/uitwisselingen", exchangePage);
  addPage(router, state, "GET", "/console/inzage", "/console/inzage", inzageFormPage);
  addPage(router, state, "POST", "/console/inzage", "/console/inzage", inzagePage);
  addPage(router, state, "GET", "/console/toestemmingen", "/console/toestemmingen", consentsPage);
  addPage(router, state, "GET", "/console/controle", "/console/controle", verifyFormPage);
  addPage(router, state, "POST", "/console/controle", "/console/controle", verifyPage);
  addPage(router, state, "GET", "/console/toegang", "/console/toegang", accessTrailPage);
}

}  // namespace ketenpoort
