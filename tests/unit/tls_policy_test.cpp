#include <gtest/gtest.h>

#include <openssl/ssl.h>

#include "gateway/demo/demo_environment.hpp"
#include "gateway/tls/tls_policy.hpp"
#include "tests/support/temp_dir.hpp"

namespace ketenpoort {
namespace {

class TlsPolicyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    env_ = std::make_unique<DemoEnvironment>(createDemoEnvironment(dir_.path(), DemoPorts{}));
    ctx_ = SSL_CTX_new(TLS_server_method());
  }
  void TearDown() override { SSL_CTX_free(ctx_); }

  testing::TempDir dir_;
  std::unique_ptr<DemoEnvironment> env_;
  SSL_CTX* ctx_ = nullptr;
};

// Independent of the certificate type: every suite the context would ever negotiate
// must be forward-secret (ECDHE, or TLS 1.3's own key exchange) and AEAD.
TEST_F(TlsPolicyTest, EverySuiteIsForwardSecretAndAead) {
  ASSERT_TRUE(configureServerTls(ctx_, env_->config.tls).empty());
  STACK_OF(SSL_CIPHER)* ciphers = SSL_CTX_get_ciphers(ctx_);
  ASSERT_GT(sk_SSL_CIPHER_num(ciphers), 0);
  for (int i = 0; i < sk_SSL_CIPHER_num(ciphers); ++i) {
    const SSL_CIPHER* c = sk_SSL_CIPHER_value(ciphers, i);
    const int kx = SSL_CIPHER_get_kx_nid(c);
    EXPECT_TRUE(kx == NID_kx_ecdhe || kx == NID_kx_any) << SSL_CIPHER_get_name(c);
    EXPECT_EQ(SSL_CIPHER_is_aead(c), 1) << SSL_CIPHER_get_name(c);
  }
}

TEST_F(TlsPolicyTest, OnlyTls12AndTls13) {
  ASSERT_TRUE(configureServerTls(ctx_, env_->config.tls).empty());
  EXPECT_EQ(SSL_CTX_get_min_proto_version(ctx_), TLS1_2_VERSION);
  EXPECT_EQ(SSL_CTX_get_max_proto_version(ctx_), TLS1_3_VERSION);
}

TEST_F(TlsPolicyTest, ClientCertificateIsRequired) {
  ASSERT_TRUE(configureServerTls(ctx_, env_->config.tls).empty());
  EXPECT_EQ(SSL_CTX_get_verify_mode(ctx_), SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT);
}

TEST_F(TlsPolicyTest, MissingOrMismatchedFilesAreProblems) {
  TlsFiles files = env_->config.tls;
  files.private_key = env_->keyOf("coa");  // not the gateway certificate's key
  const auto mismatch = configureServerTls(ctx_, files);
  ASSERT_EQ(mismatch.size(), 1u);
  EXPECT_NE(mismatch[0].find("mismatch"), std::string::npos) << mismatch[0];

  SSL_CTX* fresh = SSL_CTX_new(TLS_server_method());
  files = env_->config.tls;
  files.ca_bundle = dir_.path() / "missing.pem";
  const auto missing = configureServerTls(fresh, files);
  SSL_CTX_free(fresh);
  ASSERT_EQ(missing.size(), 1u);
  EXPECT_NE(missing[0].find("cannot load CA bundle"), std::string::npos) << missing[0];
}

}  // namespace
}  // namespace ketenpoort
