#include <iostream>

#include "gateway/audit/audit_queries.hpp"
#include "gateway/cli/commands.hpp"
#include "gateway/config/config_loader.hpp"
#include "gateway/gateway_store/gateway_store.hpp"
#include "gateway/mapping/mapping_loader.hpp"

namespace ketenpoort::cli {
namespace {

constexpr std::string_view kAuditUsage = R"(usage:
  ketenpoort audit exchanges --config FILE --as OFFICER-ID [--bsn BSN] [--from YYYY-MM-DD]
                             [--to YYYY-MM-DD] [--flow FLOW] [--party PARTY-ID]
                             [--outcome delivered|queued|refused|failed] [--format table|json|csv]
  ketenpoort audit refusals  --config FILE --as OFFICER-ID [--from …] [--to …] [--format …]
  ketenpoort audit withheld  --config FILE --as OFFICER-ID [--from …] [--to …] [--format …]
  ketenpoort audit deliveries --config FILE --as OFFICER-ID
                             [--state pending|postbus|delivered|dead-letter] [--flow FLOW]
                             [--party PARTY-ID] [--format …]
what each answers, and to whom: man ketenpoort (docs/man/ketenpoort.8)
)";

std::string join(const std::vector<std::string>& items, const char* separator) {
  std::string out;
  for (const auto& i : items) out += (out.empty() ? "" : separator) + i;
  return out;
}

// A query that cannot be recorded in the exchange log is not answered.
bool wasRecorded(const AppendResult& recorded) {
  if (!recorded.ok) {
    std::cerr << "the query could not be recorded in the exchange log, so it is not answered: " << recorded.error
              << "\n";
  }
  return recorded.ok;
}

// What the officer may see: exchanges in which the officer's organisation took part.
struct OfficerScope {
  const GatewayConfig& config;
  const Party& officer;
  MappingCatalogue catalogue;
  ExchangeQuery filter;
  std::string format;

  // The flags that narrow the search, each by the rule the API and the console use too.
  void narrow(const Flags& flags, std::initializer_list<std::pair<const char*, SearchCondition>> conditions,
              const SubjectReferencer* referencer = nullptr) {
    for (const auto& [flag, condition] : conditions) {
      const auto value = flags.value(flag);
      if (!value) continue;
      if (auto wrong = narrowSearch({config, catalogue, referencer}, condition, flag, *value, filter)) {
        throw UsageError(*wrong);
      }
    }
  }

