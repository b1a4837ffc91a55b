#include "gateway/devpki/dev_pki.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <stdexcept>
#include <system_error>

namespace ketenpoort {
namespace {

struct Deleter {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
  void operator()(X509* p) const { X509_free(p); }
  void operator()(BIO* p) const { BIO_free(p); }
  void operator()(X509_EXTENSION* p) const { X509_EXTENSION_free(p); }
  void operator()(ASN1_INTEGER* p) const { ASN1_INTEGER_free(p); }
  void operator()(BIGNUM* p) const { BN_free(p); }
  void operator()(X509_CRL* p) const { X509_CRL_free(p); }
  void operator()(X509_REVOKED* p) const { X509_REVOKED_free(p); }
  void operator()(PKCS12* p) const { PKCS12_free(p); }
  void operator()(STACK_OF(X509) * p) const { sk_X509_pop_free(p, X509_free); }
};
// ASN1_TIME and ASN1_INTEGER are one type to the compiler, so times get their own deleter.
struct TimeDeleter {
  void operator()(ASN1_TIME* p) const { ASN1_TIME_free(p); }
};
template <typename T>
using Owned = std::unique_ptr<T, Deleter>;

void check(bool ok, const char* what) {
  if (!ok) {
    const unsigned long code = ERR_get_error();
    char buffer[256] = "";
    if (code != 0) ERR_error_string_n(code, buffer, sizeof buffer);
    ERR_clear_error();
    throw std::runtime_error(std::string("dev PKI: ") + what + ": " + buffer);
  }
}

Owned<EVP_PKEY> makeP256Key() {
  Owned<EVP_PKEY> key(EVP_EC_gen("P-256"));
  check(key != nullptr, "generate P-256 key");
  return key;
}

std::string toPem(X509* cert) {
  Owned<BIO> bio(BIO_new(BIO_s_mem()));
  check(PEM_write_bio_X509(bio.get(), cert) == 1, "write certificate");
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(n));
}

std::string toPem(EVP_PKEY* key) {
  Owned<BIO> bio(BIO_new(BIO_s_mem()));
  check(PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr) == 1, "write private key");
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(n));
}

void addExtension(X509* cert, X509* issuer, int nid, const std::string& value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  Owned<X509_EXTENSION> ext(X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str()));
  check(ext != nullptr, "build extension");
  check(X509_add_ext(cert, ext.get(), -1) == 1, "add extension");
}

void addNameEntry(X509_NAME* name, const char* field, const std::string& value) {
  check(X509_NAME_add_entry_by_txt(name, field, MBSTRING_UTF8, reinterpret_cast<const unsigned char*>(value.c_str()),
                                   -1, -1, 0) == 1,
        "add subject field");
}

// A fresh certificate with a random 128-bit serial, version 3, and the given validity.
Owned<X509> newCertificate(EVP_PKEY* subject_key, long not_before, long not_after) {
  Owned<X509> cert(X509_new());
  check(cert != nullptr, "allocate certificate");
  check(X509_set_version(cert.get(), 2) == 1, "set version");
  unsigned char serial_bytes[16];
  check(RAND_bytes(serial_bytes, sizeof serial_bytes) == 1, "random serial");
  serial_bytes[0] &= 0x7f;  // positive
  Owned<BIGNUM> serial_bn(BN_bin2bn(serial_bytes, sizeof serial_bytes, nullptr));
  Owned<ASN1_INTEGER> serial(BN_to_ASN1_INTEGER(serial_bn.get(), nullptr));
  check(serial != nullptr && X509_set_serialNumber(cert.get(), serial.get()) == 1, "set serial");
  check(X509_gmtime_adj(X509_getm_notBefore(cert.get()), not_before) != nullptr, "notBefore");
  check(X509_gmtime_adj(X509_getm_notAfter(cert.get()), not_after) != nullptr, "notAfter");
  check(X509_set_pubkey(cert.get(), subject_key) == 1, "set public key");
  return cert;
}

}  // namespace

struct DevCertificateAuthority::Keys {
  Owned<EVP_PKEY> key;
  Owned<X509> certificate;
};

