#include "gateway/demo/demo_environment.hpp"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/rand.h>

#include <fstream>
#include <sstream>
#include <stdexcept>

#include "gateway/config/config_writer.hpp"
#include "gateway/secrets/secret_files.hpp"

namespace ketenpoort {

const std::vector<DemoParty>& demoParties() {
  static const std::vector<DemoParty> parties{
      {"coa", "00000099100000000001", "COA (Centraal Orgaan opvang asielzoekers)", PartyRole::kCoa, nullptr, nullptr},
      {"duo", "00000099100000000002", "DUO (Dienst Uitvoering Onderwijs)", PartyRole::kDuo, nullptr, nullptr},
      {"toeslagen", "00000099100000000003", "Belastingdienst/Toeslagen", PartyRole::kToeslagen, nullptr, nullptr},
      {"gemeente-0363", "00000099200000000363", "Gemeente Amsterdam", PartyRole::kGemeente, "0363", nullptr},
      {"gemeente-0518", "00000099200000000518", "Gemeente 's-Gravenhage", PartyRole::kGemeente, "0518", nullptr},
      {"taalschool-a", "00000099300000000001", "Taalschool A (demo)", PartyRole::kTaalschool, nullptr, nullptr},
      {"taalschool-b", "00000099300000000002", "Taalschool B (demo)", PartyRole::kTaalschool, nullptr, nullptr},
      {"fg-0363", "00000099400000000363", "Functionaris gegevensbescherming Amsterdam", PartyRole::kPrivacyOfficer,
       nullptr, "gemeente-0363"},
      {"fg-0518", "00000099400000000518", "Functionaris gegevensbescherming 's-Gravenhage", PartyRole::kPrivacyOfficer,
       nullptr, "gemeente-0518"},
  };
  return parties;
}

namespace {

// gemeente-0518's case system (DemoPorts::zgw): its klantprofielen and nareisprofielen go
// there, a fresh client secret per run in a 0600 file beside the PKI.
void addDemoCaseSystem(const DemoEnvironment& env, Party& party, std::uint16_t port) {
  unsigned char random[24];
  if (RAND_bytes(random, sizeof random) != 1) throw std::runtime_error("no randomness for the ZGW client secret");
  std::string secret;
  static constexpr std::string_view kHex = "0123456789abcdef";
  for (const unsigned char byte : random) {
    secret += kHex[byte >> 4];
    secret += kHex[byte & 15];
  }
  const std::filesystem::path file = env.pkiDir() / "zgw-0518.secret";
  std::filesystem::remove(file);
  if (!createSecretFile(file, secret + "\n")) throw std::runtime_error("cannot create " + file.string());
  const std::string root = "https://127.0.0.1:" + std::to_string(port);
  // The demo catalogue's types (a case system's Catalogi API would publish them).
  const std::string catalogi = root + "/catalogi/api/v1/";
  for (const char* flow : {"coa.klantprofiel", "coa.nareisprofiel"}) {
    party.zgw.push_back({flow, root + "/zaken/api/v1", root + "/documenten/api/v1",
                         catalogi + "zaaktypen/5e2b0a4c-0c7e-4b7e-9d4a-0518000000a1",
                         catalogi + "informatieobjecttypen/5e2b0a4c-0c7e-4b7e-9d4a-0518000000b2",
                         catalogi + "roltypen/5e2b0a4c-0c7e-4b7e-9d4a-0518000000c3", "002220647", kDemoZgwClient, file,
                         secret});
  }
}

}  // namespace

void writeClientCertificate(const DemoEnvironment& env, const DevCertificateAuthority& ca, const std::string& name,
                            const std::string& oin, long not_before_offset_seconds, long not_after_offset_seconds) {
  CertificateRequest request;
  request.common_name = name;
  request.organisation = name;
  request.serial_number = oin;
  request.client = true;
  // The party's own system may also receive (a gemeente's endpoint, a simulator).
  request.server = true;
  request.dns_names = {"localhost"};
  request.ip_addresses = {"127.0.0.1"};
  request.not_before_offset_seconds = not_before_offset_seconds;
  request.not_after_offset_seconds = not_after_offset_seconds;
  const PemPair pair = ca.issue(request);
  writePemFile(env.certificateOf(name), pair.certificate_pem, false);
  writePemFile(env.keyOf(name), pair.private_key_pem, true);
}

OfficerBundle writeOfficerPkcs12(const DemoEnvironment& env, const std::string& party_id) {
  const auto read = [](const std::filesystem::path& file) {
    std::ifstream in(file);
    std::stringstream text;
    text << in.rdbuf();
    if (!in) throw std::runtime_error("cannot read " + file.string());
    return text.str();
  };
  // Four groups of four letters and digits, easy to type (no 0/o, 1/l).
  static constexpr std::string_view kAlphabet = "abcdefghijkmnpqrstuvwxyz23456789";
  unsigned char random[16];
  if (RAND_bytes(random, sizeof random) != 1) throw std::runtime_error("no randomness for the PKCS#12 password");
  OfficerBundle bundle;
  for (std::size_t i = 0; i < sizeof random; ++i) {
    if (i > 0 && i % 4 == 0) bundle.password += '-';
    bundle.password += kAlphabet[random[i] % kAlphabet.size()];
  }
  const PemPair pair{read(env.certificateOf(party_id)), read(env.keyOf(party_id))};
  bundle.file = env.pkiDir() / (party_id + ".p12");
  writePemFile(bundle.file, pkcs12(pair, env.ca.certificatePem(), party_id, bundle.password), true);
  return bundle;
}

std::filesystem::path shippedMappingsDir() { return KETENPOORT_SHIPPED_MAPPINGS_DIR; }

CertificateRequest gatewayCertificateRequest(const std::string& organisation) {
  CertificateRequest gateway;
  gateway.common_name = "localhost";
  gateway.organisation = organisation;
  gateway.dns_names = {"localhost"};
  gateway.ip_addresses = {"127.0.0.1", "::1"};
  gateway.server = true;
  gateway.client = true;  // the gateway also calls out to receivers with this certificate
  return gateway;
}

std::uint16_t freeLoopbackPort() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  const bool bound = ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0 &&
                     ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) == 0;
  ::close(fd);
  if (!bound) throw std::runtime_error("no free port on 127.0.0.1");
  return ntohs(address.sin_port);
}