  std::string nameOf(const std::string& oin) const {
    const auto parsed = Oin::parse(oin);
    const Party* p = parsed ? config.findPartyByOin(*parsed) : nullptr;
    return p ? p->id : oin;
  }
};

OfficerScope scopeOf(const GatewayConfig& config, const Flags& flags) {
  const Party* officer = config.findPartyById(flags.required("--as"));
  if (!officer || officer->role != PartyRole::kPrivacyOfficer) {
    throw UsageError("--as must name a configured privacy-officer party");
  }
  OfficerScope scope{
      config, *officer, loadCatalogue(config.mappings_dir), {}, flags.choice("--format", {"table", "json", "csv"})};
  scope.filter.organisation_oin = config.findPartyById(*officer->organisation)->oin.str();
  scope.narrow(flags, {{"--flow", SearchCondition::kFlow}, {"--party", SearchCondition::kParty}});
  return scope;
}

// Messages in the outbox that the officer's organisation sent or is to receive: where each
// stands, how often delivery was tried and the last error (a code, never a body). The
// dead-letters are what an operator must act on.
// The zaak a delivery into a case system made, or "".
std::string zaakOf(const OutboxEntry& entry) {
  for (const auto& [step, reference] : channelSteps(entry.channel_state)) {
    if (step == "zaak") return reference;
  }
  return {};
}

int listDeliveries(const Args& args) {
  const Flags flags(args, {"--config", "--as", "--state", "--flow", "--party", "--format"});
  const GatewayConfig config = flags.config();
  const OfficerScope scope = scopeOf(config, flags);
  DeliveryQuery query;
  query.organisation_oin = scope.filter.organisation_oin;
  query.flow = scope.filter.flow;
  query.party_oin = scope.filter.party_oin;
  if (auto v = flags.value("--state")) {
    query.state = parseDeliveryState(*v);
    if (!query.state) throw UsageError("--state must be pending, postbus, delivered or dead-letter");
  }
  GatewayStore store(config);
  if (!wasRecorded(recordAuditQuery(store.log(), scope.officer.oin.str(), query))) return 1;
  std::vector<std::vector<std::string>> rows;
  for (const OutboxEntry& e : store.outbox().list(query)) {
    rows.push_back({e.created_utc, e.flow, scope.nameOf(e.sender_oin), e.recipient_party_id,
                    std::string(toString(e.route)), std::string(toString(e.state)), std::to_string(e.attempts),
                    e.last_error, e.finished_utc, e.transaction_id, zaakOf(e)});
  }
  printTable(
      {"queued", "flow", "from", "to", "route", "state", "attempts", "last_error", "finished", "transaction", "zaak"},
      rows, scope.format);
  return 0;
}

// A report over the exchanges the officer may see: the query is recorded first, and
// without that record nothing is answered.
using ExchangeReport = void (*)(const std::vector<LoggedExchange>&, const OfficerScope&);

int reportExchanges(const std::string& query, const Args& args, ExchangeReport report) {
  const Flags flags(args,
                    {"--config", "--as", "--bsn", "--from", "--to", "--flow", "--party", "--outcome", "--format"});
  const GatewayConfig config = flags.config();
  OfficerScope scope = scopeOf(config, flags);
  GatewayStore store(config);
  scope.narrow(flags,
               {{"--from", SearchCondition::kFrom},
                {"--to", SearchCondition::kTo},
                {"--outcome", SearchCondition::kOutcome},
                {"--bsn", SearchCondition::kBsn}},
               &store.referencer());
  const ExchangeQuery& filter = scope.filter;
  if (!wasRecorded(recordAuditQuery(store.log(), scope.officer.oin.str(), query, filter))) return 1;
  // The answer covers exchanges, not earlier audit queries or registry changes unless asked.
  std::vector<LoggedExchange> found = store.log().findExchanges(filter);
  if (!filter.flow) {
    std::erase_if(found, [](const LoggedExchange& e) { return e.record.flow.starts_with("ketenpoort."); });
  }
  report(found, scope);
  return 0;
}

void exchangesTable(const std::vector<LoggedExchange>& found, const OfficerScope& scope) {
  std::vector<std::vector<std::string>> rows;
  for (const auto& e : found) {
    const auto& r = e.record;
    std::vector<std::string> withheld;
    for (const auto& w : r.fields_withheld) withheld.push_back(w.field + " (" + w.reason + ")");
    rows.push_back({std::to_string(e.sequence), r.time_utc, r.flow, scope.nameOf(r.sender_oin),
                    scope.nameOf(r.recipient_oin), r.purpose, r.legal_basis, std::string(toString(r.outcome)), r.reason,
                    join(r.fields_delivered, " "), join(withheld, " "), r.consent_id + r.agreement_id,
                    r.transaction_id});
  }
  printTable({"seq", "time", "flow", "from", "to", "purpose", "legal_basis", "outcome", "reason", "fields_delivered",
              "fields_withheld", "consent_or_agreement", "transaction"},
             rows, scope.format);
}

void refusalsTable(const std::vector<LoggedExchange>& found, const OfficerScope& scope) {
  std::vector<std::vector<std::string>> rows;
  for (const auto& [key, count] : countRefusals(found)) {
    rows.push_back({std::get<0>(key), std::get<1>(key), std::to_string(count)});
  }
  printTable({"flow", "reason", "refusals"}, rows, scope.format);
}

void withheldTable(const std::vector<LoggedExchange>& found, const OfficerScope& scope) {
  std::vector<std::vector<std::string>> rows;
  for (const auto& [key, count] : countWithheld(found)) {
    rows.push_back({std::get<0>(key), std::get<1>(key), std::get<2>(key), std::to_string(count)});
  }
  printTable({"flow", "field", "reason", "times_withheld"}, rows, scope.format);
}

}  // namespace

int auditCommand(const Args& args) {
  return runSubcommand("audit", kAuditUsage, args,
                       {{"exchanges", [](const Args& a) { return reportExchanges("exchanges", a, exchangesTable); }},
                        {"refusals", [](const Args& a) { return reportExchanges("refusals", a, refusalsTable); }},
                        {"withheld", [](const Args& a) { return reportExchanges("withheld", a, withheldTable); }},
                        {"deliveries", listDeliveries}});
}

}  // namespace ketenpoort::cli
