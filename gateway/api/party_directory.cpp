#include "gateway/api/party_directory.hpp"

namespace ketenpoort {

PartyDirectory::PartyDirectory(const GatewayConfig& config) : mode_(config.mode) {
  for (const Party& party : config.parties) by_oin_.emplace(party.oin.str(), &party);
}

Result<const Party*> PartyDirectory::identify(const std::optional<std::string>& subject_serial_number) const {
  if (!subject_serial_number) {
    return problems::invalidClientCertificate("the certificate subject has no serialNumber");
  }
  const auto oin = Oin::parse(*subject_serial_number);
  if (!oin) {
    return problems::invalidClientCertificate("the subject serialNumber is not a 20-digit OIN");
  }
  if (oin->isTest() && mode_ != GatewayMode::kTest) {
    return problems::testPartyRefused("OIN " + oin->str() + " is a test OIN");
  }
  const auto it = by_oin_.find(oin->str());
  if (it == by_oin_.end()) {
    return problems::unknownParty("OIN " + oin->str() + " is not configured");
  }
  return it->second;
}

}  // namespace ketenpoort
