#include "gateway/runtime/config_check.hpp"

#include <openssl/ssl.h>
#include <unistd.h>

#include <memory>

#include "gateway/mapping/mapping_loader.hpp"
#include "gateway/tls/tls_policy.hpp"

namespace ketenpoort {

CheckedConfiguration checkConfiguration(const std::filesystem::path& file) {
  CheckedConfiguration checked;
  ConfigLoadResult loaded = loadGatewayConfig(file.string());
  checked.problems = std::move(loaded.problems);
  if (!loaded.config) return checked;
  // The files the config names must load as the server would load them.
  const std::unique_ptr<SSL_CTX, decltype(&SSL_CTX_free)> context(SSL_CTX_new(TLS_server_method()), &SSL_CTX_free);
  for (const auto& problem : configureServerTls(context.get(), loaded.config->tls)) {
    checked.problems.push_back({file.string(), loaded.config->tls.line, problem});
  }
  // Fetched CRLs are written there: by this user, who runs the gateway.
  const TlsFiles& tls = loaded.config->tls;
  if (!tls.crl_sources.empty() && ::access(tls.crl_dir.c_str(), W_OK) != 0) {
    checked.problems.push_back({file.string(), tls.line,
                                "tls/@crl-dir " + tls.crl_dir.string() +
                                    " is not writable by this user: the CRLs of tls/crl-source cannot be kept there"});
  }
  MappingLoadResult mappings = loadMappings(loaded.config->mappings_dir);
  checked.problems.insert(checked.problems.end(), mappings.problems.begin(), mappings.problems.end());
  // A case system takes a flow the gateway delivers to a gemeente: never a name the mappings
  // lack (a misspelt one would send the flow on to the endpoint unnoticed), never a query
  // (its answer goes back to the asker).
  for (const Party& party : loaded.config->parties) {
    for (const ZgwTarget& target : party.zgw) {
      const FlowDefinition* flow = mappings.catalogue ? mappings.catalogue->findFlow(target.flow) : nullptr;
      if (mappings.catalogue && flow == nullptr) {
        checked.problems.push_back(
            {file.string(), 0,
             "party \"" + party.id + "\": <zgw flow=\"" + target.flow + "\"> names no flow of the mappings"});
      } else if (flow != nullptr && (flow->kind == FlowKind::kQuery || !flow->recipientRule(PartyRole::kGemeente))) {
        checked.problems.push_back(
            {file.string(), 0,
             "party \"" + party.id + "\": flow \"" + target.flow +
                 "\" is not one the gateway delivers to a gemeente; a case system takes only those"});
      }
    }
  }
  checked.catalogue = std::move(mappings.catalogue);
  checked.config = std::move(loaded.config);
  return checked;
}

}  // namespace ketenpoort
