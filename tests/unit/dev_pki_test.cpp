#include <gtest/gtest.h>

#include <sys/stat.h>

#include <openssl/bio.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <fstream>
#include <memory>
#include <sstream>

#include "gateway/config/config_loader.hpp"
#include "gateway/demo/demo_environment.hpp"
#include "tests/support/temp_dir.hpp"

namespace ketenpoort {
namespace {

using testing::readFile;

struct X509Free {
  void operator()(X509* x) const { X509_free(x); }
};
using X509Ptr = std::unique_ptr<X509, X509Free>;

X509Ptr parsePem(const std::string& pem) {
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  X509Ptr cert(PEM_read_bio_X509(bio, nullptr, nullptr, nullptr));
  BIO_free(bio);
  return cert;
}

std::string subjectField(X509* cert, int nid) {
  char buffer[256] = "";
  X509_NAME_get_text_by_NID(X509_get_subject_name(cert), nid, buffer, sizeof buffer);
  return buffer;
}

TEST(DevPki, IssuesCertificatesCarryingTheOinThatVerifyAgainstTheCa) {
  DevCertificateAuthority ca("test root");
  CertificateRequest request;
  request.common_name = "gemeente-0363";
  request.serial_number = "00000099200000000363";
  request.client = true;
  const PemPair pair = ca.issue(request);
  auto cert = parsePem(pair.certificate_pem);
  auto root = parsePem(ca.certificatePem());
  ASSERT_TRUE(cert && root);
  EXPECT_EQ(subjectField(cert.get(), NID_serialNumber), "00000099200000000363");
  EXPECT_EQ(subjectField(cert.get(), NID_commonName), "gemeente-0363");
  EXPECT_TRUE(X509_get_extended_key_usage(cert.get()) & XKU_SSL_CLIENT);
  EXPECT_FALSE(X509_get_extended_key_usage(cert.get()) & XKU_SSL_SERVER);
  EXPECT_EQ(X509_verify(cert.get(), X509_get0_pubkey(root.get())), 1);
  EXPECT_NE(pair.private_key_pem.find("BEGIN PRIVATE KEY"), std::string::npos);
  // ECDSA P-256 throughout.
  EXPECT_EQ(EVP_PKEY_get_base_id(X509_get0_pubkey(cert.get())), EVP_PKEY_EC);
}

TEST(DevPki, ValidityFollowsTheRequestedOffsets) {
  DevCertificateAuthority ca("test root");
  CertificateRequest request;
  request.common_name = "expired";
  request.not_before_offset_seconds = -7200;
  request.not_after_offset_seconds = -3600;
  auto cert = parsePem(ca.issue(request).certificate_pem);
  EXPECT_LT(X509_cmp_current_time(X509_get0_notAfter(cert.get())), 0);
}

TEST(DemoEnvironment, WritesPkiAndAConfigThatLoads) {
  testing::TempDir dir;
  const DemoEnvironment env = createDemoEnvironment(dir.path() / "demo", DemoPorts{0, 0, 0});
  for (const DemoParty& p : demoParties()) {
    ASSERT_TRUE(std::filesystem::exists(env.certificateOf(p.id))) << p.id;
    struct stat st {};
    ASSERT_EQ(::stat(env.keyOf(p.id).c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600u) << p.id << " key must be private";
    auto cert = parsePem(readFile(env.certificateOf(p.id)));
    EXPECT_EQ(subjectField(cert.get(), NID_serialNumber), p.oin);
  }
  const auto loaded = loadGatewayConfig(env.config_file);
  ASSERT_TRUE(loaded.config) << (loaded.problems.empty() ? "" : loaded.problems[0].str());
  EXPECT_EQ(loaded.config->mode, GatewayMode::kTest);
  EXPECT_EQ(loaded.config->parties.size(), demoParties().size());
  EXPECT_EQ(loaded.config->tls.ca_bundle, env.pkiDir() / "ca.pem");
  ASSERT_NE(loaded.config->findPartyById("fg-0363"), nullptr);
  EXPECT_EQ(loaded.config->findPartyById("fg-0363")->organisation, "gemeente-0363");
}

}  // namespace
}  // namespace ketenpoort
