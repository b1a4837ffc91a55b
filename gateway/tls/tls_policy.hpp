#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include <openssl/ssl.h>

#include "gateway/config/gateway_config.hpp"

namespace ketenpoort {

// TLS 1.2 suites allowed: ECDHE key exchange (forward secrecy) with an AEAD cipher only.
// TLS 1.3 suites are all forward-secret AEAD by design.
inline constexpr const char* kTls12CipherList =
    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
    "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305:"
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256";
inline constexpr const char* kTls13CipherSuites =
    "TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256:TLS_AES_128_GCM_SHA256";

// Configures an exchange/audit listener context: TLS 1.2-1.3, the suites above, our
// certificate and key, and a required client certificate verified against the CA bundle
// for the TLS client purpose (expiry included). Returns the problems; empty means ready.
std::vector<std::string> configureServerTls(SSL_CTX* ctx, const TlsFiles& files);

// Configures a context for the gateway (or a test or simulator) calling out: the same
// protocol floor and suites, the server verified against the CA bundle, and an optional
// client certificate.
std::vector<std::string> configureClientTls(SSL_CTX* ctx, const std::filesystem::path& ca_bundle,
                                            const std::filesystem::path& certificate,
                                            const std::filesystem::path& private_key);

// Drains OpenSSL's error queue into one readable line.
std::string takeOpenSslErrors();

}  // namespace ketenpoort
