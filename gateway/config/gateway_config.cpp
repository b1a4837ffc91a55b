#include "gateway/config/gateway_config.hpp"

#include <boost/url/parse.hpp>

#include <array>
#include <charconv>

#include "gateway/vocabulary/enum_names.hpp"

namespace ketenpoort {
namespace {
constexpr std::array<EnumName<PartyRole>, 6> kRoleNames{{
    {PartyRole::kCoa, "coa"},
    {PartyRole::kDuo, "duo"},
    {PartyRole::kToeslagen, "toeslagen"},
    {PartyRole::kGemeente, "gemeente"},
    {PartyRole::kTaalschool, "taalschool"},
    {PartyRole::kPrivacyOfficer, "privacy-officer"},
}};
}  // namespace

std::string_view toString(PartyRole role) { return nameIn(kRoleNames, role); }

std::optional<PartyRole> parsePartyRole(std::string_view text) { return valueIn(kRoleNames, text); }

std::optional<HttpsUrl> parseHttpsUrl(std::string_view url) {
  const auto parsed = boost::urls::parse_absolute_uri(url);
  if (!parsed || parsed->scheme_id() != boost::urls::scheme::https || parsed->has_userinfo() ||
      parsed->encoded_host().empty()) {
    return std::nullopt;
  }
  HttpsUrl out;
  out.host = parsed->host_address();
  if (parsed->has_port()) {
    // Boost.URL keeps a port number above 65535 modulo 2^16: read the digits ourselves.
    const std::string_view digits = parsed->port();
    unsigned port = 0;
    const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), port);
    if (ec != std::errc() || end != digits.data() + digits.size() || port == 0 || port > 65535) return std::nullopt;
    out.port = static_cast<std::uint16_t>(port);
  }
  if (!parsed->encoded_path().empty() || parsed->has_query()) out.target = std::string(parsed->encoded_target());
  if (!out.target.starts_with('/')) return std::nullopt;
  return out;
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
