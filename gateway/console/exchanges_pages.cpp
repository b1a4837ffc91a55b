// GET /console/uitwisselingen (search) and /console/uitwisselingen/{volgnummer} (one exchange).
#include <map>

#include "gateway/api/query_string.hpp"
#include "gateway/audit/audit_queries.hpp"
#include "gateway/console/console_pages.hpp"
#include "gateway/console/plain_dutch.hpp"

namespace ketenpoort::console {

namespace {

using html::Markup;
using html::text;

// A filtered search looks through at most this many record numbers per page: a filter
// that matches little (or nothing) costs a bounded walk through the organisation's index,
// not the whole log; the page then offers to search on in older records.
constexpr std::uint64_t kSearchWindow = 50'000;

// ---- search: parameters

struct SearchParameters {
  ExchangeQuery filter;
  std::map<std::string, std::string> shown;  // the form's values as given
  std::string value(const char* key) const {
    const auto it = shown.find(key);
    return it == shown.end() ? std::string() : it->second;
  }
};

// The console's word for each condition of a search.
constexpr std::pair<std::string_view, SearchCondition> kConditions[] = {
    {"van", SearchCondition::kFrom},     {"tot", SearchCondition::kTo},           {"stroom", SearchCondition::kFlow},
    {"partij", SearchCondition::kParty}, {"uitkomst", SearchCondition::kOutcome}, {"voor", SearchCondition::kBefore}};

// One parameter into the filter, or what is wrong with it.
std::optional<Problem> applySearchParameter(const ConsoleState& s, const std::string& key, const std::string& value,
                                            ExchangeQuery& f) {
  for (const auto& [word, condition] : kConditions) {
    if (word != key) continue;
    const auto wrong = narrowSearch({s.context.config, s.context.catalogue}, condition, word, value, f);
    return wrong ? std::optional<Problem>(problems::invalidQuery(*wrong)) : std::nullopt;
  }
  return problems::invalidQuery("an unknown parameter; this page takes van, tot, stroom, partij, uitkomst, voor");
}

Result<SearchParameters> searchParameters(const ConsoleState& s, const ApiRequest& request, const Officer& officer) {
  const auto params = parseQueryString(request.query);
  if (!params) return problems::invalidQuery("malformed or repeated query parameter");
  if (params->contains("bsn")) return problems::bsnInUrl("POST /console/inzage");
  SearchParameters p;
  p.filter.organisation_oin = officer.organisation.oin.str();
  p.filter.exchanges_only = true;
  p.filter.newest_first = true;
  p.filter.limit = kPageRows;
  for (const auto& [key, value] : *params) {
    if (value.empty()) continue;  // an empty field of the form: no filter
    if (auto problem = applySearchParameter(s, key, value, p.filter)) return std::move(*problem);
    p.shown[key] = value;
  }
  return p;
}

// ---- search: what was found

struct SearchView {
  const SearchParameters& parameters;
  std::vector<LoggedExchange> page;
  std::optional<std::uint64_t> window_start;  // a filter searched from here up
  const ConsoleState& state;
};

// A filter: one window of record numbers, below `voor` or the organisation's newest.
std::optional<std::uint64_t> searchWindow(ConsoleState& s, ExchangeQuery& f) {
  if (!(f.flow || f.outcome || f.party_oin || f.from_date || f.to_date)) return std::nullopt;
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
  if (upper <= kSearchWindow + 1) return std::nullopt;
  f.after_sequence = upper - kSearchWindow - 1;
  return *f.after_sequence + 1;
}

// ---- search: rendering

Markup searchForm(const SearchView& v) {
  const SearchParameters& p = v.parameters;
  Markup out;
  out << "<form class=\"filters\" method=\"get\" action=\"/console/uitwisselingen\">"
      << "<div><label for=\"van\">Van (datum)</label><input type=\"date\" id=\"van\" name=\"van\" value=\""
      << text(p.value("van")) << "\"></div>"
      << "<div><label for=\"tot\">Tot en met (datum)</label><input type=\"date\" id=\"tot\" name=\"tot\" value=\""
      << text(p.value("tot")) << "\"></div>"
      << "<div><label for=\"stroom\">Soort bericht</label><select id=\"stroom\" name=\"stroom\"><option value=\"\">"
         "alle</option>";
  const auto option = [&out](const std::string& value, const std::string& label, bool selected) {
    out << "<option value=\"" << text(value) << "\"" << (selected ? Markup(" selected") : Markup()) << ">"
        << text(label) << "</option>";
  };
  for (const auto& flow : v.state.context.catalogue.flows) option(flow->id, flow->id, p.value("stroom") == flow->id);
  out << "</select></div><div><label for=\"partij\">Organisatie</label><select id=\"partij\" name=\"partij\">"
         "<option value=\"\">alle</option>";
  for (const auto& party : v.state.context.config.parties) {
    if (party.role != PartyRole::kPrivacyOfficer) option(party.id, party.name, p.value("partij") == party.id);
  }
  out << "</select></div><div><label for=\"uitkomst\">Uitkomst</label><select id=\"uitkomst\" name=\"uitkomst\">"
         "<option value=\"\">alle</option>";
  for (const char* o : {"delivered", "queued", "refused", "failed"}) {
    option(o, plain_dutch::outcome(o), p.value("uitkomst") == o);
  }
  out << "</select></div><div><button type=\"submit\">Zoeken</button></div></form>";
  return out;
}

Markup searchPager(const SearchView& v) {
  const SearchParameters& p = v.parameters;
  // A pager link: the same filters, `voor` as given (empty: the newest).
  const auto pagerLink = [&p](const std::string& before, const Markup& css_class, const Markup& rel,
                              const Markup& label) {
    Markup a;
    a << "<a class=\"" << css_class << "\"" << rel << " href=\""
      << text(html::link("/console/uitwisselingen", {{"van", p.value("van")},
                                                     {"tot", p.value("tot")},
                                                     {"stroom", p.value("stroom")},
                                                     {"partij", p.value("partij")},
                                                     {"uitkomst", p.value("uitkomst")},
                                                     {"voor", before}}))
      << "\">" << label << "</a>";
    return a;
  };
  Markup out("<nav class=\"pager\" aria-label=\"Pagina's\">");
  if (p.shown.contains("voor")) out << pagerLink("", Markup("button secondary"), Markup(), Markup("Nieuwste"));
  if (v.page.size() < p.filter.limit && v.window_start) {
    out << "<p class=\"notice\">Gezocht tot en met record " << *v.window_start
        << "; oudere records zijn nog niet doorzocht.</p>"
        << pagerLink(std::to_string(*v.window_start), Markup("button"), Markup(" rel=\"next\""),
                     Markup("Verder zoeken in oudere records"));
  }
  if (v.page.size() == p.filter.limit) {
    out << pagerLink(std::to_string(v.page.back().sequence), Markup("button"), Markup(" rel=\"next\""),
                     Markup("Oudere uitwisselingen"));
  }
  out << "</nav>";
  return out;
}

Markup renderSearch(const SearchView& v) {
  const GatewayConfig& config = v.state.context.config;
  Markup out = searchForm(v);
  out << "<table><caption>Uitwisselingen, nieuwste eerst";
  if (v.parameters.shown.contains("voor")) out << " (vóór record " << text(v.parameters.shown.at("voor")) << ")";
  out << "</caption><thead><tr><th scope=\"col\">Record</th><th scope=\"col\">Tijd</th><th scope=\"col\">Soort "
         "bericht</th><th scope=\"col\">Van</th><th scope=\"col\">Aan</th><th scope=\"col\">Uitkomst</th>"
         "<th scope=\"col\" class=\"number\">Achtergehouden</th></tr></thead><tbody>";
  for (const auto& e : v.page) {
    const auto& r = e.record;
    out << "<tr><td><a href=\"/console/uitwisselingen/" << e.sequence << "\">" << e.sequence << "</a></td><td>"
        << text(plain_dutch::dateTime(r.time_utc)) << "</td><td>" << text(r.flow) << "</td><td>"
        << text(partyName(config, r.sender_oin)) << "</td><td>" << text(partyName(config, r.recipient_oin))
        << "</td><td>" << text(plain_dutch::outcome(toString(r.outcome)));
    if (!r.reason.empty()) out << ": " << text(plain_dutch::reason(r.reason));
    out << "</td><td class=\"number\">" << r.fields_withheld.size() << "</td></tr>";
  }
  if (v.page.empty()) out << "<tr><td colspan=\"7\">Geen uitwisselingen gevonden.</td></tr>";
  out << "</tbody></table>" << searchPager(v);
  return out;
}

// ---- one exchange

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

struct ExchangeView {
  const ConsoleState& state;
  const ExchangeRecord& record;
  std::optional<ConsentEntry> consent;
  std::optional<AgreementEntry> agreement;
  std::optional<OutboxEntry> delivery;  // only when it is this exchange's (isDeliveryOf)
};

Markup renderBasis(const ExchangeView& v) {
  const ExchangeRecord& r = v.record;
  Markup out;
  const auto fact = [&out](html::Tags term, const Markup& value) {
    out << "<dt>" << term << "</dt><dd>" << value << "</dd>";
  };
  if (!r.consent_id.empty()) {
    Markup consent;
    consent << "<code>" << text(r.consent_id) << "</code>";
    if (v.consent) {
      consent << ", bewijs: " << text(v.consent->evidence_ref) << ", gegeven op "
              << text(plain_dutch::dateTime(v.consent->granted));
    }
    fact("Toestemming", consent);
  }
  if (!r.agreement_id.empty()) {
    Markup agreement;
    agreement << "<code>" << text(r.agreement_id) << "</code>";
    if (v.agreement) agreement << ", document: " << text(v.agreement->document_ref);
    fact("Overeenkomst", agreement);
  }
  return out;
}

Markup renderDelivery(const ExchangeView& v) {
  Markup out("<h2>Aflevering</h2>");
  if (!v.delivery) {
    out << (v.record.outcome == ExchangeOutcome::kQueued
                ? Markup("<p>Geen gegevens over de aflevering meer.</p>")
                : Markup("<p>Er is niets afgeleverd: het antwoord ging direct terug, of het bericht werd "
                         "geweigerd.</p>"));
    return out;
  }
  const OutboxEntry& entry = *v.delivery;
  out << "<dl class=\"facts\"><dt>Stand</dt><dd>" << text(plain_dutch::deliveryState(toString(entry.state)))
      << "</dd><dt>Pogingen</dt><dd>" << entry.attempts << "</dd>";
  if (!entry.last_error.empty()) out << "<dt>Laatste fout</dt><dd><code>" << text(entry.last_error) << "</code></dd>";
  if (!entry.finished_utc.empty()) {
    out << "<dt>Afgerond</dt><dd>" << text(plain_dutch::dateTime(entry.finished_utc)) << "</dd>";
  }
  out << "</dl>";
  // A delivery into the gemeente's case system: what it made there, step by step.
  if (const auto steps = channelSteps(entry.channel_state); !steps.empty()) {
    out << "<h3>In het zaaksysteem van de gemeente</h3><dl class=\"facts\">";
    for (const auto& [step, reference] : steps) {
      out << "<dt>" << text(plain_dutch::channelStep(step)) << "</dt><dd><code>"
          << text(plain_dutch::channelReference(reference)) << "</code></dd>";
    }
    out << "</dl>";
  }
  return out;
}

Markup renderExchange(const ExchangeView& v) {
  const ExchangeRecord& r = v.record;
  const GatewayConfig& config = v.state.context.config;
  Markup out;
  out << "<dl class=\"facts\"><dt>Tijd</dt><dd>" << text(plain_dutch::dateTime(r.time_utc))
      << "</dd><dt>Soort bericht</dt><dd>" << text(r.flow) << "</dd><dt>Van</dt><dd>"
      << text(partyName(config, r.sender_oin)) << "</dd><dt>Aan</dt><dd>" << text(partyName(config, r.recipient_oin))
      << "</dd><dt>Doel</dt><dd>" << text(plain_dutch::purpose(v.state.context.catalogue, r.purpose)) << " (<code>"
      << text(r.purpose) << "</code>)</dd><dt>Grondslag</dt><dd>" << text(r.legal_basis) << "</dd>" << renderBasis(v)
      << "<dt>Over</dt><dd>een persoon, in het logboek alleen als pseudoniem " << pseudonym(r.subject_ref) << "</dd>";
  if (r.delivered_into.starts_with("zgw ")) {
    // The log's own word on where it went: the zaak's identificatie, fixed when it was queued.
    out << "<dt>Naar het zaaksysteem</dt><dd>zaak <code>" << text(r.delivered_into.substr(4)) << "</code></dd>";
  }
  out << "<dt>Uitkomst</dt><dd>" << text(plain_dutch::outcome(toString(r.outcome)));
  if (!r.reason.empty())
    out << ": " << text(plain_dutch::reason(r.reason)) << " (<code>" << text(r.reason) << "</code>)";
  out << "</dd><dt>Transactie</dt><dd><code>" << text(r.transaction_id) << "</code></dd><dt>Trace</dt><dd><code>"
      << text(r.trace_id) << "</code></dd><dt>Bewaard tot</dt><dd>" << text(plain_dutch::dateTime(r.retention_until))
      << "</dd></dl><h2>Doorgegeven gegevens</h2>" << fieldList(r.fields_delivered)
      << "<h2>Achtergehouden gegevens</h2>" << withheldList(r.fields_withheld) << renderDelivery(v);
  return out;
}

}  // namespace

Result<Markup> searchPage(ConsoleState& s, const ApiRequest& request, const Officer& officer, html::Frame& frame) {
  frame.title = "Uitwisselingen zoeken";
  auto parameters = searchParameters(s, request, officer);
  if (!parameters.ok()) return parameters.problem();
  ExchangeQuery& f = parameters->filter;
  if (!recorded(s, officer, "uitwisselingen", "", f.describe())) return problems::logUnavailable();
  SearchView v{*parameters, {}, searchWindow(s, f), s};
  v.page = s.context.store.log().findExchanges(f);
  return renderSearch(v);
}

Result<Markup> exchangePage(ConsoleState& s, const ApiRequest& request, const Officer& officer, html::Frame& frame) {
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
  ExchangeView v{s, r, std::nullopt, std::nullopt, std::nullopt};
  if (!r.consent_id.empty()) v.consent = s.context.store.registries().consent(r.consent_id);
  if (!r.agreement_id.empty()) v.agreement = s.context.store.registries().agreement(r.agreement_id);
  if (auto entry = s.context.store.outbox().find(r.transaction_id); entry && isDeliveryOf(*entry, r)) {
    v.delivery = std::move(entry);
  }
  return renderExchange(v);
}

}  // namespace ketenpoort::console
