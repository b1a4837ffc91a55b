#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>

namespace ketenpoort {

// Who the gateway is to a gemeente's ZGW APIs (Open Zaak and others that follow the
// standard): the client id and secret the gemeente registered for it in its Autorisaties
// component, and what its audit trail shows as the user.
struct ZgwCredentials {
  std::string client_id;
  std::string secret;  // never logged, never in a message
  std::string user_id = "ketenpoort";
  std::string user_representation = "ketenpoort, gegevensknooppunt inburgering";
};

// The bearer token for one call, as the ZGW APIs define it: a JWT signed with HS256 over
// {iss, iat, client_id, user_id, user_representation}, iss being the client id and iat
// the moment it is made (Unix seconds). One per call: a token the server's clock has
// seen age past its expiry (Open Zaak: an hour) is never sent.
std::string zgwBearerToken(const ZgwCredentials& credentials, std::int64_t issued_at);

// A JWT over `claims_json` signed with HS256 (what zgwBearerToken makes; tests make
// tokens with claims missing or altered with it).
std::string hs256Jwt(std::string_view claims_json, std::string_view secret);

// What the ZGW test server checks of a token, as Open Zaak does: HS256 with the client's
// secret (compared in constant time), every claim present, iss equal to client_id, iat
// not in the future and at most `max_age_seconds` old. The client id, or why not.
struct ZgwTokenClaims {
  std::string client_id;
  std::string user_id;
  std::int64_t issued_at = 0;
};
std::variant<ZgwTokenClaims, std::string> verifyZgwToken(std::string_view token, std::string_view secret,
                                                         std::int64_t now, std::int64_t max_age_seconds);

// RFC 4648 base64 (with padding, `inhoud` of a document) and base64url (no padding, JWT).
std::string base64Encode(std::string_view bytes);
std::string base64UrlEncode(std::string_view bytes);
// Decode; false when `text` is not base64url without padding (base64UrlDecode) or
// standard base64 with its padding (base64Decode).
bool base64UrlDecode(std::string_view text, std::string& out);
bool base64Decode(std::string_view text, std::string& out);

}  // namespace ketenpoort
