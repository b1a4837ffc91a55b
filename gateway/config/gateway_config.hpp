#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "gateway/calendar/civil_date.hpp"
#include "gateway/identity/oin.hpp"
#include "gateway/signals/derived_signals.hpp"

namespace ketenpoort {

// In test mode the gateway also accepts parties with test OINs (prefix 00000099).
enum class GatewayMode { kProduction, kTest };

enum class PartyRole { kCoa, kDuo, kToeslagen, kGemeente, kTaalschool, kPrivacyOfficer };

std::string_view toString(PartyRole role);
std::optional<PartyRole> parsePartyRole(std::string_view text);
std::string_view toString(GatewayMode mode);

// An https:// address the gateway calls (an endpoint, a source system): host, port and
// the request target. Nothing else: no user or password in it, no fragment.
struct HttpsUrl {
  std::string host;
  std::uint16_t port = 443;
  std::string target = "/";
};
std::optional<HttpsUrl> parseHttpsUrl(std::string_view url);

// An http:// or https:// address the gateway fetches a public, signed document from (a
// CA's CRL distribution point, which is plain HTTP as a rule: the signature protects it).
struct WebUrl {
  bool tls = true;  // https
  HttpsUrl address;
};
std::optional<WebUrl> parseWebUrl(std::string_view url);

// Where the gateway fetches one CA's CRL from, and the file of the CRL directory it keeps
// it in (tls/crl-source).
struct CrlSource {
  std::string url;
  std::string file;  // a plain name in tls/@crl-dir, *.crl or *.pem
  bool operator==(const CrlSource&) const = default;
};

struct ListenerConfig {
  std::string address;
  std::uint16_t port = 0;
  bool operator==(const ListenerConfig&) const = default;
};

struct TlsFiles {
  std::filesystem::path ca_bundle;
  std::filesystem::path certificate;
  std::filesystem::path private_key;
  // Certificate revocation lists (PEM, *.pem or *.crl) for the CAs of the bundle. When
  // set, every client certificate is checked against them: revoked, or no current CRL
  // for its issuer, is refused in the handshake.
  std::filesystem::path crl_dir{};
  // How long past its nextUpdate a CRL is still taken (0: not at all, fail-closed). A grace
  // bridges a CA that publishes late; the expiry metric shows it from the first hour.
  std::chrono::hours crl_grace{0};
  // How often the gateway looks whether these files changed on disk; a change (a renewed
  // certificate, a new CRL) is loaded, checked and taken for new connections.
  std::chrono::milliseconds check_files_interval{10'000};
  // CRLs fetched from their CAs' distribution points into crl_dir, each this often (and
  // at start); what a fetch brings is taken only when the bundle's CA signed it and it is
  // newer than the file (gateway/tls/crl_update.hpp).
  std::vector<CrlSource> crl_sources{};
  std::chrono::seconds crl_fetch_interval{3600};
  int line = 0;  // of <tls> in the config file, for problems found when loading the files

  // The same files and rules (where <tls> stands in the file does not matter).
  bool sameAs(const TlsFiles& other) const {
    return ca_bundle == other.ca_bundle && certificate == other.certificate && private_key == other.private_key &&
           crl_dir == other.crl_dir && crl_grace == other.crl_grace &&
           check_files_interval == other.check_files_interval && crl_sources == other.crl_sources &&
           crl_fetch_interval == other.crl_fetch_interval;
  }
};

// Every limit has a safe default, so a config may leave <limits> out.
struct Limits {
  unsigned threads = 0;  // 0: one per core
  std::size_t max_connections = 1024;
  std::size_t max_header_bytes = std::size_t{16} * 1024;
  std::size_t max_body_bytes = std::size_t{1024} * 1024;
  std::chrono::milliseconds handshake_timeout{10'000};
  // Connections still in their TLS handshake, overall and per source address; past a
  // limit the oldest of them is closed. Under pressure (half the handshake slots taken)
  // a new handshake gets the shorter deadline.
  std::size_t max_handshakes = 256;
  std::size_t max_handshakes_per_address = 64;
  std::chrono::milliseconds pressure_handshake_timeout{2'000};
  std::chrono::milliseconds header_timeout{10'000};
  std::chrono::milliseconds body_timeout{30'000};
  std::chrono::milliseconds idle_timeout{60'000};
  std::chrono::milliseconds drain_timeout{15'000};
  bool operator==(const Limits&) const = default;
};

// Delivery from the outbox to recipients' endpoints.
struct OutboxSettings {
  unsigned workers = 4;
  std::uint32_t max_attempts = 10;  // then dead-letter
  std::chrono::milliseconds initial_backoff{1'000};
  std::chrono::milliseconds max_backoff{300'000};
  std::chrono::milliseconds delivery_timeout{10'000};
  // Several nodes (PostgreSQL): how long a node holds an entry it took to deliver. Another
  // node takes it only after this, so it must exceed delivery-timeout-ms with room to spare.
  std::chrono::milliseconds lease{60'000};
  bool operator==(const OutboxSettings&) const = default;
};

// Questions the gateway puts to source systems (DUO) for a query flow.
struct QuerySettings {
  // The whole question, connect to last byte; past it the asker gets 504 and nothing else.
  std::chrono::milliseconds timeout{5'000};
  // Threads that wait on source systems, apart from those that serve pushes, so a slow
  // source cannot hold up the chain's other flows.
  unsigned threads = 8;
  bool operator==(const QuerySettings&) const = default;
};

// Where a party receives messages: one URL per flow, "*" for every flow.
struct Endpoint {
  std::string flow;
  std::string url;
  bool operator==(const Endpoint&) const = default;
};

// Where a gemeente takes one flow into its case system through the ZGW APIs (issue 28,
// docs/adapters/zgw.md), instead of an endpoint: the Zaken and Documenten APIs, the
// catalogue's zaaktype, informatieobjecttype and roltype its zaken are made with, the RSIN
// of the gemeente (bronorganisatie), and who the gateway is to its Autorisaties.
struct ZgwTarget {
  std::string flow;
  std::string zaken;       // https://…/zaken/api/v1
  std::string documenten;  // https://…/documenten/api/v1
  std::string zaaktype;
  std::string informatieobjecttype;
  std::string roltype;
  std::string rsin;  // 9 digits, elfproef
  std::string client_id;
  std::filesystem::path secret_file;  // mode 0600
  std::string secret;                 // read from secret_file at load and reload; never logged or written
  bool operator==(const ZgwTarget&) const = default;
};

struct Party {
  std::string id;
  Oin oin;
  std::string name;
  PartyRole role;
  std::optional<std::string> cbs_code;      // gemeente only: 4-digit CBS gemeentecode
  std::optional<std::string> organisation;  // privacy-officer only: the party id served
  std::vector<Endpoint> endpoints;
  std::vector<ZgwTarget> zgw;  // gemeente only: flows delivered into its case system
  bool operator==(const Party&) const = default;

  // The case system this party takes `flow_id` into, or nullptr (an endpoint or the postbus).
  const ZgwTarget* zgwFor(std::string_view flow_id) const;
};

// A processor agreement or covenant, e.g. a language school with a gemeente for ELIP.
// The signed document stays in the organisations' archives; the gateway keeps its
// reference and enforces the validity period.
struct AgreementConfig {
  std::string id;
  std::string party_id;     // the party bound by it (e.g. a taalschool)
  std::string purpose_id;   // the flows' purpose it covers
  std::string gemeente_id;  // the gemeente party it is made with
  CivilDate valid_from;
  CivilDate valid_until;  // inclusive
  std::string document_ref;
  bool operator==(const AgreementConfig&) const = default;
};

enum class StorageBackend { kSqlite, kPostgresql };

struct GatewayConfig {
  std::filesystem::path source;  // the file it came from, for messages
  GatewayMode mode = GatewayMode::kProduction;
  ListenerConfig exchange{"0.0.0.0", 8443};
  ListenerConfig audit{"0.0.0.0", 8444};
  ListenerConfig ops{"127.0.0.1", 9090};
  TlsFiles tls;
  // Where the log, registries and outbox live: one SQLite file (the embedded default), or a
  // PostgreSQL database that several nodes share (each with its own node id and keys).
  StorageBackend storage_backend = StorageBackend::kSqlite;
  std::filesystem::path storage_path;     // SQLite: the database; keys live beside it
  std::string storage_dsn;                // PostgreSQL: libpq connection string (no password: use passfile)
  std::string storage_node_id;            // PostgreSQL: this node's chain
  std::filesystem::path storage_key_dir;  // PostgreSQL: this node's signing key and the subject key
  // Exchange-log checkpoints: every N records or T, whichever comes first.
  std::size_t checkpoint_every_records = 10'000;
  std::chrono::milliseconds checkpoint_every{60'000};
  std::chrono::milliseconds storage_busy_timeout{5'000};
  // The daily purge of records past their retention inside `serve`: minutes after
  // midnight UTC; none when off (then `ketenpoort log purge` is run by hand or by cron).
  std::optional<std::chrono::minutes> purge_at{std::chrono::minutes(3 * 60 + 30)};
  std::filesystem::path mappings_dir;  // fields.xml and flows/*.xml
  Limits limits;
  OutboxSettings outbox;
  QuerySettings queries;
  SignalThresholds signals;  // <signals elip-loan-percent=… />
  std::vector<Party> parties;
  std::vector<AgreementConfig> agreements;

  // The directory holding the log's signing key and the subject-reference key.
  std::filesystem::path keyDirectory() const;

  const Party* findPartyByOin(const Oin& oin) const;
  const Party* findPartyById(std::string_view id) const;
};

// What a reload changes, from `before` to `after`, by id: parties (their OIN, name, role,
// code, organisation or endpoints), agreements, and whether the mappings directory, the
// limits, the outbox's and queries' settings or the TLS files did. `restart_only` names
// each setting that changed and that a running gateway cannot take (its listeners, threads,
// store, mode, signal thresholds): such a configuration is refused by a reload.
struct ConfigChanges {
  std::vector<std::string> parties_added, parties_removed, parties_changed;
  std::vector<std::string> agreements_added, agreements_removed, agreements_changed;
  bool mappings_dir = false, limits = false, outbox = false, queries = false, tls = false;
  std::vector<std::string> restart_only;

  bool any() const;
};
ConfigChanges compareConfigs(const GatewayConfig& before, const GatewayConfig& after);

}  // namespace ketenpoort
