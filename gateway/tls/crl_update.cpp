#include "gateway/tls/crl_update.hpp"

#include "gateway/tls/openssl_handles.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <cerrno>
#include <memory>
#include <system_error>
#include <vector>

namespace ketenpoort {
namespace {

using tls_internal::Bio;
using tls_internal::Certificate;
using tls_internal::commonName;
using tls_internal::Crl;

Crl parseCrl(std::string_view body) {
  const Bio bio(BIO_new_mem_buf(body.data(), static_cast<int>(body.size())));
  if (!bio) return nullptr;
  // As distribution points serve it (DER), or as an operator copies it (PEM).
  if (body.starts_with("-----BEGIN")) return Crl(PEM_read_bio_X509_CRL(bio.get(), nullptr, nullptr, nullptr));
  return Crl(d2i_X509_CRL_bio(bio.get(), nullptr));
}

// The CRL a file of the CRL directory holds (PEM, as installCrl writes it), or null.
Crl heldCrl(const std::filesystem::path& file) {
  const Bio bio(BIO_new_file(file.c_str(), "r"));
  return bio ? Crl(PEM_read_bio_X509_CRL(bio.get(), nullptr, nullptr, nullptr)) : nullptr;
}

std::vector<Certificate> readBundle(const std::filesystem::path& ca_bundle) {
  std::vector<Certificate> out;
  const Bio bio(BIO_new_file(ca_bundle.c_str(), "r"));
  while (bio) {
    Certificate certificate(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
    if (!certificate) break;
    out.push_back(std::move(certificate));
  }
  return out;
}

std::string timeOf(const ASN1_TIME* time) {
  if (time == nullptr) return "-";
  const Bio bio(BIO_new(BIO_s_mem()));
  if (!bio || ASN1_TIME_print(bio.get(), time) != 1) return "?";
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(size));
}

std::string pemOf(X509_CRL* crl) {
  const Bio bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_X509_CRL(bio.get(), crl) != 1) return {};
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(size));
}

// Writes `content` to `target` whole or not at all: a name the CRL reader skips, flushed,
// renamed over the target, the directory flushed.
std::string writeInPlace(const std::filesystem::path& target, const std::string& content) {
  const std::filesystem::path partial = target.parent_path() / ("." + target.filename().string() + ".partial");
  std::error_code ec;
  std::filesystem::remove(partial, ec);  // left by a fetch that died writing
  const int fd = ::open(partial.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
  if (fd < 0)
    return "cannot write " + partial.string() + ": " + std::error_code(errno, std::generic_category()).message();
  std::size_t written = 0;
  while (written < content.size()) {
    const ssize_t n = ::write(fd, content.data() + written, content.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    written += static_cast<std::size_t>(n);
  }
  const bool complete = written == content.size() && ::fsync(fd) == 0;
  const std::string reason = std::error_code(errno, std::generic_category()).message();
  ::close(fd);
  if (!complete) {
    std::filesystem::remove(partial, ec);
    return "cannot write " + partial.string() + ": " + reason;
  }
  std::filesystem::rename(partial, target, ec);
  if (ec) {
    std::filesystem::remove(partial, ec);
    return "cannot rename into " + target.string() + ": " + ec.message();
  }
  const int dir = ::open(target.parent_path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir >= 0) {
    ::fsync(dir);
    ::close(dir);
  }
  return {};
}

}  // namespace

std::string_view toString(CrlUpdate::Outcome outcome) {
  switch (outcome) {
    case CrlUpdate::Outcome::kInstalled:
      return "installed";
    case CrlUpdate::Outcome::kUnchanged:
      return "unchanged";
    case CrlUpdate::Outcome::kRefused:
      return "refused";
    case CrlUpdate::Outcome::kFailed:
      return "failed";
  }
  return "refused";
}

CrlUpdate installCrl(std::string_view body, const std::filesystem::path& ca_bundle,
                     const std::filesystem::path& target) {
  using Outcome = CrlUpdate::Outcome;
  const Crl offered = parseCrl(body);
  if (!offered) return {Outcome::kRefused, "not a CRL (DER or PEM)"};
  const X509_NAME* issuer = X509_CRL_get_issuer(offered.get());
  const std::string issuer_name = commonName(issuer);
  bool signed_by_bundle = false;
  for (const Certificate& ca : readBundle(ca_bundle)) {
    if (X509_NAME_cmp(issuer, X509_get_subject_name(ca.get())) != 0) continue;
    EVP_PKEY* key = X509_get0_pubkey(ca.get());
    if (key != nullptr && X509_CRL_verify(offered.get(), key) == 1) signed_by_bundle = true;
  }
  if (!signed_by_bundle) return {Outcome::kRefused, "not signed by a CA of the bundle (issuer " + issuer_name + ")"};
  if (X509_CRL_get0_nextUpdate(offered.get()) == nullptr) {
    return {Outcome::kRefused, "has no nextUpdate (issuer " + issuer_name + ")"};
  }

  std::error_code ec;
  if (std::filesystem::exists(target, ec)) {
    // A file that no longer reads as a CRL is replaced; one of another CA is a
    // configuration mistake (two sources for one file), never overwritten.
    const Crl held = heldCrl(target);
    if (held) {
      if (X509_NAME_cmp(X509_CRL_get_issuer(held.get()), issuer) != 0) {
        return {Outcome::kRefused, target.filename().string() + " holds a CRL of " +
                                       commonName(X509_CRL_get_issuer(held.get())) + ", the source offers one of " +
                                       issuer_name};
      }
      if (ASN1_TIME_compare(X509_CRL_get0_lastUpdate(offered.get()), X509_CRL_get0_lastUpdate(held.get())) <= 0) {
        return {Outcome::kUnchanged, issuer_name + " of " + timeOf(X509_CRL_get0_lastUpdate(held.get()))};
      }
    }
  }
  const std::string pem = pemOf(offered.get());
  if (pem.empty()) return {Outcome::kRefused, "cannot encode the CRL"};
  if (std::string problem = writeInPlace(target, pem); !problem.empty()) return {Outcome::kFailed, problem};
  return {Outcome::kInstalled, issuer_name + " of " + timeOf(X509_CRL_get0_lastUpdate(offered.get()))};
}

}  // namespace ketenpoort
