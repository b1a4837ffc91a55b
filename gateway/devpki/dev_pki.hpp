#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace ketenpoort {

struct PemPair {
  std::string certificate_pem;
  std::string private_key_pem;
};

// What to put in a certificate the development CA issues.
struct CertificateRequest {
  std::string common_name;
  std::string organisation;
  std::optional<std::string> serial_number;  // the OIN, in the subject serialNumber
  std::vector<std::string> dns_names;
  std::vector<std::string> ip_addresses;
  bool server = false;                     // extendedKeyUsage serverAuth
  bool client = false;                     // extendedKeyUsage clientAuth
  long not_before_offset_seconds = -3600;  // relative to now
  long not_after_offset_seconds = 397L * 24 * 3600;
};

// A development certificate authority, ECDSA P-256 throughout, for tests and the demo.
// It is never a production PKI: keys live in memory and in files the caller writes.
class DevCertificateAuthority {
 public:
  explicit DevCertificateAuthority(const std::string& common_name);
  ~DevCertificateAuthority();
  DevCertificateAuthority(DevCertificateAuthority&&) noexcept;
  DevCertificateAuthority& operator=(DevCertificateAuthority&&) noexcept;

  const std::string& certificatePem() const { return certificate_pem_; }
  PemPair issue(const CertificateRequest& request) const;
  // A CRL signed by this CA, issued (thisUpdate) `issued_seconds_ago`, valid from now for
  // `valid_for_seconds`, revoking the given certificates (PEM, issued by this CA; their
  // serial numbers are listed).
  std::string crlPem(const std::vector<std::string>& revoked_certificate_pems, long valid_for_seconds = 7L * 24 * 3600,
                     long issued_seconds_ago = 3600) const;

 private:
  struct Keys;
  std::unique_ptr<Keys> keys_;
  std::string certificate_pem_;
};

// A certificate with its key (and the CA's certificate) as one PKCS#12 file, the form a
// browser imports a personal certificate in (the privacy officer's console). Encrypted
// with `password` (AES-256, PBKDF2). Returns the DER bytes.
std::string pkcs12(const PemPair& pair, const std::string& ca_certificate_pem, const std::string& friendly_name,
                   const std::string& password);

// Writes text to a file; `private_file` gives it mode 0600 before any byte is written.
void writePemFile(const std::filesystem::path& path, const std::string& pem, bool private_file);

// A CRL in PEM as DER, the form CA distribution points serve (for tests of the fetch).
std::string crlDerFromPem(const std::string& crl_pem);

}  // namespace ketenpoort
