// Issue 28: the bearer token of the ZGW APIs (HS256 JWT as Open Zaak wants it) and its
// check in the ZGW test server.
#include <gtest/gtest.h>

#include "adapters/zgw/zgw_token.hpp"

namespace ketenpoort {
namespace {

const ZgwCredentials kGateway{"ketenpoort-0518", "test-secret-not-for-production"};
constexpr std::int64_t kNow = 1796601600;  // 2026-12-07T00:00:00Z

// Made independently (Python's hmac and base64 over the same claims), so the encoding and
// the signature are held to the standard, not to this code's own reading of it.
constexpr std::string_view kKnownToken =
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9."
    "eyJpc3MiOiJrZXRlbnBvb3J0LTA1MTgiLCJpYXQiOjE3OTY2MDE2MDAsImNsaWVudF9pZCI6ImtldGVucG9vcnQtMDUxOCIsInVzZXJfaWQiOiJr"
    "ZXRlbnBvb3J0IiwidXNlcl9yZXByZXNlbnRhdGlvbiI6ImtldGVucG9vcnQsIGdlZ2V2ZW5za25vb3BwdW50IGluYnVyZ2VyaW5nIn0."
    "LmOuT0MeYVV6nv1p63ADWPrpfQpab6L9tCg0py0XLl0";

TEST(ZgwToken, IsTheStandardsHs256JwtOverItsFiveClaims) {
  EXPECT_EQ(zgwBearerToken(kGateway, kNow), kKnownToken);
  const auto checked = verifyZgwToken(kKnownToken, kGateway.secret, kNow + 5, 3600);
  ASSERT_TRUE(std::holds_alternative<ZgwTokenClaims>(checked)) << std::get<std::string>(checked);
  EXPECT_EQ(std::get<ZgwTokenClaims>(checked).client_id, "ketenpoort-0518");
  EXPECT_EQ(std::get<ZgwTokenClaims>(checked).issued_at, kNow);
}

TEST(ZgwToken, TheTestServerRefusesWhatOpenZaakRefuses) {
  const auto refused = [](std::string_view token, std::string_view secret, std::int64_t now) {
    const auto checked = verifyZgwToken(token, secret, now, 3600);
    return std::holds_alternative<std::string>(checked) ? std::get<std::string>(checked) : std::string("accepted");
  };
  EXPECT_EQ(refused(kKnownToken, "another-secret", kNow), "signature does not verify");
  EXPECT_EQ(refused(kKnownToken, kGateway.secret, kNow + 3601), "token expired");
  EXPECT_EQ(refused(kKnownToken, kGateway.secret, kNow - 1), "iat is in the future");
  // A claim changed after signing.
  std::string altered(kKnownToken);
  const auto payload_at = altered.find('.') + 1;
  altered[payload_at + 10] = altered[payload_at + 10] == 'A' ? 'B' : 'A';
  EXPECT_EQ(refused(altered, kGateway.secret, kNow), "signature does not verify");
  // alg "none" with the signature left off, and bytes that are no JWT at all.
  const std::string none =
      base64UrlEncode(R"({"alg":"none","typ":"JWT"})") + "." +
      std::string(kKnownToken.substr(kKnownToken.find('.') + 1, kKnownToken.rfind('.') - kKnownToken.find('.') - 1)) +
      ".";
  EXPECT_EQ(refused(none, kGateway.secret, kNow), "alg is not HS256");
  EXPECT_EQ(refused("Bearer", kGateway.secret, kNow), "not a JWT");
  EXPECT_EQ(refused("a.b.c.d", kGateway.secret, kNow), "not a JWT");
  EXPECT_EQ(refused("e30=.e30.", kGateway.secret, kNow), "not base64url");
  // Signed with the secret but lacking a claim the APIs need for their audit trail, or
  // issued in another client's name.
  EXPECT_EQ(
      refused(hs256Jwt(R"({"iss":"x","iat":1796601600,"client_id":"x","user_representation":"x"})", kGateway.secret),
              kGateway.secret, kNow),
      "claim user_id missing");
  EXPECT_EQ(refused(hs256Jwt(R"({"iss":"x","iat":1796601600,"client_id":"y","user_id":"u","user_representation":"x"})",
                             kGateway.secret),
                    kGateway.secret, kNow),
            "iss is not the client_id");
  EXPECT_EQ(
      refused(hs256Jwt(R"({"iss":"x","iat":"1796601600","client_id":"x","user_id":"u","user_representation":"x"})",
                       kGateway.secret),
              kGateway.secret, kNow),
      "claim iat missing");
}

TEST(Base64, EncodesAndDecodesAsRfc4648Says) {
  EXPECT_EQ(base64Encode(""), "");
  EXPECT_EQ(base64Encode("f"), "Zg==");
  EXPECT_EQ(base64Encode("foobar"), "Zm9vYmFy");
  EXPECT_EQ(base64UrlEncode("\xfb\xff"), "-_8");
  std::string decoded;
  ASSERT_TRUE(base64UrlDecode("-_8", decoded));
  EXPECT_EQ(decoded, "\xfb\xff");
  ASSERT_TRUE(base64UrlDecode("Zm9vYg", decoded));
  EXPECT_EQ(decoded, "foob");
  EXPECT_FALSE(base64UrlDecode("Zm9vYg==", decoded));
  EXPECT_FALSE(base64UrlDecode("+/8", decoded));
  EXPECT_FALSE(base64UrlDecode("Z", decoded));
}

}  // namespace
}  // namespace ketenpoort
