#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "gateway/config/gateway_config.hpp"
#include "gateway/devpki/dev_pki.hpp"

namespace ketenpoort {

// The demo parties every issue builds on. Their OINs are test OINs (prefix 00000099), so
// the demo gateway runs in mode="test".
struct DemoParty {
  const char* id;
  const char* oin;
  const char* name;
  PartyRole role;
  const char* cbs_code;      // gemeente only
  const char* organisation;  // privacy officer only
};
const std::vector<DemoParty>& demoParties();

inline constexpr const char* kDemoZgwClient = "ketenpoort-demo";

struct DemoPorts {
  std::uint16_t exchange = 8443;
  std::uint16_t audit = 8444;
  std::uint16_t ops = 9090;
  // When set, the demo gemeenten get endpoints https://127.0.0.1:<this + i>/berichten, in
  // the order of demoParties(); otherwise they fetch from their postbus.
  std::uint16_t gemeente_receivers = 0;
  // When set, DUO's register answers at https://127.0.0.1:<duo>/duo/… and the
  // Belastingdienst receives aanvragen at https://127.0.0.1:<toeslagen>/toeslagen/aanvragen.
  std::uint16_t duo = 0;
  std::uint16_t toeslagen = 0;
  // When set, gemeente-0518 takes COA's klantprofiel and nareisprofiel into its case system
  // through the ZGW APIs at https://127.0.0.1:<zgw>/zaken/api/v1 and …/documenten/api/v1
  // (the demo's ZGW test server), as client kDemoZgwClient with a secret made for the run
  // in pki/zgw-0518.secret (0600).
  std::uint16_t zgw = 0;
};

// A work directory with pki/ (ca.pem, gateway.pem/.key, <party-id>.pem/.key), data/ and
// ketenpoort.xml. Keeps the CA so tests can issue more certificates from it.
struct DemoEnvironment {
  std::filesystem::path workdir;
  std::filesystem::path config_file;
  GatewayConfig config;
  DevCertificateAuthority ca;

  std::filesystem::path pkiDir() const { return workdir / "pki"; }
  std::filesystem::path certificateOf(const std::string& party_id) const { return pkiDir() / (party_id + ".pem"); }
  std::filesystem::path keyOf(const std::string& party_id) const { return pkiDir() / (party_id + ".key"); }
  // The demo CA and `party_id`'s certificate and key: what its system presents and trusts.
  TlsFiles tlsOf(const std::string& party_id) const {
    return {pkiDir() / "ca.pem", certificateOf(party_id), keyOf(party_id)};
  }
};

// A privacy officer's certificate and key as a PKCS#12 file beside the PEM files
// (pki/<party-id>.p12, mode 0600), for a browser to import, under a password made here.
struct OfficerBundle {
  std::filesystem::path file;
  std::string password;
};
OfficerBundle writeOfficerPkcs12(const DemoEnvironment& env, const std::string& party_id);

// A TCP port on 127.0.0.1 nobody listens on right now (for demos and tests that start
// several servers). Throws std::runtime_error when none can be had.
std::uint16_t freeLoopbackPort();

// What the development CA's certificate for the gateway says: localhost, 127.0.0.1 and ::1,
// for serving and for calling out (a test renews it with another organisation).
CertificateRequest gatewayCertificateRequest(const std::string& organisation = "ketenpoort gateway (development)");

// The mappings shipped in this source tree (mappings/), which the demo uses.
std::filesystem::path shippedMappingsDir();

// Creates (or overwrites) the work directory's PKI and config. Private keys get mode 0600.
DemoEnvironment createDemoEnvironment(const std::filesystem::path& workdir, const DemoPorts& ports,
                                      const std::filesystem::path& mappings_dir = shippedMappingsDir());

// Writes pki/crl/ca.crl.pem: the CA's CRL revoking the named parties' certificates (none:
// an empty, current CRL). The gateway reads it when it starts.
void revokeCertificates(const DemoEnvironment& env, const std::vector<std::string>& party_ids);

// Issues a certificate for `oin` into pki/<name>.pem/.key: clientAuth, and serverAuth for
// localhost so the party's own system (or its simulator) can receive with it too.
void writeClientCertificate(const DemoEnvironment& env, const DevCertificateAuthority& ca, const std::string& name,
                            const std::string& oin, long not_before_offset_seconds = -3600,
                            long not_after_offset_seconds = 397L * 24 * 3600);

}  // namespace ketenpoort