void revokeCertificates(const DemoEnvironment& env, const std::vector<std::string>& party_ids) {
  std::vector<std::string> revoked;
  for (const std::string& id : party_ids) {
    std::ifstream in(env.certificateOf(id));
    std::stringstream pem;
    pem << in.rdbuf();
    revoked.push_back(pem.str());
  }
  std::filesystem::create_directories(env.pkiDir() / "crl");
  writePemFile(env.pkiDir() / "crl" / "ca.crl.pem", env.ca.crlPem(revoked), false);
}

DemoEnvironment createDemoEnvironment(const std::filesystem::path& workdir, const DemoPorts& ports,
                                      const std::filesystem::path& mappings_dir) {
  const auto root = std::filesystem::absolute(workdir).lexically_normal();
  std::filesystem::create_directories(root / "pki");
  std::filesystem::create_directories(root / "data");
  std::filesystem::permissions(root / "pki", std::filesystem::perms::owner_all);

  DemoEnvironment env{root, root / "ketenpoort.xml", GatewayConfig{},
                      DevCertificateAuthority("ketenpoort development root CA")};
  writePemFile(root / "pki" / "ca.pem", env.ca.certificatePem(), false);

  const PemPair gateway_pair = env.ca.issue(gatewayCertificateRequest());
  writePemFile(root / "pki" / "gateway.pem", gateway_pair.certificate_pem, false);
  writePemFile(root / "pki" / "gateway.key", gateway_pair.private_key_pem, true);

  GatewayConfig& config = env.config;
  config.source = env.config_file;
  config.mode = GatewayMode::kTest;
  config.exchange = {"127.0.0.1", ports.exchange};
  config.audit = {"127.0.0.1", ports.audit};
  config.ops = {"127.0.0.1", ports.ops};
  config.tls = {root / "pki" / "ca.pem", root / "pki" / "gateway.pem", root / "pki" / "gateway.key",
                root / "pki" / "crl"};
  revokeCertificates(env, {});  // an empty CRL: revocation is checked from the start
  config.storage_path = root / "data" / "ketenpoort.db";
  config.mappings_dir = mappings_dir;
  std::size_t gemeente_index = 0;
  for (const DemoParty& p : demoParties()) {
    writeClientCertificate(env, env.ca, p.id, p.oin);
    Party party{p.id, *Oin::parse(p.oin), p.name, p.role, std::nullopt, std::nullopt, {}, {}};
    if (p.cbs_code) party.cbs_code = p.cbs_code;
    if (p.role == PartyRole::kGemeente && ports.gemeente_receivers != 0) {
      const auto port = ports.gemeente_receivers + static_cast<std::uint16_t>(gemeente_index++);
      party.endpoints.push_back({"*", "https://127.0.0.1:" + std::to_string(port) + "/berichten"});
    }
    const auto at = [](std::uint16_t port, const char* path) {
      return "https://127.0.0.1:" + std::to_string(port) + path;
    };
    if (p.role == PartyRole::kDuo && ports.duo != 0) {
      party.endpoints.push_back({"duo.inburgeringsstatus", at(ports.duo, "/duo/inburgeringsstatus")});
      party.endpoints.push_back({"duo.elip-signaal", at(ports.duo, "/duo/elip-overzicht")});
    }
    if (p.role == PartyRole::kToeslagen && ports.toeslagen != 0) {
      party.endpoints.push_back({"coa.toeslagaanvraag", at(ports.toeslagen, "/toeslagen/aanvragen")});
    }
    if (p.id == std::string_view("gemeente-0518") && ports.zgw != 0) addDemoCaseSystem(env, party, ports.zgw);
    if (p.organisation) party.organisation = p.organisation;
    config.parties.push_back(std::move(party));
  }

  // taalschool-a may exchange ELIP data with Amsterdam; taalschool-b has no agreement.
  config.agreements.push_back({"vwo-0363-taalschool-a-elip", "taalschool-a", "elip", "gemeente-0363",
                               *parseIsoDate("2025-01-01"), *parseIsoDate("2027-12-31"),
                               "demo://verwerkersovereenkomst/0363-a"});

  std::ofstream out(env.config_file, std::ios::trunc);
  out << renderGatewayConfigXml(config, root);
  if (!out) throw std::runtime_error("cannot write " + env.config_file.string());
  return env;
}

}  // namespace ketenpoort
