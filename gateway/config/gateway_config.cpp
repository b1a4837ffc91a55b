#include "gateway/config/gateway_config.hpp"

#include <algorithm>

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

std::optional<WebUrl> parseWebUrl(std::string_view url) {
  const auto parsed = boost::urls::parse_absolute_uri(url);
  if (!parsed || parsed->has_userinfo() || parsed->encoded_host().empty()) return std::nullopt;
  WebUrl out;
  if (parsed->scheme_id() == boost::urls::scheme::http) {
    out.tls = false;
    out.address.port = 80;
  } else if (parsed->scheme_id() != boost::urls::scheme::https) {
    return std::nullopt;
  }
  out.address.host = parsed->host_address();
  if (parsed->has_port()) {
    // Boost.URL keeps a port number above 65535 modulo 2^16: read the digits ourselves.
    const std::string_view digits = parsed->port();
    unsigned port = 0;
    const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), port);
    if (ec != std::errc() || end != digits.data() + digits.size() || port == 0 || port > 65535) return std::nullopt;
    out.address.port = static_cast<std::uint16_t>(port);
  }
  if (!parsed->encoded_path().empty() || parsed->has_query())
    out.address.target = std::string(parsed->encoded_target());
  if (!out.address.target.starts_with('/')) return std::nullopt;
  return out;
}

std::optional<HttpsUrl> parseHttpsUrl(std::string_view url) {
  auto parsed = parseWebUrl(url);
  if (!parsed || !parsed->tls) return std::nullopt;
  return std::move(parsed->address);
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

namespace {

// Ids in `these` that `those` lacks, and (into `changed`) ids in both whose items differ.
template <class Item>
std::vector<std::string> onlyIn(const std::vector<Item>& these, const std::vector<Item>& those,
                                std::vector<std::string>* changed = nullptr) {
  std::vector<std::string> out;
  for (const Item& item : these) {
    const auto other = std::find_if(those.begin(), those.end(), [&item](const Item& o) { return o.id == item.id; });
    if (other == those.end()) {
      out.push_back(item.id);
    } else if (changed != nullptr && !(*other == item)) {
      changed->push_back(item.id);
    }
  }
  return out;
}

}  // namespace

bool ConfigChanges::any() const {
  return !parties_added.empty() || !parties_removed.empty() || !parties_changed.empty() || !agreements_added.empty() ||
         !agreements_removed.empty() || !agreements_changed.empty() || mappings_dir || limits || outbox || queries ||
         tls || !restart_only.empty();
}

ConfigChanges compareConfigs(const GatewayConfig& before, const GatewayConfig& after) {
  ConfigChanges c;
  c.parties_added = onlyIn(after.parties, before.parties);
  c.parties_removed = onlyIn(before.parties, after.parties, &c.parties_changed);
  c.agreements_added = onlyIn(after.agreements, before.agreements);
  c.agreements_removed = onlyIn(before.agreements, after.agreements, &c.agreements_changed);
  c.mappings_dir = before.mappings_dir != after.mappings_dir;
  Limits limits_after = after.limits;
  limits_after.threads = before.limits.threads;  // threads: below
  c.limits = !(limits_after == before.limits);
  OutboxSettings outbox_after = after.outbox;
  outbox_after.workers = before.outbox.workers;
  c.outbox = !(outbox_after == before.outbox);
  c.queries = before.queries.timeout != after.queries.timeout;
  TlsFiles tls_after = after.tls;
  tls_after.check_files_interval = before.tls.check_files_interval;
  c.tls = !before.tls.sameAs(tls_after);

  const auto restartOnly = [&c](bool differs, const char* what) {
    if (differs) c.restart_only.emplace_back(what);
  };
  restartOnly(before.mode != after.mode, "ketenpoort/@mode");
  restartOnly(!(before.exchange == after.exchange), "listeners/exchange");
  restartOnly(!(before.audit == after.audit), "listeners/audit");
  restartOnly(!(before.ops == after.ops), "listeners/ops");
  restartOnly(before.limits.threads != after.limits.threads, "limits/@threads");
  restartOnly(before.outbox.workers != after.outbox.workers, "outbox/@workers");
  restartOnly(before.queries.threads != after.queries.threads, "queries/@threads");
  restartOnly(before.tls.check_files_interval != after.tls.check_files_interval, "tls/@check-files-ms");
  restartOnly(!(before.signals == after.signals), "signals");
  restartOnly(before.storage_backend != after.storage_backend || before.storage_path != after.storage_path ||
                  before.storage_dsn != after.storage_dsn || before.storage_node_id != after.storage_node_id ||
                  before.storage_key_dir != after.storage_key_dir ||
                  before.checkpoint_every_records != after.checkpoint_every_records ||
                  before.checkpoint_every != after.checkpoint_every ||
                  before.storage_busy_timeout != after.storage_busy_timeout || before.purge_at != after.purge_at,
              "storage");
  return c;
}

const ZgwTarget* Party::zgwFor(std::string_view flow_id) const {
  for (const ZgwTarget& target : zgw) {
    if (target.flow == flow_id) return &target;
  }
  return nullptr;
}

}  // namespace ketenpoort
