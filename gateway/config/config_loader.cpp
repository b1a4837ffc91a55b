#include "gateway/config/config_loader.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <map>
#include <set>

#include "gateway/identity/bsn.hpp"
#include "gateway/secrets/secret_files.hpp"
#include "gateway/strictxml/strict_xml_reader.hpp"

namespace ketenpoort {
namespace {

// A node id names a node's chain in the shared log: short, and safe in any message.
bool isNodeId(std::string_view s) {
  return !s.empty() && s.size() <= 64 && std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-' || c == '_';
  });
}

bool allDigits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

bool isIdentifier(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_';
  });
}

bool isIpAddress(const std::string& s) {
  unsigned char buffer[16];
  return inet_pton(AF_INET, s.c_str(), buffer) == 1 || inet_pton(AF_INET6, s.c_str(), buffer) == 1;
}

bool isLoopbackAddress(const std::string& s) { return s.starts_with("127.") || s == "::1"; }

class ConfigReader {
 public:
  ConfigReader(std::string_view xml, std::string file_label, std::filesystem::path base_dir)
      : xml_(xml, file_label), file_(std::move(file_label)), base_dir_(std::move(base_dir)) {}

  ConfigLoadResult read() {
    GatewayConfig config;
    config.source = file_;
    auto root = xml_.parseRoot("ketenpoort");
    if (!root) return finish(std::move(config));
    xml_.checkElement(
        root, {}, {"mode"},
        {"listeners", "tls", "storage", "mappings", "limits", "outbox", "queries", "signals", "parties", "agreements"});
    if (auto mode = root.attribute("mode")) {
      const std::string_view value = mode.value();
      if (value == "test") {
        config.mode = GatewayMode::kTest;
      } else if (value != "production") {
        xml_.problem(root, "mode must be \"production\" or \"test\", found \"" + std::string(value) + "\"");
      }
    }
    readListeners(xml_.single(root, "listeners", false), config);
    readTls(xml_.single(root, "tls", true), config.tls);
    if (auto storage = xml_.single(root, "storage", true)) {
      const std::string_view backend = storage.attribute("backend").value();
      if (backend == "postgresql") {
        // Several nodes on one database: no file of its own, a node id and its keys.
        xml_.checkElement(storage, {"backend", "dsn", "node-id", "key-dir"},
                          {"checkpoint-every-records", "checkpoint-every-ms", "busy-timeout-ms", "purge-at"}, {});
        config.storage_backend = StorageBackend::kPostgresql;
        config.storage_dsn = storage.attribute("dsn").value();
        config.storage_node_id = storage.attribute("node-id").value();
        config.storage_key_dir = resolvePath(storage.attribute("key-dir").value());
        if (!isNodeId(config.storage_node_id)) {
          xml_.problem(storage, "storage/@node-id must be 1-64 letters, digits, '-' or '_'");
        }
      } else {
        if (!backend.empty() && backend != "sqlite") {
          xml_.problem(storage, "storage/@backend must be sqlite or postgresql");
        }
        xml_.checkElement(storage, {"path"},
                          {"backend", "checkpoint-every-records", "checkpoint-every-ms", "busy-timeout-ms", "purge-at"},
                          {});
        config.storage_path = resolvePath(storage.attribute("path").value());
      }
      xml_.readNumber<std::size_t>(storage, "checkpoint-every-records", 1, 10'000'000, config.checkpoint_every_records);
      readMillis(storage, "checkpoint-every-ms", config.checkpoint_every);
      readMillis(storage, "busy-timeout-ms", config.storage_busy_timeout);
      if (auto purge_at = storage.attribute("purge-at")) {
        const std::string_view text = purge_at.value();
        const auto digit = [&text](std::size_t i) { return text[i] >= '0' && text[i] <= '9'; };
        if (text == "off") {
          config.purge_at.reset();
        } else if (text.size() == 5 && digit(0) && digit(1) && text[2] == ':' && digit(3) && digit(4) &&
                   (text[0] - '0') * 10 + (text[1] - '0') < 24 && text[3] < '6') {
          config.purge_at = std::chrono::minutes(((text[0] - '0') * 10 + (text[1] - '0')) * 60 + (text[3] - '0') * 10 +
                                                 (text[4] - '0'));
        } else {
          xml_.problem(storage, "storage/@purge-at must be HH:MM (UTC) or off");
        }
      }
    }
    if (auto mappings = xml_.single(root, "mappings", true)) {
      xml_.checkElement(mappings, {"dir"}, {}, {});
      config.mappings_dir = resolvePath(mappings.attribute("dir").value());
    }
    readLimits(xml_.single(root, "limits", false), config.limits);
    if (auto outbox = xml_.single(root, "outbox", false)) {
      xml_.checkElement(
          outbox, {},
          {"workers", "max-attempts", "initial-backoff-ms", "max-backoff-ms", "delivery-timeout-ms", "lease-ms"}, {});
      xml_.readNumber<unsigned>(outbox, "workers", 1, 256, config.outbox.workers);
      xml_.readNumber<std::uint32_t>(outbox, "max-attempts", 1, 1000, config.outbox.max_attempts);
      readMillis(outbox, "initial-backoff-ms", config.outbox.initial_backoff);
      readMillis(outbox, "max-backoff-ms", config.outbox.max_backoff);
      readMillis(outbox, "delivery-timeout-ms", config.outbox.delivery_timeout);
      readMillis(outbox, "lease-ms", config.outbox.lease);
      if (config.outbox.max_backoff < config.outbox.initial_backoff) {
        xml_.problem(outbox, "max-backoff-ms must not be below initial-backoff-ms");
      }
      if (config.outbox.lease < 2 * config.outbox.delivery_timeout) {
        xml_.problem(outbox, "lease-ms must be at least twice delivery-timeout-ms");
      }
    }
    if (auto queries = xml_.single(root, "queries", false)) {
      xml_.checkElement(queries, {}, {"timeout-ms", "threads"}, {});
      readMillis(queries, "timeout-ms", config.queries.timeout);
      xml_.readNumber<unsigned>(queries, "threads", 1, 256, config.queries.threads);
    }
    readSignals(xml_.single(root, "signals", false), config.signals);
    readParties(xml_.single(root, "parties", true), config);
    readAgreements(xml_.single(root, "agreements", false), config);
    return finish(std::move(config));
  }

