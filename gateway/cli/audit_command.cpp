#include <cstdio>
#include <functional>
#include <iostream>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include "gateway/audit/audit_queries.hpp"
#include "gateway/cli/commands.hpp"
#include "gateway/config/config_loader.hpp"
#include "gateway/gateway_store/gateway_store.hpp"
#include "gateway/identity/bsn.hpp"

namespace ketenpoort::cli {
namespace {

constexpr const char* kAuditUsage = R"(usage:
  ketenpoort audit exchanges --config FILE --as OFFICER-ID [--bsn BSN] [--from YYYY-MM-DD]
                             [--to YYYY-MM-DD] [--flow FLOW] [--party PARTY-ID]
                             [--outcome delivered|queued|refused|failed] [--format table|json|csv]
  ketenpoort audit refusals  --config FILE --as OFFICER-ID [--from …] [--to …] [--format …]
  ketenpoort audit withheld  --config FILE --as OFFICER-ID [--from …] [--to …] [--format …]
  ketenpoort audit deliveries --config FILE --as OFFICER-ID
                             [--state pending|postbus|delivered|dead-letter] [--flow FLOW]
                             [--party PARTY-ID] [--format …]
OFFICER-ID is a configured privacy-officer party; answers cover only exchanges in which its
organisation is sender or recipient. Every query is itself written to the exchange log;
if that fails, no answer is given. `exchanges --bsn` is a data subject's access report.
Consents: see `ketenpoort consent list`.
)";

std::string join(const std::vector<std::string>& items, const char* separator) {
  std::string out;
  for (const auto& i : items) out += (out.empty() ? "" : separator) + i;
  return out;
}

void printTable(const std::vector<std::string>& header, const std::vector<std::vector<std::string>>& rows,
                const std::string& format) {
  if (format == "csv") {
    std::vector<std::string> h;
    h.reserve(header.size());
    for (const auto& c : header) h.push_back(csvField(c));
    std::cout << join(h, ",") << "\n";
    for (const auto& row : rows) {
      std::vector<std::string> r;
      r.reserve(row.size());
      for (const auto& c : row) r.push_back(csvField(c));
      std::cout << join(r, ",") << "\n";
    }
    return;
  }
  if (format == "json") {
    boost::json::array out;
    for (const auto& row : rows) {
      boost::json::object o;
      for (std::size_t i = 0; i < header.size() && i < row.size(); ++i) o[header[i]] = row[i];
      out.emplace_back(std::move(o));
    }
    std::cout << boost::json::serialize(out) << "\n";
    return;
  }
  std::vector<std::size_t> width(header.size());
  for (std::size_t i = 0; i < header.size(); ++i) width[i] = header[i].size();
  for (const auto& row : rows) {
    for (std::size_t i = 0; i < row.size() && i < width.size(); ++i) {
      width[i] = std::max(width[i], std::min<std::size_t>(row[i].size(), 60));
    }
  }
  const auto line = [&](const std::vector<std::string>& cells) {
    for (std::size_t i = 0; i < cells.size(); ++i) {
      std::printf("%-*s%s", static_cast<int>(width[i]), cells[i].c_str(), i + 1 < cells.size() ? "  " : "\n");
    }
  };
  line(header);
  for (const auto& row : rows) line(row);
}

// A query that cannot be recorded in the exchange log is not answered.
bool wasRecorded(const AppendResult& recorded) {
  if (!recorded.ok) {
    std::cerr << "the query could not be recorded in the exchange log, so it is not answered: " << recorded.error
              << "\n";
  }
  return recorded.ok;
}

// Messages in the outbox that the officer's organisation sent or is to receive: where each
// stands, how often delivery was tried and the last error (a code, never a body). The
// dead-letters are what an operator must act on.
int listDeliveries(GatewayStore& store, const Party& officer, const ExchangeQuery& scope,
                   std::optional<DeliveryState> state, const std::function<std::string(const std::string&)>& nameOf,
                   const std::string& format) {
  DeliveryQuery query;
  query.organisation_oin = scope.organisation_oin;
  query.state = state;
  query.flow = scope.flow;
  query.party_oin = scope.party_oin;
  if (!wasRecorded(recordAuditQuery(store.log(), officer.oin.str(), query))) return 1;
  std::vector<std::vector<std::string>> rows;
  for (const OutboxEntry& e : store.outbox().list(query)) {
    rows.push_back({e.created_utc, e.flow, nameOf(e.sender_oin), e.recipient_party_id, std::string(toString(e.route)),
                    std::string(toString(e.state)), std::to_string(e.attempts), e.last_error, e.finished_utc,
                    e.transaction_id});
  }
  printTable({"queued", "flow", "from", "to", "route", "state", "attempts", "last_error", "finished", "transaction"},
             rows, format);
  return 0;
}

}  // namespace

