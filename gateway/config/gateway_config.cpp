#include "gateway/config/gateway_config.hpp"

#include <array>
#include <utility>

namespace ketenpoort {
namespace {
constexpr std::array<std::pair<PartyRole, std::string_view>, 6> kRoleNames{{
    {PartyRole::kCoa, "coa"},
    {PartyRole::kDuo, "duo"},
    {PartyRole::kToeslagen, "toeslagen"},
    {PartyRole::kGemeente, "gemeente"},
    {PartyRole::kTaalschool, "taalschool"},
    {PartyRole::kPrivacyOfficer, "privacy-officer"},
}};
}  // namespace

std::string_view toString(PartyRole role) {
  for (const auto& [r, name] : kRoleNames) {
    if (r == role) return name;
  }
  return "unknown";
}

std::optional<PartyRole> parsePartyRole(std::string_view text) {
  for (const auto& [r, name] : kRoleNames) {
    if (name == text) return r;
  }
  return std::nullopt;
}

std::string_view toString(GatewayMode mode) { return mode == GatewayMode::kTest ? "test" : "production"; }

std::filesystem::path GatewayConfig::keyDirectory() const {
  return storage_backend == StorageBackend::kPostgresql ? storage_key_dir : storage_path.parent_path();
}

const Party* GatewayConfig::findPartyByOin(const Oin& oin) const {
  for (const auto& party : parties) {
    if (party.oin == oin) return &party;
  }
  return nullptr;
}

const Party* GatewayConfig::findPartyById(std::string_view id) const {
  for (const auto& party : parties) {
    if (party.id == id) return &party;
  }
  return nullptr;
}

}  // namespace ketenpoort