 private:
  // A percentage with at most two decimals ("75", "79.5", "74.99") as basis points.
  void readPercent(const pugi::xml_node& node, const char* name, std::int32_t& basis_points) {
    const auto attr = node.attribute(name);
    if (!attr) return;
    const auto value = parseHundredths(attr.value());
    const bool well_formed = value.has_value();
    if (!well_formed || *value > 10'000) {
      xml_.problem(node, std::string(name) + " must be a percentage from 0 to 100 with at most two decimals");
      return;
    }
    basis_points = static_cast<std::int32_t>(*value);
  }

  void readSignals(const pugi::xml_node& signals, SignalThresholds& out) {
    if (!signals) return;
    xml_.checkElement(signals, {},
                      {"elip-loan-percent", "elip-months-left", "attendance-norm-percent", "bridging-after-days"}, {});
    readPercent(signals, "elip-loan-percent", out.elip_loan_basis_points);
    readPercent(signals, "attendance-norm-percent", out.attendance_norm_basis_points);
    if (std::string_view(signals.attribute("elip-months-left").value()) == "off") {
      out.elip_months_left = std::nullopt;  // the time criterion removed
    } else {
      std::int32_t months = out.elip_months_left.value_or(6);
      if (xml_.readNumber<std::int32_t>(signals, "elip-months-left", 0, 120, months)) {
        out.elip_months_left = months;
      }
    }
    xml_.readNumber<std::int32_t>(signals, "bridging-after-days", 1, 365, out.bridging_after_days);
  }

  ConfigLoadResult finish(GatewayConfig config) {
    ConfigLoadResult result;
    result.problems = xml_.takeProblems();
    if (result.problems.empty()) result.config = std::move(config);
    return result;
  }

  void readMillis(const pugi::xml_node& node, const char* attr_name, std::chrono::milliseconds& out) {
    std::uint64_t ms = static_cast<std::uint64_t>(out.count());
    xml_.readNumber<std::uint64_t>(node, attr_name, 1, 3'600'000, ms);
    out = std::chrono::milliseconds(ms);
  }

  std::filesystem::path resolvePath(const std::string& value) const {
    std::filesystem::path p(value);
    return p.is_absolute() ? p : (base_dir_ / p).lexically_normal();
  }