// NOLINTNEXTLINE(readability-function-size,readability-function-cognitive-complexity): older than the gate (issue 26); split it, never grow it
int auditCommand(const Args& args) {
  const std::string query = args.empty() ? "" : args[0];
  const Args rest(args.empty() ? args.begin() : args.begin() + 1, args.end());
  const bool deliveries = query == "deliveries";
  const auto unknown =
      unknownFlags(rest,
                   deliveries ? std::vector<std::string>{"--config", "--as", "--state", "--flow", "--party", "--format"}
                              : std::vector<std::string>{"--config", "--as", "--bsn", "--from", "--to", "--flow",
                                                         "--party", "--outcome", "--format"},
                   {});
  const auto config_file = flagValue(rest, "--config");
  const auto officer_id = flagValue(rest, "--as");
  const std::string format = flagValue(rest, "--format").value_or("table");
  if ((query != "exchanges" && query != "refusals" && query != "withheld" && !deliveries) || !unknown.empty() ||
      !config_file || !officer_id || (format != "table" && format != "json" && format != "csv")) {
    std::cerr << kAuditUsage;
    return 2;
  }
  const auto loaded = loadConfigOrReport(*config_file);
  if (!loaded) return 1;
  const GatewayConfig& config = *loaded;
  const Party* officer = config.findPartyById(*officer_id);
  if (!officer || officer->role != PartyRole::kPrivacyOfficer) {
    std::cerr << "--as must name a configured privacy-officer party\n";
    return 2;
  }
  const Party* organisation = config.findPartyById(*officer->organisation);

  ExchangeQuery filter;
  filter.organisation_oin = organisation->oin.str();
  for (const auto& [flag, field] : {std::pair{"--from", &filter.from_date}, std::pair{"--to", &filter.to_date}}) {
    if (auto v = flagValue(rest, flag)) {
      if (!parseIsoDate(*v)) {
        std::cerr << flag << " must be a date YYYY-MM-DD\n";
        return 2;
      }
      *field = *v;
    }
  }
  if (auto v = flagValue(rest, "--flow")) filter.flow = *v;
  if (auto v = flagValue(rest, "--outcome")) filter.outcome = *v;
  if (auto v = flagValue(rest, "--party")) {
    const Party* party = config.findPartyById(*v);
    if (!party) {
      std::cerr << "--party names no configured party\n";
      return 2;
    }
    filter.party_oin = party->oin.str();
  }
  std::optional<DeliveryState> state;
  if (auto v = flagValue(rest, "--state")) {
    state = parseDeliveryState(*v);
    if (!state) {
      std::cerr << "--state must be pending, postbus, delivered or dead-letter\n";
      return 2;
    }
  }
  const auto nameOf = [&config](const std::string& oin) {
    const auto parsed = Oin::parse(oin);
    const Party* p = parsed ? config.findPartyByOin(*parsed) : nullptr;
    return p ? p->id : oin;
  };
  try {
    GatewayStore store(config);
    if (deliveries) return listDeliveries(store, *officer, filter, state, nameOf, format);
    if (auto bsn = flagValue(rest, "--bsn")) {
      if (!isValidBsn(*bsn)) {
        std::cerr << "--bsn is not a valid BSN (9 digits, elfproef)\n";
        return 2;
      }
      filter.subject_ref = store.referencer().reference({SubjectKey::Kind::kBsn, *bsn});
    }
    if (!wasRecorded(recordAuditQuery(store.log(), officer->oin.str(), query, filter))) return 1;
    // The answer covers exchanges, not earlier audit queries or registry changes unless asked.
    std::vector<LoggedExchange> found = store.log().findExchanges(filter);
    if (!filter.flow) {
      std::erase_if(found, [](const LoggedExchange& e) { return e.record.flow.starts_with("ketenpoort."); });
    }
    if (query == "exchanges") {
      std::vector<std::vector<std::string>> rows;
      for (const auto& e : found) {
        const auto& r = e.record;
        std::vector<std::string> withheld;
        for (const auto& w : r.fields_withheld) withheld.push_back(w.field + " (" + w.reason + ")");
        rows.push_back({std::to_string(e.sequence), r.time_utc, r.flow, nameOf(r.sender_oin), nameOf(r.recipient_oin),
                        r.purpose, r.legal_basis, std::string(toString(r.outcome)), r.reason,
                        join(r.fields_delivered, " "), join(withheld, " "), r.consent_id + r.agreement_id,
                        r.transaction_id});
      }
      printTable({"seq", "time", "flow", "from", "to", "purpose", "legal_basis", "outcome", "reason",
                  "fields_delivered", "fields_withheld", "consent_or_agreement", "transaction"},
                 rows, format);
    } else if (query == "refusals") {
      std::vector<std::vector<std::string>> rows;
      for (const auto& [key, count] : countRefusals(found)) {
        rows.push_back({std::get<0>(key), std::get<1>(key), std::to_string(count)});
      }
      printTable({"flow", "reason", "refusals"}, rows, format);
    } else {
      std::vector<std::vector<std::string>> rows;
      for (const auto& [key, count] : countWithheld(found)) {
        rows.push_back({std::get<0>(key), std::get<1>(key), std::get<2>(key), std::to_string(count)});
      }
      printTable({"flow", "field", "reason", "times_withheld"}, rows, format);
    }
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "ketenpoort audit: " << e.what() << "\n";
    return 1;
  }
}

}  // namespace ketenpoort::cli
