#pragma once

#include <optional>
#include <string>
#include <unordered_map>

#include "gateway/api/problem.hpp"
#include "gateway/config/gateway_config.hpp"

namespace ketenpoort {

// Knows the configured parties by OIN and decides who a verified client certificate
// belongs to. The certificate chain has already been verified by TLS; this only maps
// the OIN in its subject serialNumber to a party, honouring the gateway's mode.
class PartyDirectory {
 public:
  explicit PartyDirectory(const GatewayConfig& config);

  // The party, or the 403 problem to answer every request on the connection with.
  Result<const Party*> identify(const std::optional<std::string>& subject_serial_number) const;

 private:
  GatewayMode mode_;
  std::unordered_map<std::string, const Party*> by_oin_;
};

}  // namespace ketenpoort
