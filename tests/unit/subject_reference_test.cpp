#include <gtest/gtest.h>

#include <sys/stat.h>

#include "gateway/store/identifiers.hpp"
#include "gateway/store/log_signer.hpp"
#include "gateway/store/subject_reference.hpp"
#include "tests/support/temp_dir.hpp"

namespace ketenpoort {
namespace {

TEST(SubjectReference, IsAKeyedHashThatNeverContainsTheNumber) {
  testing::TempDir dir;
  const auto referencer = SubjectReferencer::loadOrCreate(dir.path() / "subject.key");
  const SubjectKey bsn{SubjectKey::Kind::kBsn, "725763863"};
  const std::string ref = referencer.reference(bsn);
  EXPECT_EQ(ref.size(), 64u);
  EXPECT_EQ(ref.find("725763863"), std::string::npos);
  EXPECT_NE(ref, sha256Hex("bsn:725763863"));  // not an unkeyed hash
  EXPECT_EQ(ref, referencer.reference(bsn));   // stable, so lookups by BSN work
  EXPECT_NE(ref, referencer.reference({SubjectKey::Kind::kVnummer, "725763863"}));
}

// HMAC-SHA256("bsn:" + number) under the key, exactly: the references in a database stay
// valid across versions of the gateway (values from Python's hmac module).
TEST(SubjectReference, IsHmacSha256OfKindAndNumber) {
  const SubjectReferencer referencer(std::string(32, 'k'));
  EXPECT_EQ(referencer.reference({SubjectKey::Kind::kBsn, "725763863"}),
            "021cadbeeb2a50510e477db313bae09aab14a4fccbfdd41aef7ffe183224e67a");
  EXPECT_EQ(referencer.reference({SubjectKey::Kind::kVnummer, "1000000001"}),
            "ad3ccb055c0143d20a6a2f72f5a7ffdbe1b3a0eac0ea20783c1f09f83a516dad");
  const SubjectReferencer copy = referencer;  // copies share the keyed context
  EXPECT_EQ(copy.reference({SubjectKey::Kind::kBsn, "725763863"}),
            referencer.reference({SubjectKey::Kind::kBsn, "725763863"}));
}

TEST(SubjectReference, KeyIsCreatedOnceWithMode0600AndReused) {
  testing::TempDir dir;
  const auto key = dir.path() / "subject.key";
  const auto first = SubjectReferencer::loadOrCreate(key).reference({SubjectKey::Kind::kBsn, "162275869"});
  struct stat st {};
  ASSERT_EQ(::stat(key.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_EQ(SubjectReferencer::loadOrCreate(key).reference({SubjectKey::Kind::kBsn, "162275869"}), first);
  // Another key, another reference: a copied database is useless without the key.
  EXPECT_NE(SubjectReferencer::loadOrCreate(dir.path() / "other.key").reference({SubjectKey::Kind::kBsn, "162275869"}),
            first);
}

TEST(SubjectReference, RefusesAKeyFileOthersCanRead) {
  testing::TempDir dir;
  const auto key = dir.path() / "subject.key";
  SubjectReferencer::loadOrCreate(key);
  ::chmod(key.c_str(), 0644);
  EXPECT_THROW(SubjectReferencer::loadOrCreate(key), std::runtime_error);
}

TEST(LogSigner, SignaturesVerifyOnlyWithTheRightKeyAndMessage) {
  testing::TempDir dir;
  const auto signer = LogSigner::loadOrCreate(dir.path() / "log-signing.key");
  const std::string signature = signer.sign("checkpoint 100");
  EXPECT_TRUE(verifyLogSignature(signer.publicKeyPem(), "checkpoint 100", signature));
  EXPECT_FALSE(verifyLogSignature(signer.publicKeyPem(), "checkpoint 101", signature));
  const auto other = LogSigner::loadOrCreate(dir.path() / "other.key");
  EXPECT_FALSE(verifyLogSignature(other.publicKeyPem(), "checkpoint 100", signature));
  // Reloaded from its file, it is the same key.
  EXPECT_EQ(LogSigner::loadOrCreate(dir.path() / "log-signing.key").publicKeyPem(), signer.publicKeyPem());
}

TEST(Identifiers, UuidV7AndTraceIdHaveTheirShape) {
  const std::string a = newUuidV7();
  const std::string b = newUuidV7();
  EXPECT_TRUE(isUuid(a));
  EXPECT_EQ(a[14], '7');                                                      // version
  EXPECT_TRUE(a[19] == '8' || a[19] == '9' || a[19] == 'a' || a[19] == 'b');  // variant
  EXPECT_NE(a, b);
  EXPECT_LE(a.substr(0, 13), b.substr(0, 13));  // time-ordered
  EXPECT_EQ(newTraceId().size(), 32u);
  EXPECT_FALSE(isUuid("not-a-uuid"));
}

}  // namespace
}  // namespace ketenpoort
