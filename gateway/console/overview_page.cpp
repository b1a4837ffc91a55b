// GET /console: the organisation's figures, refusals, withheld fields, dead letters and
// the log's health.
#include <array>
#include <map>

#include "gateway/console/console_pages.hpp"
#include "gateway/console/plain_dutch.hpp"

namespace ketenpoort::console {

namespace {

using html::Markup;
using html::text;

constexpr std::size_t kDeadLettersShown = 10;
constexpr int kChartDays = 30;

struct SignedHeadSeen {
  std::string node;
  std::uint64_t sequence = 0;
  std::string created_utc;
};

// What the overview shows, as read.
struct OverviewView {
  std::string organisation;
  ExchangeStatistics::Summary summary;
  std::vector<OutboxEntry> dead_letters;
  std::vector<std::string> dead_letter_recipients;  // their names, in the same order
  CivilDate today;
  std::optional<std::vector<SignedHeadSeen>> heads;  // nullopt: unreadable
  std::optional<VerificationSeen> last_verification;
};

Markup chartSvg(const ExchangeStatistics::Summary& summary, const CivilDate& today) {
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
  Markup svg;
  svg << "<svg class=\"chart\" viewBox=\"0 0 " << kWidth << " " << kHeight
      << "\" role=\"img\" aria-labelledby=\"grafiek-titel\"><title id=\"grafiek-titel\">Uitwisselingen per dag, de "
         "laatste "
      << kChartDays << " dagen (de tabel hieronder geeft dezelfde cijfers)</title>"
      << "<line class=\"axis\" x1=\"" << kLeft << "\" y1=\"" << kBottom << "\" x2=\"" << kWidth << "\" y2=\"" << kBottom
      << "\"/>"
      << "<text x=\"0\" y=\"20\">" << highest << "</text><text x=\"0\" y=\"" << kBottom << "\">0</text>";
  static constexpr std::array<html::Tags, 3> kClasses{"bar-doorgegeven", "bar-geweigerd", "bar-mislukt"};
  for (std::size_t i = 0; i < days.size(); ++i) {
    const int x = kLeft + 4 + static_cast<int>(i) * kStep;
    double y = kBottom;
    for (std::size_t part = 0; part < 3; ++part) {
      const double h = static_cast<double>(days[i].second[part]) * (kBottom - 20) / static_cast<double>(highest);
      if (h <= 0) continue;
      y -= h;
      svg << "<rect class=\"" << kClasses[part] << "\" x=\"" << x << "\" y=\"" << text(std::to_string(y))
          << "\" width=\"" << kBar << "\" height=\"" << text(std::to_string(h)) << "\"/>";
    }
    if ((i % 7 == 0 && i + 4 < days.size()) || i + 1 == days.size()) {
      svg << "<text x=\"" << x << "\" y=\"" << kBottom + 16 << "\">" << text(days[i].first.substr(5)) << "</text>";
    }
  }
  svg << "</svg><ul class=\"legend\"><li><span class=\"swatch swatch-doorgegeven\"></span>doorgegeven of "
         "aangenomen</li><li><span class=\"swatch swatch-geweigerd\"></span>geweigerd</li>"
         "<li><span class=\"swatch swatch-mislukt\"></span>mislukt</li></ul>";
  return svg;
}

Markup logHealth(const OverviewView& v) {
  Markup out("<h2>Het logboek</h2><dl class=\"facts\">");
  if (!v.heads) {
    out << "<dt>Laatste ondertekende stand</dt><dd class=\"status-bad\">niet te lezen</dd>";
  } else if (v.heads->empty()) {
    out << "<dt>Laatste ondertekende stand</dt><dd>nog geen (het logboek is leeg)</dd>";
  }
  for (const SignedHeadSeen& head : v.heads.value_or(std::vector<SignedHeadSeen>{})) {
    out << "<dt>Laatste ondertekende stand";
    if (!head.node.empty()) out << " van knooppunt " << text(head.node);
    out << "</dt><dd>record " << head.sequence << ", " << text(plain_dutch::dateTime(head.created_utc)) << "</dd>";
  }
  out << "<dt>Laatste controle</dt><dd>";
  if (const auto& seen = v.last_verification) {
    out << (seen->intact ? Markup("<span class=\"status-good\">in orde</span>")
                         : Markup("<span class=\"status-bad\">NIET in orde</span>"))
        << ", " << text(plain_dutch::dateTime(seen->at)) << ", door " << text(seen->by);
  } else {
    out << "nog niet gedaan sinds de gateway startte";
  }
  out << " — <a href=\"/console/controle\">controleer nu</a></dd></dl>";
  return out;
}

Markup renderOverview(const OverviewView& v) {
  const ExchangeStatistics::Summary& summary = v.summary;
  std::uint64_t refused = 0;
  for (const auto& [key, count] : summary.refusals) refused += count;
  std::uint64_t withheld = 0;
  for (const auto& [key, count] : summary.withheld) withheld += count;
  Markup out;
  out << "<p class=\"intro\">Wat de gateway voor " << text(v.organisation)
      << " heeft uitgewisseld, geweigerd en achtergehouden. De cijfers tellen tot en met record "
      << summary.counted_until << " van het logboek.</p>"
      << "<div class=\"cards\"><p class=\"card\"><span class=\"figure\">" << summary.exchanges
      << "</span>uitwisselingen</p><p class=\"card\"><span class=\"figure\">" << refused
      << "</span>geweigerd</p><p class=\"card\"><span class=\"figure\">" << withheld
      << "</span>keer een gegeven achtergehouden</p><p class=\"card\"><span class=\"figure\">" << v.dead_letters.size()
      << "</span>niet af te leveren berichten</p></div>"
      << "<h2>Per dag</h2>" << chartSvg(summary, v.today)
      << "<h2>Per soort bericht en uitkomst</h2><table><thead><tr><th scope=\"col\">Soort bericht</th>";
  for (const char* o : {"delivered", "queued", "refused", "failed"}) {
    out << "<th scope=\"col\" class=\"number\">" << text(plain_dutch::outcome(o)) << "</th>";
  }
  out << "</tr></thead><tbody>";
  for (const auto& [flow, counts] : summary.per_flow) {
    out << "<tr><th scope=\"row\"><a href=\"" << text(html::link("/console/uitwisselingen", {{"stroom", flow}}))
        << "\">" << text(flow) << "</a></th>";
    for (const auto count : counts) out << "<td class=\"number\">" << count << "</td>";
    out << "</tr>";
  }
  if (summary.per_flow.empty()) out << "<tr><td colspan=\"5\">Nog geen uitwisselingen.</td></tr>";
  out << "</tbody></table><h2>Geweigerd, per reden</h2><table><thead><tr><th scope=\"col\">Soort bericht</th>"
         "<th scope=\"col\">Reden</th><th scope=\"col\" class=\"number\">Aantal</th></tr></thead><tbody>";
  for (const auto& [key, count] : summary.refusals) {
    out << "<tr><td>" << text(std::get<0>(key)) << "</td><td>" << text(plain_dutch::reason(std::get<1>(key)))
        << " (<code>" << text(std::get<1>(key)) << "</code>)</td><td class=\"number\">" << count << "</td></tr>";
  }
  if (summary.refusals.empty()) out << "<tr><td colspan=\"3\">Niets geweigerd.</td></tr>";
  out << "</tbody></table><h2>Achtergehouden gegevens, per reden</h2><table><thead><tr><th scope=\"col\">Soort "
         "bericht</th><th scope=\"col\">Gegeven</th><th scope=\"col\">Reden</th><th scope=\"col\" "
         "class=\"number\">Aantal</th></tr></thead><tbody>";
  for (const auto& [key, count] : summary.withheld) {
    out << "<tr><td>" << text(std::get<0>(key)) << "</td><td>" << text(plain_dutch::fieldLabel(std::get<1>(key)))
        << "</td><td>" << text(plain_dutch::reason(std::get<2>(key))) << "</td><td class=\"number\">" << count
        << "</td></tr>";
  }
  if (summary.withheld.empty()) out << "<tr><td colspan=\"4\">Niets achtergehouden.</td></tr>";
  out << "</tbody></table><h2>Niet af te leveren berichten</h2>";
  if (v.dead_letters.empty()) {
    out << "<p>Geen.</p>";
  } else {
    out << "<table><thead><tr><th scope=\"col\">Aangemaakt</th><th scope=\"col\">Soort bericht</th><th "
           "scope=\"col\">Aan</th><th scope=\"col\" class=\"number\">Pogingen</th><th scope=\"col\">Laatste "
           "fout</th></tr></thead><tbody>";
    for (std::size_t i = 0; i < v.dead_letters.size() && i < kDeadLettersShown; ++i) {
      const auto& e = v.dead_letters[i];
      out << "<tr><td>" << text(plain_dutch::dateTime(e.created_utc)) << "</td><td>" << text(e.flow) << "</td><td>"
          << text(v.dead_letter_recipients[i]) << "</td><td class=\"number\">" << e.attempts << "</td><td><code>"
          << text(e.last_error) << "</code></td></tr>";
    }
    out << "</tbody></table>";
  }
  out << logHealth(v);
  return out;
}

}  // namespace

Result<Markup> overviewPage(ConsoleState& s, const ApiRequest&, const Officer& officer, html::Frame& frame) {
  frame.title = "Overzicht";
  if (!recorded(s, officer, "overzicht", "", {})) return problems::logUnavailable();
  OverviewView v;
  v.organisation = officer.organisation.name;
  v.summary = s.context.statistics.summary(officer.organisation.oin.str());
  v.today = s.context.clock.today();
  DeliveryQuery dead;
  dead.organisation_oin = officer.organisation.oin.str();
  dead.state = DeliveryState::kDeadLetter;
  v.dead_letters = s.context.store.outbox().list(dead);
  for (const auto& e : v.dead_letters) v.dead_letter_recipients.push_back(partyName(s.context.config, e.recipient_oin));
  try {
    std::vector<SignedHeadSeen> heads;
    for (const auto& [node, head] : s.context.store.signedHeads()) {
      heads.push_back({node, head.sequence, head.created_utc});
    }
    v.heads = std::move(heads);
  } catch (const std::exception&) {  // shown as unreadable
  }
  {
    std::lock_guard lock(s.seen_mutex);
    v.last_verification = s.last_verification;
  }
  return renderOverview(v);
}

}  // namespace ketenpoort::console
