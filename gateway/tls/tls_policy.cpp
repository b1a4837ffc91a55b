#include "gateway/tls/tls_policy.hpp"

#include <openssl/err.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include <cstdint>
#include <ctime>

namespace ketenpoort {
namespace {

constexpr unsigned char kSessionIdContext[] = "ketenpoort";

// Where a server context keeps its CRL grace in seconds, for the verify callback.
int crlGraceIndex() {
  static const int index = SSL_CTX_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
  return index;
}

// Takes a CRL past its nextUpdate while the grace the configuration gives lasts; every
// other verdict of OpenSSL's chain and revocation check stands as it is.
int verifyWithCrlGrace(int preverified, X509_STORE_CTX* store) {
  if (preverified == 1 || X509_STORE_CTX_get_error(store) != X509_V_ERR_CRL_HAS_EXPIRED) return preverified;
  const auto* ssl = static_cast<const SSL*>(X509_STORE_CTX_get_ex_data(store, SSL_get_ex_data_X509_STORE_CTX_idx()));
  X509_CRL* crl = X509_STORE_CTX_get0_current_crl(store);
  if (ssl == nullptr || crl == nullptr || X509_CRL_get0_nextUpdate(crl) == nullptr) return 0;
  const auto grace_seconds = reinterpret_cast<std::intptr_t>(  // NOLINT: a number kept in OpenSSL's pointer slot
      SSL_CTX_get_ex_data(SSL_get_SSL_CTX(ssl), crlGraceIndex()));
  // Still within the grace: nextUpdate is later than now minus the grace. On the system
  // clock, as OpenSSL's own validity checks of the same handshake.
  std::time_t grace_start = std::time(nullptr) - static_cast<std::time_t>(grace_seconds);
  const bool within = grace_seconds > 0 && X509_cmp_time(X509_CRL_get0_nextUpdate(crl), &grace_start) > 0;
  if (!within) return 0;
  X509_STORE_CTX_set_error(store, X509_V_OK);
  return 1;
}

void applyProtocolPolicy(SSL_CTX* ctx, std::vector<std::string>& problems) {
  if (SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1 ||
      SSL_CTX_set_max_proto_version(ctx, TLS1_3_VERSION) != 1) {
    problems.push_back("cannot restrict protocol versions: " + takeOpenSslErrors());
  }
  SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
  if (SSL_CTX_set_cipher_list(ctx, kTls12CipherList) != 1 || SSL_CTX_set_ciphersuites(ctx, kTls13CipherSuites) != 1) {
    problems.push_back("cannot set cipher suites: " + takeOpenSslErrors());
  }
  if (SSL_CTX_set1_groups_list(ctx, "X25519:P-256:P-384") != 1) {
    problems.push_back("cannot set key exchange groups: " + takeOpenSslErrors());
  }
}

void loadOwnCertificate(SSL_CTX* ctx, const std::filesystem::path& certificate,
                        const std::filesystem::path& private_key, std::vector<std::string>& problems) {
  if (SSL_CTX_use_certificate_chain_file(ctx, certificate.c_str()) != 1) {
    problems.push_back("cannot load certificate " + certificate.string() + ": " + takeOpenSslErrors());
    return;
  }
  if (SSL_CTX_use_PrivateKey_file(ctx, private_key.c_str(), SSL_FILETYPE_PEM) != 1) {
    problems.push_back("cannot load private key " + private_key.string() + ": " + takeOpenSslErrors());
    return;
  }
  if (SSL_CTX_check_private_key(ctx) != 1) {
    problems.push_back("private key " + private_key.string() + " does not match certificate " + certificate.string());
    takeOpenSslErrors();
  }
}

void loadTrustAnchors(SSL_CTX* ctx, const std::filesystem::path& ca_bundle, int purpose,
                      std::vector<std::string>& problems) {
  if (SSL_CTX_load_verify_locations(ctx, ca_bundle.c_str(), nullptr) != 1) {
    problems.push_back("cannot load CA bundle " + ca_bundle.string() + ": " + takeOpenSslErrors());
    return;
  }
  X509_VERIFY_PARAM* param = SSL_CTX_get0_param(ctx);
  X509_VERIFY_PARAM_set_purpose(param, purpose);
  X509_VERIFY_PARAM_set_depth(param, 4);
}

// Loads every CRL in `dir` into the store and turns revocation checking on for the whole
// chain: fail-closed, so a CA of the bundle without a current CRL refuses its clients.
void loadRevocationLists(SSL_CTX* ctx, const std::filesystem::path& dir, std::vector<std::string>& problems) {
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec)) {
    problems.push_back("CRL directory " + dir.string() + " does not exist");
    return;
  }
  X509_STORE* store = SSL_CTX_get_cert_store(ctx);
  X509_LOOKUP* lookup = X509_STORE_add_lookup(store, X509_LOOKUP_file());
  std::size_t loaded = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    const auto extension = entry.path().extension();
    if (!entry.is_regular_file() || (extension != ".pem" && extension != ".crl")) continue;
    const int n = X509_load_crl_file(lookup, entry.path().c_str(), X509_FILETYPE_PEM);
    if (n <= 0) {
      problems.push_back("cannot load CRL " + entry.path().string() + ": " + takeOpenSslErrors());
      continue;
    }
    loaded += static_cast<std::size_t>(n);
  }
  if (loaded == 0 && problems.empty()) {
    problems.push_back("CRL directory " + dir.string() + " holds no CRL (*.pem or *.crl)");
  }
  X509_VERIFY_PARAM_set_flags(SSL_CTX_get0_param(ctx), X509_V_FLAG_CRL_CHECK | X509_V_FLAG_CRL_CHECK_ALL);
}

