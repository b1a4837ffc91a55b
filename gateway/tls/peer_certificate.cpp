#include "gateway/tls/peer_certificate.hpp"

#include <openssl/err.h>
#include <openssl/x509.h>

namespace ketenpoort {

std::optional<std::string> peerSubjectSerialNumber(const SSL* ssl) {
  X509* cert = SSL_get0_peer_certificate(ssl);
  if (cert == nullptr) return std::nullopt;
  const X509_NAME* subject = X509_get_subject_name(cert);
  const int index = X509_NAME_get_index_by_NID(subject, NID_serialNumber, -1);
  if (index < 0) return std::nullopt;
  // Two serialNumber attributes would make the identity ambiguous.
  if (X509_NAME_get_index_by_NID(subject, NID_serialNumber, index) >= 0) return std::nullopt;
  const ASN1_STRING* data = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subject, index));
  unsigned char* utf8 = nullptr;
  const int length = ASN1_STRING_to_UTF8(&utf8, data);
  if (length < 0) return std::nullopt;
  std::string value(reinterpret_cast<const char*>(utf8), static_cast<std::size_t>(length));
  OPENSSL_free(utf8);
  return value;
}

std::string classifyHandshakeFailure(unsigned long openssl_error, const SSL* ssl) {
  switch (ERR_GET_REASON(openssl_error)) {
    case SSL_R_PEER_DID_NOT_RETURN_A_CERTIFICATE:
      return "no-client-certificate";
    case SSL_R_CERTIFICATE_VERIFY_FAILED:
      switch (ssl ? SSL_get_verify_result(ssl) : X509_V_OK) {
        case X509_V_ERR_CERT_HAS_EXPIRED:
          return "certificate-expired";
        case X509_V_ERR_CERT_NOT_YET_VALID:
          return "certificate-not-yet-valid";
        case X509_V_ERR_CERT_REVOKED:
          return "revoked";
        case X509_V_ERR_UNABLE_TO_GET_CRL:
        case X509_V_ERR_CRL_HAS_EXPIRED:
        case X509_V_ERR_CRL_NOT_YET_VALID:
        case X509_V_ERR_CRL_SIGNATURE_FAILURE:
          return "crl-unavailable";
        case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
        case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
        case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
        case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
        case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
          return "unknown-ca";
        default:
          return "certificate-invalid";
      }
    case SSL_R_UNSUPPORTED_PROTOCOL:
    case SSL_R_WRONG_VERSION_NUMBER:
    case SSL_R_VERSION_TOO_LOW:
    case SSL_R_TLSV1_ALERT_PROTOCOL_VERSION:
      return "protocol-version";
    case SSL_R_NO_SHARED_CIPHER:
      return "no-shared-cipher";
    case SSL_R_HTTP_REQUEST:
      return "plain-http";
    default:
      return "other";
  }
}

}  // namespace ketenpoort
