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

constexpr const char* kConsentUsage = R"(usage:
  ketenpoort consent grant    --config FILE --bsn BSN --purpose PURPOSE --recipient PARTY-ID
                              --evidence REF [--granted YYYY-MM-DD] [--expires YYYY-MM-DD]
  ketenpoort consent withdraw --config FILE --id CONSENT-ID [--date YYYY-MM-DD]
  ketenpoort consent list     --config FILE --as OFFICER-ID [--bsn BSN] [--format table|json|csv]
Every grant and withdrawal is written to the exchange log with the change itself; every
listing is recorded there as an audit query (and covers consents towards the officer's
organisation only).
)";

std::optional<CivilDate> dateFlag(const Args& args, const char* flag, std::string& error) {
  const auto text = flagValue(args, flag);
  if (!text) return todayUtc();
  const auto date = parseIsoDate(*text);
  if (!date) error = std::string(flag) + " must be a date YYYY-MM-DD";
  return date;
}

}  // namespace

// NOLINTNEXTLINE(readability-function-size,readability-function-cognitive-complexity): older than the gate (issue 26); split it, never grow it
int consentCommand(const Args& args) {
  const std::string action = args.empty() ? "" : args[0];
  const Args rest(args.empty() ? args.begin() : args.begin() + 1, args.end());
  const auto unknown = unknownFlags(rest,
                                    {"--config", "--bsn", "--purpose", "--recipient", "--evidence", "--granted",
                                     "--expires", "--id", "--date", "--format", "--as"},
                                    {});
  const auto config_file = flagValue(rest, "--config");
  if ((action != "grant" && action != "withdraw" && action != "list") || !unknown.empty() || !config_file) {
    std::cerr << kConsentUsage;
    return 2;
  }
  const auto loaded = loadConfigOrReport(*config_file);
  if (!loaded) return 1;
  const GatewayConfig& config = *loaded;
  std::optional<SubjectKey> subject;
  if (const auto bsn = flagValue(rest, "--bsn")) {
    if (!isValidBsn(*bsn)) {
      std::cerr << "--bsn is not a valid BSN (9 digits, elfproef)\n";
      return 2;
    }
    subject = SubjectKey{SubjectKey::Kind::kBsn, *bsn};
  }
  try {
    GatewayStore store(config);
    RegistryStore& registries = store.registries();

    if (action == "grant") {
      const auto purpose = flagValue(rest, "--purpose");
      const auto recipient_id = flagValue(rest, "--recipient");
      const auto evidence = flagValue(rest, "--evidence");
      const Party* recipient = recipient_id ? config.findPartyById(*recipient_id) : nullptr;
      std::string error;
      const auto granted = dateFlag(rest, "--granted", error);
      std::optional<CivilDate> expires;
      if (const auto text = flagValue(rest, "--expires")) {
        expires = parseIsoDate(*text);
        if (!expires) error = "--expires must be a date YYYY-MM-DD";
      }
      if (!subject || !purpose || !evidence || !recipient || !error.empty()) {
        std::cerr << (error.empty() ? std::string() : error + "\n")
                  << (recipient_id && !recipient ? "--recipient names no configured party\n" : "") << kConsentUsage;
        return 2;
      }
      const auto change = registries.grantConsent({*subject, *purpose, recipient->oin, *evidence, *granted, expires});
      if (!change.ok) {
        std::cerr << "consent not registered: " << change.error << "\n";
        return 1;
      }
      std::cout << change.id << "\n";
      return 0;
    }
    if (action == "withdraw") {
      const auto id = flagValue(rest, "--id");
      std::string error;
      const auto date = dateFlag(rest, "--date", error);
      if (!id || !error.empty()) {
        std::cerr << error << "\n" << kConsentUsage;
        return 2;
      }
      const auto change = registries.withdrawConsent(*id, *date);
      if (!change.ok) {
        std::cerr << "consent not withdrawn: " << change.error << "\n";
        return 1;
      }
      std::cout << "withdrawn " << *id << " from " << formatIsoDate(*date) << "\n";
      return 0;
    }
    const std::string format = flagValue(rest, "--format").value_or("table");
    const auto officer_id = flagValue(rest, "--as");
    const Party* officer = officer_id ? config.findPartyById(*officer_id) : nullptr;
    if (!officer || officer->role != PartyRole::kPrivacyOfficer) {
      std::cerr << "--as must name a configured privacy-officer party\n" << kConsentUsage;
      return 2;
    }
    ExchangeQuery filter;
    filter.organisation_oin = config.findPartyById(*officer->organisation)->oin.str();
    if (subject) filter.subject_ref = store.referencer().reference(*subject);
    if (const auto recorded = recordAuditQuery(store.log(), officer->oin.str(), "consents", filter); !recorded.ok) {
      std::cerr << "the query could not be recorded in the exchange log, so it is not answered: " << recorded.error
                << "\n";
      return 1;
    }
    const CivilDate today = todayUtc();
    auto consents = registries.listConsentsByReference(filter.subject_ref);
    std::erase_if(consents, [&filter](const ConsentEntry& c) { return c.recipient_oin != filter.organisation_oin; });
    if (format == "json") {
      boost::json::array out;
      for (const auto& c : consents) {
        out.emplace_back(boost::json::object{{"id", c.id},
                                             {"subject_ref", c.subject_ref},
                                             {"purpose", c.purpose_id},
                                             {"recipient_oin", c.recipient_oin},
                                             {"evidence", c.evidence_ref},
                                             {"granted", c.granted},
                                             {"expires", c.expires},
                                             {"withdrawn", c.withdrawn},
                                             {"status", toString(c.statusOn(today))}});
      }
      std::cout << boost::json::serialize(out) << "\n";
    } else if (format == "csv") {
      std::cout << "id,purpose,recipient_oin,evidence,granted,expires,withdrawn,status\n";
      for (const auto& c : consents) {
        std::cout << csvField(c.id) << "," << csvField(c.purpose_id) << "," << c.recipient_oin << ","
                  << csvField(c.evidence_ref) << "," << c.granted << "," << c.expires << "," << c.withdrawn << ","
                  << toString(c.statusOn(today)) << "\n";
      }
    } else if (format == "table") {
      std::printf("%-44s %-18s %-20s %-10s %-10s %-10s %s\n", "ID", "PURPOSE", "RECIPIENT OIN", "GRANTED", "EXPIRES",
                  "WITHDRAWN", "STATUS");
      for (const auto& c : consents) {
        std::printf("%-44s %-18s %-20s %-10s %-10s %-10s %s\n", c.id.c_str(), c.purpose_id.c_str(),
                    c.recipient_oin.c_str(), c.granted.c_str(), c.expires.empty() ? "-" : c.expires.c_str(),
                    c.withdrawn.empty() ? "-" : c.withdrawn.c_str(), std::string(toString(c.statusOn(today))).c_str());
      }
    } else {
      std::cerr << "--format must be table, json or csv\n";
      return 2;
    }
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "ketenpoort consent: " << e.what() << "\n";
    return 1;
  }
}

}  // namespace ketenpoort::cli