  void readAgreements(const pugi::xml_node& node, GatewayConfig& config) {
    if (!node) return;
    xml_.checkElement(node, {}, {}, {"agreement"});
    std::map<std::string, int> ids;
    for (auto element : node.children("agreement")) {
      xml_.checkElement(element, {"id", "party", "purpose", "gemeente", "valid-from", "valid-until", "document"}, {},
                        {});
      AgreementConfig a;
      a.id = element.attribute("id").value();
      a.party_id = element.attribute("party").value();
      a.purpose_id = element.attribute("purpose").value();
      a.gemeente_id = element.attribute("gemeente").value();
      a.document_ref = element.attribute("document").value();
      bool ok = !a.id.empty();
      if (auto [it, fresh] = ids.emplace(a.id, xml_.lineOf(element)); !fresh && !a.id.empty()) {
        xml_.problem(element,
                     "duplicate agreement id \"" + a.id + "\" (first at line " + std::to_string(it->second) + ")");
        ok = false;
      }
      const Party* party = config.findPartyById(a.party_id);
      if (!a.party_id.empty() && !party) {
        xml_.problem(element, "party \"" + a.party_id + "\" is not configured");
        ok = false;
      }
      const Party* gemeente = config.findPartyById(a.gemeente_id);
      if (!a.gemeente_id.empty() && (!gemeente || gemeente->role != PartyRole::kGemeente)) {
        xml_.problem(element, "gemeente \"" + a.gemeente_id + "\" is not a configured gemeente");
        ok = false;
      }
      const auto from = parseIsoDate(element.attribute("valid-from").value());
      const auto until = parseIsoDate(element.attribute("valid-until").value());
      if (element.attribute("valid-from") && !from) {
        xml_.problem(element, "valid-from must be a date YYYY-MM-DD");
      }
      if (element.attribute("valid-until") && !until) {
        xml_.problem(element, "valid-until must be a date YYYY-MM-DD");
      }
      if (from && until && *until < *from) {
        xml_.problem(element, "valid-until lies before valid-from");
        ok = false;
      }
      if (ok && from && until && party && gemeente) {
        a.valid_from = *from;
        a.valid_until = *until;
        config.agreements.push_back(std::move(a));
      }
    }
  }

  void readListener(const pugi::xml_node& parent, const char* name, ListenerConfig& out, bool loopback_only) {
    auto node = xml_.single(parent, name, false);
    if (!node) return;
    xml_.checkElement(node, {}, {"address", "port"}, {});
    if (auto address = node.attribute("address")) {
      out.address = address.value();
      if (!isIpAddress(out.address)) {
        xml_.problem(node, "address must be an IPv4 or IPv6 address, found \"" + out.address + "\"");
      } else if (loopback_only && !isLoopbackAddress(out.address)) {
        xml_.problem(node, "the ops listener speaks plain HTTP and must bind a loopback address");
      }
    }
    xml_.readNumber<std::uint16_t>(node, "port", 0, 65535, out.port);
  }

  void readListeners(const pugi::xml_node& node, GatewayConfig& config) {
    if (!node) return;
    xml_.checkElement(node, {}, {}, {"exchange", "audit", "ops"});
    readListener(node, "exchange", config.exchange, false);
    readListener(node, "audit", config.audit, false);
    readListener(node, "ops", config.ops, true);
  }