void setCrlGrace(SSL_CTX* ctx, std::chrono::seconds grace) {
  SSL_CTX_set_ex_data(ctx, crlGraceIndex(),
                      reinterpret_cast<void*>(static_cast<std::intptr_t>(grace.count())));  // NOLINT: see crlGraceIndex
}

}  // namespace

std::string takeOpenSslErrors() {
  std::string out;
  while (unsigned long code = ERR_get_error()) {
    char buffer[256];
    ERR_error_string_n(code, buffer, sizeof buffer);
    if (!out.empty()) out += "; ";
    out += buffer;
  }
  return out.empty() ? "unknown OpenSSL error" : out;
}

std::vector<std::string> configureServerTls(SSL_CTX* ctx, const TlsFiles& files) {
  std::vector<std::string> problems;
  applyProtocolPolicy(ctx, problems);
  loadOwnCertificate(ctx, files.certificate, files.private_key, problems);
  loadTrustAnchors(ctx, files.ca_bundle, X509_PURPOSE_SSL_CLIENT, problems);
  if (!files.crl_dir.empty()) loadRevocationLists(ctx, files.crl_dir, problems);
  if (problems.empty()) {
    if (STACK_OF(X509_NAME)* names = SSL_load_client_CA_file(files.ca_bundle.c_str())) {
      SSL_CTX_set_client_CA_list(ctx, names);
    }
  }
  setCrlGrace(ctx, files.crl_grace);
  SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT,
                     files.crl_grace.count() > 0 ? verifyWithCrlGrace : nullptr);
  // Required for session resumption when client certificates are verified.
  SSL_CTX_set_session_id_context(ctx, kSessionIdContext, sizeof kSessionIdContext - 1);
  return problems;
}

std::vector<std::string> configureClientTls(SSL_CTX* ctx, const std::filesystem::path& ca_bundle,
                                            const std::filesystem::path& certificate,
                                            const std::filesystem::path& private_key) {
  std::vector<std::string> problems;
  applyProtocolPolicy(ctx, problems);
  if (!certificate.empty()) loadOwnCertificate(ctx, certificate, private_key, problems);
  loadTrustAnchors(ctx, ca_bundle, X509_PURPOSE_SSL_SERVER, problems);
  SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nullptr);
  return problems;
}

}  // namespace ketenpoort
