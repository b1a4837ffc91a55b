#include <gtest/gtest.h>

#include <openssl/ssl.h>
#include <sys/stat.h>

#include "gateway/demo/demo_environment.hpp"
#include "gateway/tls/crl_update.hpp"
#include "gateway/tls/tls_policy.hpp"
#include "tests/support/temp_dir.hpp"

namespace ketenpoort {
namespace {

using testing::readFile;

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

// Issue 27: a CRL fetched from its CA's distribution point (tls/crl-source), offered to
// a file of the CRL directory.
class CrlUpdateTest : public TlsPolicyTest {
 protected:
  void SetUp() override {
    TlsPolicyTest::SetUp();
    std::filesystem::create_directories(dir_.path() / "crls");
    target_ = dir_.path() / "crls" / "ca.crl";
  }
  CrlUpdate offer(const std::string& body) const { return installCrl(body, env_->config.tls.ca_bundle, target_); }
  std::string held() const { return readFile(target_); }

  std::filesystem::path target_;
};

TEST_F(CrlUpdateTest, ACrlOfTheBundlesCaIsWrittenWholeAndOnlyANewerOneReplacesIt) {
  const std::string older = env_->ca.crlPem({}, 7L * 24 * 3600, /*issued_seconds_ago=*/7200);
  const std::string newer = env_->ca.crlPem({readFile(env_->certificateOf("taalschool-a"))}, 7L * 24 * 3600, 600);

  const CrlUpdate first = offer(crlDerFromPem(older));  // as distribution points serve it
  EXPECT_EQ(first.outcome, CrlUpdate::Outcome::kInstalled) << first.detail;
  EXPECT_EQ(held(), older);  // kept as PEM, which the CRL directory's reader takes
  struct stat status {};
  ASSERT_EQ(::stat(target_.c_str(), &status), 0);
  EXPECT_EQ(status.st_mode & 0777, 0640u);
  EXPECT_EQ(offer(older).outcome, CrlUpdate::Outcome::kUnchanged);

  EXPECT_EQ(offer(crlDerFromPem(newer)).outcome, CrlUpdate::Outcome::kInstalled);
  EXPECT_EQ(held(), newer);
  // Rolled back by whoever answers for a plain-HTTP distribution point: never taken.
  EXPECT_EQ(offer(crlDerFromPem(older)).outcome, CrlUpdate::Outcome::kUnchanged);
  EXPECT_EQ(held(), newer);
  // Nothing left beside it that the directory's next reader could trip over.
  std::size_t entries = 0;
  for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator(target_.parent_path())) ++entries;
  EXPECT_EQ(entries, 1u);
}

TEST_F(CrlUpdateTest, WhatNoCaOfTheBundleSignedIsRefusedAndTheFileStays) {
  EXPECT_EQ(offer("<html>503 Service Unavailable</html>").outcome, CrlUpdate::Outcome::kRefused);
  EXPECT_EQ(offer("").outcome, CrlUpdate::Outcome::kRefused);
  const DevCertificateAuthority stranger("Stranger CA");
  const CrlUpdate foreign = offer(stranger.crlPem({}));
  EXPECT_EQ(foreign.outcome, CrlUpdate::Outcome::kRefused);
  EXPECT_NE(foreign.detail.find("not signed by a CA of the bundle"), std::string::npos) << foreign.detail;
  EXPECT_FALSE(std::filesystem::exists(target_));

  // The bundle's CA's CRL with one byte of its signature changed.
  std::string tampered = crlDerFromPem(env_->ca.crlPem({}));
  tampered[tampered.size() - 5] = static_cast<char>(tampered[tampered.size() - 5] ^ 0x01);
  EXPECT_EQ(offer(tampered).outcome, CrlUpdate::Outcome::kRefused);
  EXPECT_FALSE(std::filesystem::exists(target_));

  // Two sources for one file: the file's CA is not replaced by another's.
  const std::string strangers = stranger.crlPem({});
  writePemFile(target_, strangers, false);
  const CrlUpdate mixed = offer(env_->ca.crlPem({}));
  EXPECT_EQ(mixed.outcome, CrlUpdate::Outcome::kRefused);
  EXPECT_NE(mixed.detail.find("holds a CRL of"), std::string::npos) << mixed.detail;
  EXPECT_EQ(held(), strangers);
}

}  // namespace
}  // namespace ketenpoort
