#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "gateway/config/gateway_config.hpp"

namespace ketenpoort {

// When something the gateway holds or trusts stops being valid: a certificate of its own
// chain or of the CA bundle (notAfter), or a CRL of the CRL directory (nextUpdate, after
// which that CA's clients are refused). Organisations' certificates only: no personal data.
struct TlsExpiry {
  std::string kind;     // "own", "ca" or "crl"
  std::string subject;  // the certificate's subject CN (the CRL's issuer CN); else the one-line name
  std::string serial;   // the certificate's serial, the CRL's number (hex; "" when it has none)
  std::int64_t expires_unix = 0;
};

// Reads every certificate and CRL the TLS files name, for the expiry metrics. What cannot
// be read is left out (configureServerTls reports it).
std::vector<TlsExpiry> readTlsExpiries(const TlsFiles& files);

// What the TLS files are on disk (each file's identity, size and modification time, and
// the CRL directory's entries), to see that one changed without reading it: a replaced
// CRL, a renewed certificate. Equal fingerprints: nothing to load again.
std::string tlsFilesFingerprint(const TlsFiles& files);

}  // namespace ketenpoort
