// GET/POST /console/inzage (one person's exchanges, AVG art. 15) and
// GET /console/toestemmingen (consents and agreements).
#include <map>

#include "gateway/console/console_pages.hpp"
#include "gateway/console/plain_dutch.hpp"
#include "gateway/identity/bsn.hpp"

namespace ketenpoort::console {

namespace {

using html::Markup;
using html::text;

Markup inzageForm(ConsoleState& s, const Officer& officer) {
  Markup out;
  out << "<form class=\"stacked\" method=\"post\" action=\"/console/inzage\">" << formToken(s, officer)
      << "<div><label for=\"bsn\">Burgerservicenummer van de persoon</label>"
         "<span class=\"hint\" id=\"bsn-uitleg\">Negen cijfers. Het nummer gaat niet in het adres van de pagina en "
         "niet in de geschiedenis van de browser; het logboek bewaart alleen een pseudoniem.</span>"
         "<input id=\"bsn\" name=\"bsn\" inputmode=\"numeric\" autocomplete=\"off\" maxlength=\"9\" "
         "aria-describedby=\"bsn-uitleg\" required></div><div><button type=\"submit\">Toon de uitwisselingen"
         "</button></div></form>";
  return out;
}

// ---- inzage: what was found

struct InzageView {
  const ConsoleState& state;
  const Party& organisation;
  std::string masked_bsn;  // "•••••" and the last four digits
  std::string today;
  std::vector<LoggedExchange> exchanges;
};

Markup renderInzageExchange(const InzageView& v, const LoggedExchange& e, const std::string& other) {
  const ExchangeRecord& r = e.record;
  const bool outgoing = r.sender_oin == v.organisation.oin.str();
  Markup out;
  out << "<div class=\"exchange-item\"><h3>" << text(plain_dutch::dateTime(r.time_utc)) << ": " << text(r.flow)
      << "</h3><p>" << text(outgoing ? v.organisation.name + " aan " + other : other + " aan " + v.organisation.name)
      << ". Doel: " << text(plain_dutch::purpose(v.state.context.catalogue, r.purpose))
      << ". Grond: " << text(r.legal_basis) << ".</p>";
  if (r.outcome == ExchangeOutcome::kRefused || r.outcome == ExchangeOutcome::kFailed) {
    out << "<p><strong>Niet doorgegeven</strong>: " << text(plain_dutch::reason(r.reason))
        << ". Er zijn geen gegevens verstrekt.</p>";
  } else {
    out << "<p><strong>Doorgegeven:</strong></p>" << fieldList(r.fields_delivered);
  }
  if (!r.fields_withheld.empty()) out << "<p><strong>Achtergehouden:</strong></p>" << withheldList(r.fields_withheld);
  out << "<p class=\"hint no-print\"><a href=\"/console/uitwisselingen/" << e.sequence << "\">Record " << e.sequence
      << "</a></p></div>";
  return out;
}

Markup renderInzage(const InzageView& v) {
  Markup out;
  out << "<p class=\"print-only\">Geachte heer, mevrouw,</p>"
      << "<p class=\"intro\">Hieronder staat welke gegevens over de persoon met burgerservicenummer "
      << text(v.masked_bsn) << " via de ketenpoort zijn uitgewisseld door of met " << text(v.organisation.name)
      << ", met het doel, de wettelijke grond en wat niet is doorgegeven. Zorg- en medische gegevens worden nooit "
         "doorgegeven; u ziet hieronder waar ze zijn tegengehouden.</p>"
         "<p class=\"no-print\">Gebruik de afdrukfunctie van de browser om dit als brief af te drukken. "
         "<a href=\"/console/inzage\">Een andere persoon</a></p>";
  if (v.exchanges.empty()) {
    out << "<p>Er zijn geen uitwisselingen over deze persoon.</p>";
    return out;
  }
  // Per other organisation: whom the data went to or came from.
  std::map<std::string, std::vector<const LoggedExchange*>> groups;
  for (const auto& e : v.exchanges) {
    const std::string& other =
        e.record.sender_oin == v.organisation.oin.str() ? e.record.recipient_oin : e.record.sender_oin;
    groups[partyName(v.state.context.config, other)].push_back(&e);
  }
  out << "<p>" << v.exchanges.size() << " uitwisseling(en), met " << groups.size() << " organisatie(s)";
  if (v.exchanges.size() == kInzageMax) out << " (de eerste " << kInzageMax << ")";
  out << ".</p>";
  for (const auto& [organisation, items] : groups) {
    out << "<section class=\"organisation-group\"><h2>" << text(organisation) << "</h2>";
    for (const LoggedExchange* e : items) out << renderInzageExchange(v, *e, organisation);
    out << "</section>";
  }
  out << "<p class=\"print-only\">Met vriendelijke groet,<br><br>De functionaris gegevensbescherming van "
      << text(v.organisation.name) << "</p>";
  return out;
}

Markup letterHead(const InzageView& v) {
  Markup out;
  out << "<p class=\"sender\">" << text(v.organisation.name)
      << "</p><p>Functionaris gegevensbescherming</p><p>Datum: " << text(plain_dutch::dateTime(v.today))
      << "</p><p>Betreft: uw verzoek om inzage (artikel 15 AVG)<br>Burgerservicenummer: " << text(v.masked_bsn)
      << "</p>";
  return out;
}

// ---- consents and agreements

struct AgreementRow {
  AgreementEntry agreement;
  std::string party;     // its name (the id when not configured)
  std::string gemeente;  // its name (the CBS code when not configured)
};

struct ConsentsView {
  std::string organisation;
  CivilDate today;
  std::vector<ConsentEntry> consents;  // those given to the organisation
  std::vector<AgreementRow> agreements;
};

Markup consentRows(const ConsentsView& v) {
  Markup out;
  for (const auto& c : v.consents) {
    const ConsentStatus status = c.statusOn(v.today);
    out << "<tr><td><code>" << text(c.id) << "</code></td><td>" << text(c.purpose_id) << "</td><td>"
        << pseudonym(c.subject_ref) << "</td><td>" << text(c.evidence_ref) << "</td><td>"
        << text(plain_dutch::dateTime(c.granted)) << "</td><td>"
        << text(c.expires.empty() ? std::string("geen einddatum") : plain_dutch::dateTime(c.expires)) << "</td><td>"
        << text(c.withdrawn.empty() ? std::string("nee") : plain_dutch::dateTime(c.withdrawn)) << "</td><td class=\""
        << (status == ConsentStatus::kActive ? Markup("status-good") : Markup("status-warn")) << "\">"
        << text(plain_dutch::consentStatus(status)) << "</td></tr>";
  }
  if (v.consents.empty()) out << "<tr><td colspan=\"8\">Geen toestemmingen.</td></tr>";
  return out;
}

Markup agreementRows(const ConsentsView& v) {
  Markup out;
  for (const AgreementRow& row : v.agreements) {
    const AgreementEntry& a = row.agreement;
    const bool valid = a.valid_from <= v.today && v.today <= a.valid_until;
    const bool future = v.today < a.valid_from;
    out << "<tr><td><code>" << text(a.id) << "</code></td><td>" << text(row.party) << "</td><td>" << text(row.gemeente)
        << "</td><td>" << text(a.purpose_id) << "</td><td>" << text(plain_dutch::dateTime(formatIsoDate(a.valid_from)))
        << " tot en met " << text(plain_dutch::dateTime(formatIsoDate(a.valid_until))) << "</td><td>"
        << text(a.document_ref) << "</td><td class=\""
        << (valid    ? Markup("status-good\">geldig")
            : future ? Markup("status-warn\">nog niet ingegaan")
                     : Markup("status-warn\">verlopen"))
        << "</td></tr>";
  }
  if (v.agreements.empty()) out << "<tr><td colspan=\"7\">Geen overeenkomsten.</td></tr>";
  return out;
}

Markup renderConsents(const ConsentsView& v) {
  Markup out;
  out << "<h2>Toestemmingen van personen voor " << text(v.organisation)
      << "</h2><table><thead><tr><th scope=\"col\">Kenmerk</th><th scope=\"col\">Doel</th>"
         "<th scope=\"col\">Persoon (pseudoniem)</th><th scope=\"col\">Bewijs</th><th scope=\"col\">Gegeven</th>"
         "<th scope=\"col\">Verloopt</th><th scope=\"col\">Ingetrokken</th><th scope=\"col\">Stand</th></tr>"
         "</thead><tbody>"
      << consentRows(v)
      << "</tbody></table><h2>Overeenkomsten</h2><table><thead><tr><th scope=\"col\">Kenmerk</th><th "
         "scope=\"col\">Organisatie</th><th scope=\"col\">Gemeente</th><th scope=\"col\">Doel</th><th "
         "scope=\"col\">Geldig</th><th scope=\"col\">Document</th><th scope=\"col\">Stand</th></tr></thead><tbody>"
      << agreementRows(v) << "</tbody></table>";
  return out;
}

}  // namespace

Result<Markup> inzageFormPage(ConsoleState& s, const ApiRequest& request, const Officer& officer, html::Frame& frame) {
  frame.title = "Inzage voor een persoon";
  if (!request.query.empty()) {
    return request.query.find("bsn") != std::string::npos ? problems::bsnInUrl("POST /console/inzage")
                                                          : problems::invalidQuery("this page takes no parameters");
  }
  Markup out(
      "<p class=\"intro\">Een persoon heeft recht op inzage (artikel 15 AVG): welke organisaties gegevens "
      "over hem of haar kregen, welke, waarom en op welke grond, en wat is achtergehouden. Vul het "
      "burgerservicenummer in; de uitkomst kunt u afdrukken als brief.</p>");
  out << inzageForm(s, officer);
  return out;
}

Result<Markup> inzagePage(ConsoleState& s, const ApiRequest& request, const Officer& officer, html::Frame& frame) {
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
  InzageView v{s, officer.organisation, "•••••" + bsn.substr(5), formatIsoDate(s.context.clock.today()),
               s.context.store.log().findExchanges(f)};
  frame.letter_head = letterHead(v);
  return renderInzage(v);
}

Result<Markup> consentsPage(ConsoleState& s, const ApiRequest& request, const Officer& officer, html::Frame& frame) {
  frame.title = "Toestemmingen en overeenkomsten";
  if (!request.query.empty()) return problems::invalidQuery("this page takes no parameters");
  if (!recorded(s, officer, "toestemmingen", "", {})) return problems::logUnavailable();
  ConsentsView v{officer.organisation.name, s.context.clock.today(), {}, {}};
  for (auto& c : s.context.store.registries().listConsentsByReference(std::nullopt)) {
    if (c.recipient_oin == officer.organisation.oin.str()) v.consents.push_back(std::move(c));
  }
  for (const AgreementConfig& configured : s.context.config.agreements) {
    if (configured.party_id != officer.organisation.id && configured.gemeente_id != officer.organisation.id) continue;
    auto a = s.context.store.registries().agreement(configured.id);
    if (!a) continue;
    const Party* party = s.context.config.findPartyById(a->party_id);
    const Party* gemeente = s.context.config.findPartyById(configured.gemeente_id);
    std::string party_name = party ? party->name : a->party_id;
    std::string gemeente_name = gemeente ? gemeente->name : a->gemeente_cbs_code;
    v.agreements.push_back({std::move(*a), std::move(party_name), std::move(gemeente_name)});
  }
  return renderConsents(v);
}

}  // namespace ketenpoort::console
