#include "gateway/tls/tls_material.hpp"

#include "gateway/tls/openssl_handles.hpp"

#include <sys/stat.h>

#include <openssl/asn1.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <algorithm>
#include <cstdio>
#include <memory>

namespace ketenpoort::tls_internal {

std::string commonName(const X509_NAME* name) {
  if (name == nullptr) return "";
  const int at = X509_NAME_get_index_by_NID(name, NID_commonName, -1);
  if (at >= 0) {
    const ASN1_STRING* value = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, at));
    unsigned char* utf8 = nullptr;
    const int length = ASN1_STRING_to_UTF8(&utf8, value);
    if (length >= 0) {
      std::string out(reinterpret_cast<const char*>(utf8),
                      static_cast<std::size_t>(length));  // NOLINT: OpenSSL's bytes
      OPENSSL_free(utf8);
      return out;
    }
  }
  char line[256];
  X509_NAME_oneline(name, line, sizeof line);
  return line;
}

}  // namespace ketenpoort::tls_internal

namespace ketenpoort {
namespace {

using tls_internal::Bio;
using tls_internal::Certificate;
using tls_internal::commonName;
using tls_internal::Crl;

std::string hex(const ASN1_INTEGER* number) {
  if (number == nullptr) return "";
  BIGNUM* big = ASN1_INTEGER_to_BN(number, nullptr);
  if (big == nullptr) return "";
  char* text = BN_bn2hex(big);
  std::string out = text != nullptr ? text : "";
  OPENSSL_free(text);
  BN_free(big);
  return out;
}

std::int64_t unixTime(const ASN1_TIME* time) {
  struct tm broken {};
  if (time == nullptr || ASN1_TIME_to_tm(time, &broken) != 1) return 0;
  return static_cast<std::int64_t>(timegm(&broken));
}

void readCertificates(const std::filesystem::path& file, const char* kind, std::vector<TlsExpiry>& out) {
  const Bio in(BIO_new_file(file.c_str(), "r"));
  if (!in) return;
  while (const Certificate certificate{PEM_read_bio_X509(in.get(), nullptr, nullptr, nullptr)}) {
    out.push_back({kind, commonName(X509_get_subject_name(certificate.get())),
                   hex(X509_get0_serialNumber(certificate.get())), unixTime(X509_get0_notAfter(certificate.get()))});
  }
  ERR_clear_error();  // the end of the file reads as an error
}

void readCrls(const std::filesystem::path& file, std::vector<TlsExpiry>& out) {
  const Bio in(BIO_new_file(file.c_str(), "r"));
  if (!in) return;
  while (const Crl crl{PEM_read_bio_X509_CRL(in.get(), nullptr, nullptr, nullptr)}) {
    auto* number = static_cast<ASN1_INTEGER*>(X509_CRL_get_ext_d2i(crl.get(), NID_crl_number, nullptr, nullptr));
    out.push_back({"crl", commonName(X509_CRL_get_issuer(crl.get())), hex(number),
                   unixTime(X509_CRL_get0_nextUpdate(crl.get()))});
    ASN1_INTEGER_free(number);
  }
  ERR_clear_error();
}

// The CRL directory's files as the server loads them (*.pem, *.crl), in name order.
std::vector<std::filesystem::path> crlFiles(const std::filesystem::path& dir) {
  std::vector<std::filesystem::path> files;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    const auto extension = entry.path().extension();
    if (entry.is_regular_file(ec) && (extension == ".pem" || extension == ".crl")) files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  return files;
}

void describe(const std::filesystem::path& file, std::string& out) {
  struct stat status {};
  out += file.string();
  if (::stat(file.c_str(), &status) != 0) {
    out += " absent\n";
    return;
  }
  char line[128];
  std::snprintf(line, sizeof line, " %llu %llu %lld %lld.%09ld\n", static_cast<unsigned long long>(status.st_dev),
                static_cast<unsigned long long>(status.st_ino), static_cast<long long>(status.st_size),
                static_cast<long long>(status.st_mtim.tv_sec), status.st_mtim.tv_nsec);
  out += line;
}

}  // namespace

std::vector<TlsExpiry> readTlsExpiries(const TlsFiles& files) {
  std::vector<TlsExpiry> out;
  readCertificates(files.certificate, "own", out);
  readCertificates(files.ca_bundle, "ca", out);
  if (!files.crl_dir.empty()) {
    for (const auto& file : crlFiles(files.crl_dir)) readCrls(file, out);
  }
  return out;
}

std::string tlsFilesFingerprint(const TlsFiles& files) {
  std::string out;
  for (const auto* file : {&files.certificate, &files.private_key, &files.ca_bundle}) describe(*file, out);
  if (!files.crl_dir.empty()) {
    describe(files.crl_dir, out);
    for (const auto& file : crlFiles(files.crl_dir)) describe(file, out);
  }
  return out;
}

}  // namespace ketenpoort
