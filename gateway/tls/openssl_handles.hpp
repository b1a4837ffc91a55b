#pragma once
// Internal to the tls module: OpenSSL objects owned by unique_ptr, and a name as people
// read it.

#include <openssl/bio.h>
#include <openssl/x509.h>

#include <memory>
#include <string>

namespace ketenpoort::tls_internal {

template <class T, void (*Free)(T*)>
struct Freer {
  void operator()(T* p) const { Free(p); }
};
using Bio = std::unique_ptr<BIO, Freer<BIO, BIO_free_all>>;
using Certificate = std::unique_ptr<X509, Freer<X509, X509_free>>;
using Crl = std::unique_ptr<X509_CRL, Freer<X509_CRL, X509_CRL_free>>;

// A certificate's subject or a CRL's issuer: its common name (UTF-8), else the one-line
// form of the whole name. Organisations' names: no personal data.
std::string commonName(const X509_NAME* name);

}  // namespace ketenpoort::tls_internal
