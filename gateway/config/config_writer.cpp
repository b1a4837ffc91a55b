#include "gateway/config/config_writer.hpp"

#include <algorithm>
#include <cstdio>
#include <sstream>

#include <pugixml.hpp>

namespace ketenpoort {
namespace {

std::string relativeTo(const std::filesystem::path& p, const std::filesystem::path& base) {
  const auto rel = p.lexically_relative(base);
  if (rel.empty() || rel.string().starts_with("..")) return p.string();
  return rel.string();
}

// An element's attributes in the order given, each as the loader reads it back: text as it
// is, a number in decimal, a duration in milliseconds.
struct Attribute {
  Attribute(const char* n, std::string v) : name(n), value(std::move(v)) {}
  Attribute(const char* n, const char* v) : name(n), value(v) {}
  Attribute(const char* n, std::string_view v) : name(n), value(v) {}
  Attribute(const char* n, std::uint64_t v) : name(n), value(std::to_string(v)) {}
  Attribute(const char* n, int v) : name(n), value(std::to_string(v)) {}
  Attribute(const char* n, unsigned v) : name(n), value(std::to_string(v)) {}
  Attribute(const char* n, std::chrono::milliseconds v) : name(n), value(std::to_string(v.count())) {}
  const char* name;
  std::string value;
};

pugi::xml_node element(pugi::xml_node parent, const char* name, std::initializer_list<Attribute> attributes) {
  auto node = parent.append_child(name);
  for (const Attribute& a : attributes) node.append_attribute(a.name) = a.value.c_str();
  return node;
}

}  // namespace

std::string renderGatewayConfigXml(const GatewayConfig& config, const std::filesystem::path& base_dir) {
  const auto path = [&base_dir](const std::filesystem::path& p) { return relativeTo(p, base_dir); };
  pugi::xml_document doc;
  auto decl = doc.append_child(pugi::node_declaration);
  decl.append_attribute("version") = "1.0";
  decl.append_attribute("encoding") = "UTF-8";
  auto root = element(doc, "ketenpoort", {{"mode", toString(config.mode)}});

  auto listeners = root.append_child("listeners");
  for (const auto& [name, l] :
       {std::pair{"exchange", &config.exchange}, std::pair{"audit", &config.audit}, std::pair{"ops", &config.ops}}) {
    element(listeners, name, {{"address", l->address}, {"port", unsigned{l->port}}});
  }
  auto tls = element(root, "tls",
                     {{"ca-bundle", path(config.tls.ca_bundle)},
                      {"certificate", path(config.tls.certificate)},
                      {"private-key", path(config.tls.private_key)}});
  if (!config.tls.crl_dir.empty()) tls.append_attribute("crl-dir") = path(config.tls.crl_dir).c_str();
  if (config.tls.crl_grace != TlsFiles{}.crl_grace) {
    tls.append_attribute("crl-grace-hours") = static_cast<unsigned>(config.tls.crl_grace.count());
  }
  if (config.tls.check_files_interval != TlsFiles{}.check_files_interval) {
    tls.append_attribute("check-files-ms") = static_cast<unsigned long long>(config.tls.check_files_interval.count());
  }
  if (config.tls.crl_fetch_interval != TlsFiles{}.crl_fetch_interval) {
    // Minutes in the file: an interval below one (tests) is written as one.
    const auto minutes = std::max<long long>(1, (config.tls.crl_fetch_interval.count() + 59) / 60);
    tls.append_attribute("crl-fetch-minutes") = minutes;
  }
  for (const CrlSource& source : config.tls.crl_sources) {
    auto crl = tls.append_child("crl-source");
    crl.append_attribute("url") = source.url.c_str();
    crl.append_attribute("file") = source.file.c_str();
  }

  auto storage = config.storage_backend == StorageBackend::kPostgresql
                     ? element(root, "storage",
                               {{"backend", "postgresql"},
                                {"dsn", config.storage_dsn},
                                {"node-id", config.storage_node_id},
                                {"key-dir", path(config.storage_key_dir)}})
                     : element(root, "storage", {{"path", path(config.storage_path)}});
  char purge_at[8] = "off";
  if (config.purge_at) {
    std::snprintf(purge_at, sizeof purge_at, "%02d:%02d", static_cast<int>(config.purge_at->count() / 60),
                  static_cast<int>(config.purge_at->count() % 60));
  }
  for (const Attribute& a :
       {Attribute{"checkpoint-every-records", config.checkpoint_every_records},
        Attribute{"checkpoint-every-ms", config.checkpoint_every},
        Attribute{"busy-timeout-ms", config.storage_busy_timeout}, Attribute{"purge-at", purge_at}}) {
    storage.append_attribute(a.name) = a.value.c_str();
  }
  element(root, "mappings", {{"dir", path(config.mappings_dir)}});

  const Limits& l = config.limits;
  element(root, "limits",
          {{"threads", l.threads},
           {"max-connections", std::uint64_t{l.max_connections}},
           {"max-header-bytes", std::uint64_t{l.max_header_bytes}},
           {"max-body-bytes", std::uint64_t{l.max_body_bytes}},
           {"handshake-timeout-ms", l.handshake_timeout},
           {"max-handshakes", std::uint64_t{l.max_handshakes}},
           {"max-handshakes-per-address", std::uint64_t{l.max_handshakes_per_address}},
           {"pressure-handshake-timeout-ms", l.pressure_handshake_timeout},
           {"header-timeout-ms", l.header_timeout},
           {"body-timeout-ms", l.body_timeout},
           {"idle-timeout-ms", l.idle_timeout},
           {"drain-timeout-ms", l.drain_timeout}});
  const SignalThresholds& signals = config.signals;
  element(root, "signals",
          {{"elip-loan-percent", formatHundredths(signals.elip_loan_basis_points)},
           {"elip-months-left", signals.elip_months_left ? std::to_string(*signals.elip_months_left) : "off"},
           {"attendance-norm-percent", formatHundredths(signals.attendance_norm_basis_points)},
           {"bridging-after-days", signals.bridging_after_days}});
  element(root, "queries", {{"timeout-ms", config.queries.timeout}, {"threads", config.queries.threads}});
  element(root, "outbox",
          {{"workers", config.outbox.workers},
           {"max-attempts", config.outbox.max_attempts},
           {"initial-backoff-ms", config.outbox.initial_backoff},
           {"max-backoff-ms", config.outbox.max_backoff},
           {"delivery-timeout-ms", config.outbox.delivery_timeout},
           {"lease-ms", config.outbox.lease}});

  auto parties = root.append_child("parties");
  for (const Party& p : config.parties) {
    auto node =
        element(parties, "party", {{"id", p.id}, {"oin", p.oin.str()}, {"name", p.name}, {"role", toString(p.role)}});
    if (p.cbs_code) node.append_attribute("cbs-code") = p.cbs_code->c_str();
    if (p.organisation) node.append_attribute("organisation") = p.organisation->c_str();
    for (const Endpoint& e : p.endpoints) element(node, "endpoint", {{"flow", e.flow}, {"url", e.url}});
    for (const ZgwTarget& z : p.zgw) {  // the secret stays in its file
      element(node, "zgw",
              {{"flow", z.flow},
               {"zaken", z.zaken},
               {"documenten", z.documenten},
               {"zaaktype", z.zaaktype},
               {"informatieobjecttype", z.informatieobjecttype},
               {"roltype", z.roltype},
               {"rsin", z.rsin},
               {"client-id", z.client_id},
               {"secret-file", z.secret_file.string()}});
    }
  }
  if (!config.agreements.empty()) {
    auto agreements = root.append_child("agreements");
    for (const AgreementConfig& a : config.agreements) {
      element(agreements, "agreement",
              {{"id", a.id},
               {"party", a.party_id},
               {"purpose", a.purpose_id},
               {"gemeente", a.gemeente_id},
               {"valid-from", formatIsoDate(a.valid_from)},
               {"valid-until", formatIsoDate(a.valid_until)},
               {"document", a.document_ref}});
    }
  }
  std::ostringstream out;
  doc.save(out, "  ");
  return out.str();
}

}  // namespace ketenpoort
