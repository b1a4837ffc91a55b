#include <iostream>

#include "gateway/audit/audit_queries.hpp"
#include "gateway/cli/commands.hpp"
#include "gateway/config/config_loader.hpp"
#include "gateway/gateway_store/gateway_store.hpp"
#include "gateway/identity/bsn.hpp"

namespace ketenpoort::cli {
namespace {

constexpr std::string_view kConsentUsage = R"(usage:
  ketenpoort consent grant    --config FILE --bsn BSN --purpose PURPOSE --recipient PARTY-ID
                              --evidence REF [--granted YYYY-MM-DD] [--expires YYYY-MM-DD]
  ketenpoort consent withdraw --config FILE --id CONSENT-ID [--date YYYY-MM-DD]
  ketenpoort consent list     --config FILE --as OFFICER-ID [--bsn BSN] [--format table|json|csv]
what each records in the exchange log: man ketenpoort (docs/man/ketenpoort.8)
)";

std::optional<SubjectKey> subjectOf(const Flags& flags) {
  const auto bsn = flags.value("--bsn");
  if (!bsn) return std::nullopt;
  if (!isValidBsn(*bsn)) throw UsageError("--bsn is not a valid BSN (9 digits, elfproef)");
  return SubjectKey{SubjectKey::Kind::kBsn, *bsn};
}

int grant(const Args& args) {
  const Flags flags(args, {"--config", "--bsn", "--purpose", "--recipient", "--evidence", "--granted", "--expires"});
  const GatewayConfig config = flags.config();
  const auto subject = subjectOf(flags);
  if (!subject) throw UsageError("--bsn is required");
  const Party* recipient = config.findPartyById(flags.required("--recipient"));
  if (!recipient) throw UsageError("--recipient names no configured party");
  GatewayStore store(config);
  const auto change = store.registries().grantConsent(
      {*subject, flags.required("--purpose"), recipient->oin, flags.required("--evidence"),
       flags.date("--granted").value_or(todayUtc()), flags.date("--expires")});
  if (!change.ok) throw std::runtime_error("consent not registered: " + change.error);
  std::cout << change.id << "\n";
  return 0;
}

int withdraw(const Args& args) {
  const Flags flags(args, {"--config", "--id", "--date"});
  const std::string id = flags.required("--id");
  const CivilDate date = flags.date("--date").value_or(todayUtc());
  GatewayStore store(flags.config());
  const auto change = store.registries().withdrawConsent(id, date);
  if (!change.ok) throw std::runtime_error("consent not withdrawn: " + change.error);
  std::cout << "withdrawn " << id << " from " << formatIsoDate(date) << "\n";
  return 0;
}

// Consents towards the officer's organisation; the listing is recorded as an audit query
// first, and not given when that fails.
int list(const Args& args) {
  const Flags flags(args, {"--config", "--as", "--bsn", "--format"});
  const GatewayConfig config = flags.config();
  const std::string format = flags.choice("--format", {"table", "json", "csv"});
  const Party* officer = config.findPartyById(flags.required("--as"));
  if (!officer || officer->role != PartyRole::kPrivacyOfficer) {
    throw UsageError("--as must name a configured privacy-officer party");
  }
  const auto subject = subjectOf(flags);
  GatewayStore store(config);
  ExchangeQuery filter;
  filter.organisation_oin = config.findPartyById(*officer->organisation)->oin.str();
  if (subject) filter.subject_ref = store.referencer().reference(*subject);
  if (const auto recorded = recordAuditQuery(store.log(), officer->oin.str(), "consents", filter); !recorded.ok) {
    throw std::runtime_error("the query could not be recorded in the exchange log, so it is not answered: " +
                             recorded.error);
  }
  const CivilDate today = todayUtc();
  std::vector<std::vector<std::string>> rows;
  for (const auto& c : store.registries().listConsentsByReference(filter.subject_ref)) {
    if (c.recipient_oin != filter.organisation_oin) continue;
    rows.push_back({c.id, c.purpose_id, c.recipient_oin, c.evidence_ref, c.granted, c.expires, c.withdrawn,
                    std::string(toString(c.statusOn(today)))});
  }
  printTable({"id", "purpose", "recipient_oin", "evidence", "granted", "expires", "withdrawn", "status"}, rows, format);
  return 0;
}

}  // namespace

int consentCommand(const Args& args) {
  return runSubcommand("consent", kConsentUsage, args, {{"grant", grant}, {"withdraw", withdraw}, {"list", list}});
}

}  // namespace ketenpoort::cli