  void readTls(const pugi::xml_node& node, TlsFiles& tls) {
    if (!node) return;
    xml_.checkElement(node, {"ca-bundle", "certificate", "private-key"},
                      {"crl-dir", "crl-grace-hours", "check-files-ms", "crl-fetch-minutes"}, {"crl-source"});
    tls.ca_bundle = resolvePath(node.attribute("ca-bundle").value());
    tls.certificate = resolvePath(node.attribute("certificate").value());
    tls.private_key = resolvePath(node.attribute("private-key").value());
    if (const auto crl_dir = node.attribute("crl-dir")) tls.crl_dir = resolvePath(crl_dir.value());
    auto grace = static_cast<unsigned>(tls.crl_grace.count());
    xml_.readNumber<unsigned>(node, "crl-grace-hours", 0, 168, grace);
    tls.crl_grace = std::chrono::hours(grace);
    readMillis(node, "check-files-ms", tls.check_files_interval);
    auto fetch_minutes = static_cast<unsigned>(tls.crl_fetch_interval.count() / 60);
    xml_.readNumber<unsigned>(node, "crl-fetch-minutes", 1, 1440, fetch_minutes);
    tls.crl_fetch_interval = std::chrono::minutes(fetch_minutes);
    std::set<std::string> files;
    for (const auto& source : node.children("crl-source")) {
      xml_.checkElement(source, {"url", "file"}, {}, {});
      CrlSource crl{source.attribute("url").value(), source.attribute("file").value()};
      if (!crl.url.empty() && !parseWebUrl(crl.url)) {
        xml_.problem(source, "crl-source url must be http(s)://HOST[:PORT][/PATH], found \"" + crl.url + "\"");
      }
      // A plain name in the CRL directory that its reader takes, so a fetched CRL can
      // neither land elsewhere nor be skipped.
      const std::string_view name = crl.file;
      const bool plain = !name.empty() && name.find('/') == std::string_view::npos && !name.starts_with('.');
      if (!crl.file.empty() && (!plain || !(name.ends_with(".crl") || name.ends_with(".pem")))) {
        xml_.problem(source,
                     "crl-source file must be a plain file name ending in .crl or .pem, found \"" + crl.file + "\"");
      }
      if (!crl.file.empty() && !files.insert(crl.file).second) {
        xml_.problem(source, "two crl-sources write \"" + crl.file + "\"");
      }
      tls.crl_sources.push_back(std::move(crl));
    }
    if (!tls.crl_sources.empty() && tls.crl_dir.empty()) {
      xml_.problem(node, "tls/crl-source needs tls/@crl-dir: the directory the fetched CRLs are kept in");
    }
    tls.line = xml_.lineOf(node);
  }

  void readLimits(const pugi::xml_node& node, Limits& limits) {
    if (!node) return;
    xml_.checkElement(node, {},
                      {"threads", "max-connections", "max-header-bytes", "max-body-bytes", "handshake-timeout-ms",
                       "max-handshakes", "max-handshakes-per-address", "pressure-handshake-timeout-ms",
                       "header-timeout-ms", "body-timeout-ms", "idle-timeout-ms", "drain-timeout-ms"},
                      {});
    xml_.readNumber<unsigned>(node, "threads", 0, 256, limits.threads);
    xml_.readNumber<std::size_t>(node, "max-connections", 1, 1'000'000, limits.max_connections);
    xml_.readNumber<std::size_t>(node, "max-header-bytes", 1024, std::size_t{1024} * 1024, limits.max_header_bytes);
    xml_.readNumber<std::size_t>(node, "max-body-bytes", 1, 1024ull * 1024 * 1024, limits.max_body_bytes);
    readMillis(node, "handshake-timeout-ms", limits.handshake_timeout);
    xml_.readNumber<std::size_t>(node, "max-handshakes", 1, 1'000'000, limits.max_handshakes);
    xml_.readNumber<std::size_t>(node, "max-handshakes-per-address", 1, 1'000'000, limits.max_handshakes_per_address);
    readMillis(node, "pressure-handshake-timeout-ms", limits.pressure_handshake_timeout);
    readMillis(node, "header-timeout-ms", limits.header_timeout);
    readMillis(node, "body-timeout-ms", limits.body_timeout);
    readMillis(node, "idle-timeout-ms", limits.idle_timeout);
    readMillis(node, "drain-timeout-ms", limits.drain_timeout);
  }

