#include "gateway/config/config_writer.hpp"

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

void addListener(pugi::xml_node parent, const char* name, const ListenerConfig& l) {
  auto node = parent.append_child(name);
  node.append_attribute("address") = l.address.c_str();
  node.append_attribute("port") = l.port;
}

}  // namespace

std::string renderGatewayConfigXml(const GatewayConfig& config, const std::filesystem::path& base_dir) {
  pugi::xml_document doc;
  auto decl = doc.append_child(pugi::node_declaration);
  decl.append_attribute("version") = "1.0";
  decl.append_attribute("encoding") = "UTF-8";
  auto root = doc.append_child("ketenpoort");
  root.append_attribute("mode") = std::string(toString(config.mode)).c_str();

  auto listeners = root.append_child("listeners");
  addListener(listeners, "exchange", config.exchange);
  addListener(listeners, "audit", config.audit);
  addListener(listeners, "ops", config.ops);

  auto tls = root.append_child("tls");
  tls.append_attribute("ca-bundle") = relativeTo(config.tls.ca_bundle, base_dir).c_str();
  tls.append_attribute("certificate") = relativeTo(config.tls.certificate, base_dir).c_str();
  tls.append_attribute("private-key") = relativeTo(config.tls.private_key, base_dir).c_str();
  if (!config.tls.crl_dir.empty()) {
    tls.append_attribute("crl-dir") = relativeTo(config.tls.crl_dir, base_dir).c_str();
  }

  auto storage = root.append_child("storage");
  if (config.storage_backend == StorageBackend::kPostgresql) {
    storage.append_attribute("backend") = "postgresql";
    storage.append_attribute("dsn") = config.storage_dsn.c_str();
    storage.append_attribute("node-id") = config.storage_node_id.c_str();
    storage.append_attribute("key-dir") = relativeTo(config.storage_key_dir, base_dir).c_str();
  } else {
    storage.append_attribute("path") = relativeTo(config.storage_path, base_dir).c_str();
  }
  storage.append_attribute("checkpoint-every-records") =
      static_cast<unsigned long long>(config.checkpoint_every_records);
  storage.append_attribute("checkpoint-every-ms") = static_cast<long long>(config.checkpoint_every.count());
  storage.append_attribute("busy-timeout-ms") = static_cast<long long>(config.storage_busy_timeout.count());
  if (config.purge_at) {
    char at[8];
    std::snprintf(at, sizeof at, "%02d:%02d", static_cast<int>(config.purge_at->count() / 60),
                  static_cast<int>(config.purge_at->count() % 60));
    storage.append_attribute("purge-at") = at;
  } else {
    storage.append_attribute("purge-at") = "off";
  }

  const Limits& l = config.limits;
  root.append_child("mappings").append_attribute("dir") = relativeTo(config.mappings_dir, base_dir).c_str();

  auto limits = root.append_child("limits");
  limits.append_attribute("threads") = l.threads;
  limits.append_attribute("max-connections") = static_cast<unsigned long long>(l.max_connections);
  limits.append_attribute("max-header-bytes") = static_cast<unsigned long long>(l.max_header_bytes);
  limits.append_attribute("max-body-bytes") = static_cast<unsigned long long>(l.max_body_bytes);
  limits.append_attribute("handshake-timeout-ms") = static_cast<long long>(l.handshake_timeout.count());
  limits.append_attribute("max-handshakes") = static_cast<unsigned long long>(l.max_handshakes);
  limits.append_attribute("max-handshakes-per-address") = static_cast<unsigned long long>(l.max_handshakes_per_address);
  limits.append_attribute("pressure-handshake-timeout-ms") =
      static_cast<long long>(l.pressure_handshake_timeout.count());
  limits.append_attribute("header-timeout-ms") = static_cast<long long>(l.header_timeout.count());
  limits.append_attribute("body-timeout-ms") = static_cast<long long>(l.body_timeout.count());
  limits.append_attribute("idle-timeout-ms") = static_cast<long long>(l.idle_timeout.count());
  limits.append_attribute("drain-timeout-ms") = static_cast<long long>(l.drain_timeout.count());

  auto signals = root.append_child("signals");
  signals.append_attribute("elip-loan-percent") = formatHundredths(config.signals.elip_loan_basis_points).c_str();
  signals.append_attribute("elip-months-left") =
      config.signals.elip_months_left ? std::to_string(*config.signals.elip_months_left).c_str() : "off";
  signals.append_attribute("attendance-norm-percent") =
      formatHundredths(config.signals.attendance_norm_basis_points).c_str();
  signals.append_attribute("bridging-after-days") = config.signals.bridging_after_days;
  auto queries = root.append_child("queries");
  queries.append_attribute("timeout-ms") = static_cast<long long>(config.queries.timeout.count());
  queries.append_attribute("threads") = config.queries.threads;
  auto outbox = root.append_child("outbox");
  outbox.append_attribute("workers") = config.outbox.workers;
  outbox.append_attribute("max-attempts") = config.outbox.max_attempts;
  outbox.append_attribute("initial-backoff-ms") = static_cast<long long>(config.outbox.initial_backoff.count());
  outbox.append_attribute("max-backoff-ms") = static_cast<long long>(config.outbox.max_backoff.count());
  outbox.append_attribute("delivery-timeout-ms") = static_cast<long long>(config.outbox.delivery_timeout.count());
  outbox.append_attribute("lease-ms") = static_cast<long long>(config.outbox.lease.count());

  auto parties = root.append_child("parties");
  for (const Party& p : config.parties) {
    auto node = parties.append_child("party");
    node.append_attribute("id") = p.id.c_str();
    node.append_attribute("oin") = p.oin.str().c_str();
    node.append_attribute("name") = p.name.c_str();
    node.append_attribute("role") = std::string(toString(p.role)).c_str();
    if (p.cbs_code) node.append_attribute("cbs-code") = p.cbs_code->c_str();
    if (p.organisation) node.append_attribute("organisation") = p.organisation->c_str();
    for (const Endpoint& e : p.endpoints) {
      auto endpoint = node.append_child("endpoint");
      endpoint.append_attribute("flow") = e.flow.c_str();
      endpoint.append_attribute("url") = e.url.c_str();
    }
  }
  if (!config.agreements.empty()) {
    auto agreements = root.append_child("agreements");
    for (const AgreementConfig& a : config.agreements) {
      auto node = agreements.append_child("agreement");
      node.append_attribute("id") = a.id.c_str();
      node.append_attribute("party") = a.party_id.c_str();
      node.append_attribute("purpose") = a.purpose_id.c_str();
      node.append_attribute("gemeente") = a.gemeente_id.c_str();
      node.append_attribute("valid-from") = formatIsoDate(a.valid_from).c_str();
      node.append_attribute("valid-until") = formatIsoDate(a.valid_until).c_str();
      node.append_attribute("document") = a.document_ref.c_str();
    }
  }
  std::ostringstream out;
  doc.save(out, "  ");
  return out.str();
}

}  // namespace ketenpoort