DevCertificateAuthority::DevCertificateAuthority(const std::string& common_name) : keys_(std::make_unique<Keys>()) {
  keys_->key = makeP256Key();
  keys_->certificate = newCertificate(keys_->key.get(), -3600, 10L * 365 * 24 * 3600);
  X509* cert = keys_->certificate.get();
  X509_NAME* name = X509_get_subject_name(cert);
  addNameEntry(name, "O", "ketenpoort development");
  addNameEntry(name, "CN", common_name);
  check(X509_set_issuer_name(cert, name) == 1, "set issuer");
  addExtension(cert, cert, NID_basic_constraints, "critical,CA:TRUE,pathlen:0");
  addExtension(cert, cert, NID_key_usage, "critical,keyCertSign,cRLSign");
  addExtension(cert, cert, NID_subject_key_identifier, "hash");
  check(X509_sign(cert, keys_->key.get(), EVP_sha256()) > 0, "self-sign CA");
  certificate_pem_ = toPem(cert);
}

DevCertificateAuthority::~DevCertificateAuthority() = default;
DevCertificateAuthority::DevCertificateAuthority(DevCertificateAuthority&&) noexcept = default;
DevCertificateAuthority& DevCertificateAuthority::operator=(DevCertificateAuthority&&) noexcept = default;

PemPair DevCertificateAuthority::issue(const CertificateRequest& request) const {
  Owned<EVP_PKEY> key = makeP256Key();
  Owned<X509> cert = newCertificate(key.get(), request.not_before_offset_seconds, request.not_after_offset_seconds);
  X509_NAME* name = X509_get_subject_name(cert.get());
  if (!request.organisation.empty()) addNameEntry(name, "O", request.organisation);
  if (request.serial_number) addNameEntry(name, "serialNumber", *request.serial_number);
  addNameEntry(name, "CN", request.common_name);
  check(X509_set_issuer_name(cert.get(), X509_get_subject_name(keys_->certificate.get())) == 1, "set issuer");
  addExtension(cert.get(), keys_->certificate.get(), NID_basic_constraints, "critical,CA:FALSE");
  addExtension(cert.get(), keys_->certificate.get(), NID_key_usage, "critical,digitalSignature,keyAgreement");
  std::string eku;
  if (request.server) eku = "serverAuth";
  if (request.client) eku += eku.empty() ? "clientAuth" : ",clientAuth";
  if (!eku.empty()) addExtension(cert.get(), keys_->certificate.get(), NID_ext_key_usage, eku);
  std::string san;
  for (const auto& dns : request.dns_names) san += (san.empty() ? "DNS:" : ",DNS:") + dns;
  for (const auto& ip : request.ip_addresses) san += (san.empty() ? "IP:" : ",IP:") + ip;
  if (!san.empty()) {
    addExtension(cert.get(), keys_->certificate.get(), NID_subject_alt_name, san);
  }
  addExtension(cert.get(), keys_->certificate.get(), NID_authority_key_identifier, "keyid:always");
  check(X509_sign(cert.get(), keys_->key.get(), EVP_sha256()) > 0, "sign certificate");
  return PemPair{toPem(cert.get()), toPem(key.get())};
}

std::string DevCertificateAuthority::crlPem(const std::vector<std::string>& revoked_certificate_pems,
                                            long valid_for_seconds, long issued_seconds_ago) const {
  Owned<X509_CRL> crl(X509_CRL_new());
  check(crl != nullptr && X509_CRL_set_version(crl.get(), 1) == 1, "new CRL");
  check(X509_CRL_set_issuer_name(crl.get(), X509_get_subject_name(keys_->certificate.get())) == 1, "CRL issuer");
  std::unique_ptr<ASN1_TIME, TimeDeleter> last(X509_gmtime_adj(nullptr, -issued_seconds_ago));
  std::unique_ptr<ASN1_TIME, TimeDeleter> next(X509_gmtime_adj(nullptr, valid_for_seconds));
  check(last && next && X509_CRL_set1_lastUpdate(crl.get(), last.get()) == 1 &&
            X509_CRL_set1_nextUpdate(crl.get(), next.get()) == 1,
        "CRL validity");
  for (const std::string& pem : revoked_certificate_pems) {
    Owned<BIO> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
    Owned<X509> cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
    check(cert != nullptr, "read certificate to revoke");
    Owned<X509_REVOKED> entry(X509_REVOKED_new());
    check(entry && X509_REVOKED_set_serialNumber(entry.get(), X509_get_serialNumber(cert.get())) == 1 &&
              X509_REVOKED_set_revocationDate(entry.get(), last.get()) == 1,
          "revoked entry");
    check(X509_CRL_add0_revoked(crl.get(), entry.release()) == 1, "add revoked entry");
  }
  check(X509_CRL_sort(crl.get()) == 1, "sort CRL");
  check(X509_CRL_sign(crl.get(), keys_->key.get(), EVP_sha256()) > 0, "sign CRL");
  Owned<BIO> out(BIO_new(BIO_s_mem()));
  check(PEM_write_bio_X509_CRL(out.get(), crl.get()) == 1, "write CRL");
  char* data = nullptr;
  const long n = BIO_get_mem_data(out.get(), &data);
  return std::string(data, static_cast<std::size_t>(n));
}