  // NOLINTNEXTLINE(readability-function-size,readability-function-cognitive-complexity): older than the gate (issue 26); split it, never grow it
  void readParties(const pugi::xml_node& node, GatewayConfig& config) {
    if (!node) return;
    xml_.checkElement(node, {}, {}, {"party"});
    std::map<std::string, int> ids, oins, cbs_codes;
    std::vector<std::pair<pugi::xml_node, std::string>> organisation_refs;
    for (auto element : node.children("party")) {
      xml_.checkElement(element, {"id", "oin", "name", "role"}, {"cbs-code", "organisation"}, {"endpoint", "zgw"});
      const int line = xml_.lineOf(element);
      const std::string id = element.attribute("id").value();
      const std::string oin_text = element.attribute("oin").value();
      const std::string role_text = element.attribute("role").value();
      bool ok = true;

      if (!id.empty() && !isIdentifier(id)) {
        xml_.problem(element, "party id \"" + id + "\" may hold only a-z, 0-9, '-', '.', '_'");
        ok = false;
      }
      if (auto [it, fresh] = ids.emplace(id, line); !fresh && !id.empty()) {
        xml_.problem(element, "duplicate party id \"" + id + "\" (first at line " + std::to_string(it->second) + ")");
        ok = false;
      }
      const auto oin = Oin::parse(oin_text);
      if (!oin_text.empty() && !oin) {
        xml_.problem(element, "oin must be exactly 20 digits, found \"" + oin_text + "\"");
      }
      if (oin) {
        if (auto [it, fresh] = oins.emplace(oin_text, line); !fresh) {
          xml_.problem(element, "duplicate OIN " + oin_text + " (first at line " + std::to_string(it->second) + ")");
          ok = false;
        }
        if (oin->isTest() && config.mode != GatewayMode::kTest) {
          xml_.problem(element, "party \"" + id + "\" has a test OIN (prefix " + std::string(Oin::kTestPrefix) +
                                    "), which only a gateway in mode=\"test\" accepts");
          ok = false;
        }
      }
      const auto role = parsePartyRole(role_text);
      if (!role_text.empty() && !role) {
        xml_.problem(element, "unknown role \"" + role_text +
                                  "\"; one of coa, duo, toeslagen, gemeente, taalschool, "
                                  "privacy-officer");
      }
      std::optional<std::string> cbs_code;
      if (auto attr = element.attribute("cbs-code")) {
        cbs_code = attr.value();
        if (cbs_code->size() != 4 || !allDigits(*cbs_code)) {
          xml_.problem(element, "cbs-code must be 4 digits, found \"" + *cbs_code + "\"");
          ok = false;
        } else if (auto [it, fresh] = cbs_codes.emplace(*cbs_code, line); !fresh) {
          xml_.problem(element,
                       "duplicate cbs-code " + *cbs_code + " (first at line " + std::to_string(it->second) + ")");
          ok = false;
        }
      }
      if (role == PartyRole::kGemeente && !cbs_code) {
        xml_.problem(element, "a party with role gemeente needs a cbs-code");
        ok = false;
      } else if (role && role != PartyRole::kGemeente && cbs_code) {
        xml_.problem(element, "only a party with role gemeente has a cbs-code");
        ok = false;
      }
      std::optional<std::string> organisation;
      if (auto attr = element.attribute("organisation")) organisation = attr.value();
      if (role == PartyRole::kPrivacyOfficer && !organisation) {
        xml_.problem(element, "a privacy-officer party needs organisation=\"<party id>\"");
        ok = false;
      } else if (role && role != PartyRole::kPrivacyOfficer && organisation) {
        xml_.problem(element, "only a privacy-officer party has an organisation");
        ok = false;
      } else if (organisation) {
        organisation_refs.emplace_back(element, *organisation);
      }

      std::vector<Endpoint> endpoints;
      std::set<std::string> endpoint_flows;
      for (auto endpoint : element.children("endpoint")) {
        xml_.checkElement(endpoint, {"flow", "url"}, {}, {});
        Endpoint e{endpoint.attribute("flow").value(), endpoint.attribute("url").value()};
        if (!e.flow.empty() && e.flow != "*" && !isIdentifier(e.flow)) {
          xml_.problem(endpoint, "flow must be \"*\" or a flow id, found \"" + e.flow + "\"");
        }
        if (!e.url.empty() && !parseHttpsUrl(e.url)) {
          xml_.problem(endpoint, "endpoint url must be https://HOST[:PORT][/PATH], found \"" + e.url + "\"");
        }
        if (!endpoint_flows.insert(e.flow).second) {
          xml_.problem(endpoint, "party \"" + id + "\" has two endpoints for flow \"" + e.flow + "\"");
        }
        endpoints.push_back(std::move(e));
      }
      std::vector<ZgwTarget> zgw = readZgwTargets(element, id, role, endpoint_flows);
      if (ok && oin && role && !id.empty()) {
        config.parties.push_back(Party{id, *oin, element.attribute("name").value(), *role, cbs_code, organisation,
                                       std::move(endpoints), std::move(zgw)});
      }
    }
    for (const auto& [element, organisation] : organisation_refs) {
      const Party* served = config.findPartyById(organisation);
      if (served == nullptr) {
        xml_.problem(element, "organisation \"" + organisation + "\" is not a configured party");
      } else if (served->role == PartyRole::kPrivacyOfficer) {
        xml_.problem(element, "organisation \"" + organisation + "\" is itself a privacy officer");
      }
    }
    if (node.children("party").begin() == node.children("party").end()) {
      xml_.problem(node, "<parties> holds no <party>; the gateway would refuse every caller");
    }
  }

