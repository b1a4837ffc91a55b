#pragma once

#include <optional>
#include <string>

#include <openssl/ssl.h>

namespace ketenpoort {

// The subject serialNumber (OID 2.5.4.5) of the verified peer certificate, where
// PKIoverheid certificates carry the organisation's OIN. nullopt when there is no peer
// certificate, no serialNumber, or more than one.
std::optional<std::string> peerSubjectSerialNumber(const SSL* ssl);

// A short, stable reason for a failed handshake, used as a metric label and in logs:
// no-client-certificate, certificate-expired, certificate-not-yet-valid, unknown-ca,
// certificate-invalid, protocol-version, no-shared-cipher, plain-http, other.
// `openssl_error` is the packed OpenSSL error code Asio reports in its ssl category.
std::string classifyHandshakeFailure(unsigned long openssl_error, const SSL* ssl);

}  // namespace ketenpoort