void writePemFile(const std::filesystem::path& path, const std::string& pem, bool private_file) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, private_file ? 0600 : 0644);
  if (fd < 0) throw std::system_error(errno, std::generic_category(), "open " + path.string());
  if (private_file) ::fchmod(fd, 0600);  // also when the file existed with wider rights
  std::size_t offset = 0;
  while (offset < pem.size()) {
    const ssize_t n = ::write(fd, pem.data() + offset, pem.size() - offset);
    if (n < 0) {
      const int err = errno;
      ::close(fd);
      throw std::system_error(err, std::generic_category(), "write " + path.string());
    }
    offset += static_cast<std::size_t>(n);
  }
  ::close(fd);
}

std::string pkcs12(const PemPair& pair, const std::string& ca_certificate_pem, const std::string& friendly_name,
                   const std::string& password) {
  const auto read_certificate = [](const std::string& pem) {
    Owned<BIO> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
    Owned<X509> certificate(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
    check(certificate != nullptr, "read certificate");
    return certificate;
  };
  Owned<X509> certificate = read_certificate(pair.certificate_pem);
  Owned<BIO> key_bio(BIO_new_mem_buf(pair.private_key_pem.data(), static_cast<int>(pair.private_key_pem.size())));
  Owned<EVP_PKEY> key(PEM_read_bio_PrivateKey(key_bio.get(), nullptr, nullptr, nullptr));
  check(key != nullptr, "read private key");
  Owned<STACK_OF(X509)> chain(sk_X509_new_null());
  check(chain != nullptr && sk_X509_push(chain.get(), read_certificate(ca_certificate_pem).release()) > 0,
        "build the chain");
  Owned<PKCS12> bundle(PKCS12_create(password.c_str(), friendly_name.c_str(), key.get(), certificate.get(), chain.get(),
                                     NID_aes_256_cbc, NID_aes_256_cbc, 0, 0, 0));
  check(bundle != nullptr, "create PKCS#12");
  Owned<BIO> out(BIO_new(BIO_s_mem()));
  check(i2d_PKCS12_bio(out.get(), bundle.get()) == 1, "write PKCS#12");
  char* data = nullptr;
  const long n = BIO_get_mem_data(out.get(), &data);
  return std::string(data, static_cast<std::size_t>(n));
}

std::string crlDerFromPem(const std::string& crl_pem) {
  const std::unique_ptr<BIO, decltype(&BIO_free)> in(BIO_new_mem_buf(crl_pem.data(), static_cast<int>(crl_pem.size())),
                                                     &BIO_free);
  const std::unique_ptr<X509_CRL, decltype(&X509_CRL_free)> crl(
      in ? PEM_read_bio_X509_CRL(in.get(), nullptr, nullptr, nullptr) : nullptr, &X509_CRL_free);
  check(crl != nullptr, "crlDerFromPem: not a PEM CRL");
  unsigned char* der = nullptr;
  const int size = i2d_X509_CRL(crl.get(), &der);
  check(size > 0, "crlDerFromPem: cannot encode");
  std::string out(reinterpret_cast<const char*>(der), static_cast<std::size_t>(size));
  OPENSSL_free(der);
  return out;
}

}  // namespace ketenpoort
