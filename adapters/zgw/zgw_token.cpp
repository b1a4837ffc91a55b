#include "adapters/zgw/zgw_token.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <array>
#include <cctype>

namespace ketenpoort {
namespace {

constexpr std::string_view kHeader = R"({"alg":"HS256","typ":"JWT"})";

std::string hmacSha256(std::string_view key, std::string_view data) {
  std::array<unsigned char, 32> mac{};
  std::size_t length = 0;
  if (EVP_Q_mac(nullptr, "HMAC", nullptr, "SHA256", nullptr, key.data(), key.size(),
                reinterpret_cast<const unsigned char*>(data.data()), data.size(), mac.data(), mac.size(),
                &length) == nullptr) {
    return {};
  }
  return {reinterpret_cast<const char*>(mac.data()), length};
}

}  // namespace

std::string base64Encode(std::string_view bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3), '\0');
  const int written =
      EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                      reinterpret_cast<const unsigned char*>(bytes.data()), static_cast<int>(bytes.size()));
  out.resize(static_cast<std::size_t>(written));
  return out;
}

std::string base64UrlEncode(std::string_view bytes) {
  std::string out = base64Encode(bytes);
  while (!out.empty() && out.back() == '=') out.pop_back();
  for (char& c : out) {
    if (c == '+') c = '-';
    if (c == '/') c = '_';
  }
  return out;
}

bool base64UrlDecode(std::string_view text, std::string& out) {
  std::string standard;
  standard.reserve(text.size() + 3);
  for (const char c : text) {
    if (c == '-') {
      standard.push_back('+');
    } else if (c == '_') {
      standard.push_back('/');
    } else if (std::isalnum(static_cast<unsigned char>(c)) != 0) {
      standard.push_back(c);
    } else {
      return false;  // '+', '/', '=' and anything else are not base64url without padding
    }
  }
  if (standard.size() % 4 == 1) return false;
  const std::size_t padding = (4 - standard.size() % 4) % 4;
  standard.append(padding, '=');
  out.assign(3 * standard.size() / 4, '\0');
  const int decoded =
      EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                      reinterpret_cast<const unsigned char*>(standard.data()), static_cast<int>(standard.size()));
  if (decoded < 0) return false;
  out.resize(static_cast<std::size_t>(decoded) - padding);  // EVP_DecodeBlock counts padding as zero bytes
  return true;
}

bool base64Decode(std::string_view text, std::string& out) {
  if (text.size() % 4 != 0) return false;
  std::size_t end = text.size();
  while (end > 0 && text.size() - end < 2 && text[end - 1] == '=') --end;
  std::string url(text.substr(0, end));
  for (char& c : url) {
    if (c == '+') {
      c = '-';
    } else if (c == '/') {
      c = '_';
    } else if (c == '-' || c == '_') {
      return false;  // not of the standard alphabet
    }
  }
  return base64UrlDecode(url, out);
}

std::string zgwBearerToken(const ZgwCredentials& credentials, std::int64_t issued_at) {
  const boost::json::object claims{{"iss", credentials.client_id},
                                   {"iat", issued_at},
                                   {"client_id", credentials.client_id},
                                   {"user_id", credentials.user_id},
                                   {"user_representation", credentials.user_representation}};
  return hs256Jwt(boost::json::serialize(claims), credentials.secret);
}

std::string hs256Jwt(std::string_view claims_json, std::string_view secret) {
  std::string signing_input = base64UrlEncode(kHeader) + "." + base64UrlEncode(claims_json);
  const std::string signature = base64UrlEncode(hmacSha256(secret, signing_input));
  return signing_input + "." + signature;
}

std::variant<ZgwTokenClaims, std::string> verifyZgwToken(std::string_view token, std::string_view secret,
                                                         std::int64_t now, std::int64_t max_age_seconds) {
  const auto first = token.find('.');
  const auto second = first == std::string_view::npos ? first : token.find('.', first + 1);
  if (second == std::string_view::npos || token.find('.', second + 1) != std::string_view::npos) {
    return std::string("not a JWT");
  }
  std::string header;
  std::string payload;
  std::string signature;
  if (!base64UrlDecode(token.substr(0, first), header) ||
      !base64UrlDecode(token.substr(first + 1, second - first - 1), payload) ||
      !base64UrlDecode(token.substr(second + 1), signature)) {
    return std::string("not base64url");
  }
  boost::system::error_code ec;
  const boost::json::value header_json = boost::json::parse(header, ec);
  if (ec || !header_json.is_object() || !header_json.as_object().contains("alg") || header_json.at("alg") != "HS256") {
    return std::string("alg is not HS256");
  }
  const std::string expected = hmacSha256(secret, token.substr(0, second));
  if (expected.empty() || expected.size() != signature.size() ||
      CRYPTO_memcmp(expected.data(), signature.data(), expected.size()) != 0) {
    return std::string("signature does not verify");
  }
  const boost::json::value claims = boost::json::parse(payload, ec);
  if (ec || !claims.is_object()) return std::string("claims are not a JSON object");
  const auto& c = claims.as_object();
  for (const char* name : {"iss", "client_id", "user_id", "user_representation"}) {
    if (!c.contains(name) || !c.at(name).is_string()) return std::string("claim ") + name + " missing";
  }
  if (!c.contains("iat") || !c.at("iat").is_int64()) return std::string("claim iat missing");
  if (c.at("iss") != c.at("client_id")) return std::string("iss is not the client_id");
  ZgwTokenClaims out{std::string(c.at("client_id").as_string()), std::string(c.at("user_id").as_string()),
                     c.at("iat").as_int64()};
  if (out.issued_at > now) return std::string("iat is in the future");
  if (now - out.issued_at > max_age_seconds) return std::string("token expired");
  return out;
}

}  // namespace ketenpoort