  // A gemeente's <zgw> elements (docs/configuration.md): one per flow, not beside an
  // endpoint for the same flow; every address https, the RSIN a valid one, the secret file
  // its owner's only. A problem names the attribute, never the secret.
  std::vector<ZgwTarget> readZgwTargets(const pugi::xml_node& party, const std::string& party_id,
                                        std::optional<PartyRole> role, const std::set<std::string>& endpoint_flows) {
    std::vector<ZgwTarget> targets;
    std::set<std::string> flows;
    for (auto node : party.children("zgw")) {
      xml_.checkElement(node,
                        {"flow", "zaken", "documenten", "zaaktype", "informatieobjecttype", "roltype", "rsin",
                         "client-id", "secret-file"},
                        {}, {});
      if (role && role != PartyRole::kGemeente) {
        xml_.problem(node, "only a party with role gemeente has a case system (<zgw>)");
        continue;
      }
      ZgwTarget t{node.attribute("flow").value(),
                  node.attribute("zaken").value(),
                  node.attribute("documenten").value(),
                  node.attribute("zaaktype").value(),
                  node.attribute("informatieobjecttype").value(),
                  node.attribute("roltype").value(),
                  node.attribute("rsin").value(),
                  node.attribute("client-id").value(),
                  {},
                  {}};
      bool ok = true;
      const auto check = [&](bool holds, const std::string& message) {
        if (!holds) xml_.problem(node, message);
        ok = ok && holds;
      };
      check(isIdentifier(t.flow), "zgw flow must be a flow id, found \"" + t.flow + "\"");
      check(flows.insert(t.flow).second, "party \"" + party_id + "\" has two <zgw> for flow \"" + t.flow + "\"");
      check(!endpoint_flows.contains(t.flow),
            "party \"" + party_id + "\" has an endpoint and a <zgw> for flow \"" + t.flow + "\"; keep one");
      for (const auto& [name, value] : {std::pair<const char*, const std::string*>{"zaken", &t.zaken},
                                        {"documenten", &t.documenten},
                                        {"zaaktype", &t.zaaktype},
                                        {"informatieobjecttype", &t.informatieobjecttype},
                                        {"roltype", &t.roltype}}) {
        check(parseHttpsUrl(*value).has_value(),
              std::string(name) + " must be https://HOST[:PORT][/PATH], found \"" + *value + "\"");
      }
      check(isValidBsn(t.rsin), "rsin must be 9 digits that pass the elfproef, found \"" + t.rsin + "\"");
      check(!t.client_id.empty() && t.client_id.size() <= 255 &&
                std::all_of(t.client_id.begin(), t.client_id.end(), [](char c) { return c > ' ' && c < 0x7f; }),
            "client-id must be 1 to 255 visible ASCII characters");
      t.secret_file = resolvePath(node.attribute("secret-file").value());
      try {
        t.secret = readSecretFile(t.secret_file);
        while (!t.secret.empty() && (t.secret.back() == '\n' || t.secret.back() == '\r')) t.secret.pop_back();
        check(!t.secret.empty() && t.secret.size() <= 4096,
              "secret-file " + t.secret_file.string() + " must hold the client secret (1 to 4096 bytes)");
      } catch (const std::exception& e) {
        check(false, std::string("secret-file: ") + e.what());
      }
      if (ok) targets.push_back(std::move(t));
    }
    return targets;
  }

  StrictXmlReader xml_;
  std::string file_;
  std::filesystem::path base_dir_;
};

}  // namespace

ConfigLoadResult parseGatewayConfig(std::string_view xml, const std::string& file_label,
                                    const std::filesystem::path& base_dir) {
  return ConfigReader(xml, file_label, base_dir).read();
}

ConfigLoadResult loadGatewayConfig(const std::filesystem::path& file) {
  const auto content = readTextFile(file);
  if (!content) {
    ConfigLoadResult result;
    result.problems.push_back({file.string(), 0, "cannot open config file"});
    return result;
  }
  const auto base = std::filesystem::absolute(file).parent_path();
  return parseGatewayConfig(*content, file.string(), base);
}

}  // namespace ketenpoort
