#include <algorithm>

#include "gateway/audit/audit_queries.hpp"
#include "gateway/console/console_pages.hpp"
#include "gateway/console/plain_dutch.hpp"
#include "gateway/diagnostics/diagnostic_log.hpp"

namespace ketenpoort::console {

using html::Markup;
using html::text;

std::string partyName(const GatewayConfig& config, const std::string& oin) {
  const auto parsed = Oin::parse(oin);
  const Party* party = parsed ? config.findPartyByOin(*parsed) : nullptr;
  return party ? party->name : "OIN " + oin;
}

bool recorded(ConsoleState& s, const Officer& officer, const std::string& page, const std::string& subject_ref,
              std::vector<std::string> description, bool subject_ref_filed) {
  description.insert(description.begin(), "organisation=" + officer.organisation.oin.str());
  return recordAuditQuery(s.context.store.log(), officer.person.oin.str(), "console:" + page,
                          officer.organisation.oin.str(), subject_ref, std::move(description), subject_ref_filed)
      .ok;
}

Markup formToken(ConsoleState& s, const Officer& officer) {
  Markup out;
  out << "<input type=\"hidden\" name=\"formulier\" value=\""
      << text(s.forms.issue(officer.person.oin.str(), s.context.clock.now())) << "\">";
  return out;
}

Markup pseudonym(const std::string& subject_ref) {
  if (subject_ref.empty()) return Markup("geen");
  Markup out;
  out << "<code>" << text(subject_ref.substr(0, 12)) << "…</code>";
  return out;
}

namespace {

// Labels in the order first seen, a repeated group's fields once with how often
// ("voornamen (gezin.leden), 4 keer").
Markup labelList(const std::vector<std::string>& labels, Markup list_start) {
  std::vector<std::pair<std::string, int>> counted;
  for (const auto& label : labels) {
    const auto it = std::find_if(counted.begin(), counted.end(), [&label](const auto& e) { return e.first == label; });
    if (it == counted.end()) {
      counted.emplace_back(label, 1);
    } else {
      ++it->second;
    }
  }
  Markup out = std::move(list_start);
  for (const auto& [label, count] : counted) {
    out << "<li>" << text(label);
    if (count > 1) out << ", " << count << " keer";
    out << "</li>";
  }
  out << "</ul>";
  return out;
}

}  // namespace

Markup fieldList(const std::vector<std::string>& fields) {
  if (fields.empty()) return Markup("<p>Geen.</p>");
  std::vector<std::string> labels;
  labels.reserve(fields.size());
  for (const auto& field : fields) labels.push_back(plain_dutch::fieldLabel(field));
  return labelList(labels, Markup("<ul>"));
}

Markup withheldList(const std::vector<WithheldField>& fields) {
  if (fields.empty()) return Markup("<p>Niets.</p>");
  std::vector<std::string> labels;
  labels.reserve(fields.size());
  for (const auto& w : fields)
    labels.push_back(plain_dutch::fieldLabel(w.field) + ": " + plain_dutch::reason(w.reason));
  return labelList(labels, Markup("<ul class=\"withheld\">"));
}

LogKeeping readLogKeeping(ConsoleState& s) {
  LogKeeping keeping;
  try {
    std::string witness;
    for (const auto& [node, head] : s.context.store.signedHeads()) witness += signedHeadJson(head, node) + "\n";
    keeping.witness = std::move(witness);
  } catch (const std::exception&) {  // shown as unreadable
  }
  try {
    keeping.keys = s.context.store.pseudonymKeys().periods();
  } catch (const std::exception& e) {
    logWarn("console-keys-unreadable", {{"error", e.what()}});
  }
  return keeping;
}

// The pseudonym key of each year (ADR 0020): which years can still be linked to a person.
Markup renderLogKeeping(const LogKeeping& keeping) {
  Markup out;
  if (!keeping.witness) {
    out << "<p class=\"status-bad\">De ondertekende stand is niet te lezen.</p>";
  } else if (keeping.witness->empty()) {
    out << "<p>Het logboek heeft nog geen ondertekende stand.</p>";
  } else {
    out << "<h2>De ondertekende stand, om te bewaren</h2><p>Bewaar deze regel(s) buiten de gateway (bijvoorbeeld in "
           "uw dossier). Een latere controle met <code>ketenpoort log verify --witness</code> bewijst dan dat het "
           "logboek sindsdien alleen is aangevuld.</p><pre class=\"witness\">"
        << text(*keeping.witness) << "</pre>";
  }
  if (!keeping.keys) {
    out << "<p>De sleutels van de pseudoniemen zijn nu niet te lezen.</p>";
    return out;
  }
  out << "<h2>Sleutels van de pseudoniemen</h2><p>Een record noemt een persoon met een pseudoniem, gemaakt met de "
         "sleutel van het jaar waarin zijn bewaartermijn eindigt. Is dat jaar voorbij, dan vernietigt de opschoning "
         "die sleutel: wat van dat jaar over is, is aan niemand meer te koppelen.</p><table><thead><tr>"
         "<th scope=\"col\">Jaar</th><th scope=\"col\">Gemaakt</th><th scope=\"col\">Vernietigd</th></tr></thead>"
         "<tbody>";
  for (const auto& p : *keeping.keys) {
    out << "<tr><td>" << p.period << "</td><td>" << text(plain_dutch::dateTime(p.created_utc)) << "</td><td>"
        << text(p.destroyed_utc.empty() ? std::string("nog in gebruik") : plain_dutch::dateTime(p.destroyed_utc))
        << "</td></tr>";
  }
  out << "</tbody></table>";
  return out;
}

}  // namespace ketenpoort::console
