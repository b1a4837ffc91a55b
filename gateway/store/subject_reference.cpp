#include "gateway/store/subject_reference.hpp"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/rand.h>

#include <stdexcept>

#include "gateway/secrets/secret_files.hpp"
#include "gateway/store/identifiers.hpp"

namespace ketenpoort {

struct SubjectReferencer::KeyedMac {
  explicit KeyedMac(const std::string& key) {
    EVP_MAC* hmac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
    if (hmac == nullptr) throw std::runtime_error("HMAC is not available");
    context = EVP_MAC_CTX_new(hmac);
    EVP_MAC_free(hmac);  // the context keeps its own reference
    char digest[] = "SHA256";
    const OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
                                 OSSL_PARAM_construct_end()};
    if (context == nullptr ||
        EVP_MAC_init(context, reinterpret_cast<const unsigned char*>(key.data()), key.size(), params) != 1) {
      EVP_MAC_CTX_free(context);
      throw std::runtime_error("cannot key HMAC-SHA256");
    }
  }
  ~KeyedMac() { EVP_MAC_CTX_free(context); }
  KeyedMac(const KeyedMac&) = delete;
  KeyedMac& operator=(const KeyedMac&) = delete;

  EVP_MAC_CTX* context = nullptr;  // keyed, never updated: only duplicated
};

SubjectReferencer::SubjectReferencer(std::string key) : key_(std::move(key)) {
  if (key_.size() != kKeyBytes) throw std::runtime_error("subject key must be 32 bytes");
  mac_ = std::make_shared<const KeyedMac>(key_);
}

SubjectReferencer::~SubjectReferencer() { OPENSSL_cleanse(key_.data(), key_.size()); }

SubjectReferencer SubjectReferencer::loadOrCreate(const std::filesystem::path& key_file) {
  std::string fresh(kKeyBytes, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(fresh.data()), kKeyBytes) != 1) {
    throw std::runtime_error("RAND_bytes failed");
  }
  if (createSecretFile(key_file, fresh)) return SubjectReferencer(std::move(fresh));
  return SubjectReferencer(readSecretFile(key_file));
}

std::string SubjectReferencer::reference(const SubjectKey& subject) const {
  // The kind is part of the message, so a BSN and a V-nummer never collide.
  return macHex((subject.kind == SubjectKey::Kind::kBsn ? "bsn:" : "vnummer:") + subject.value);
}

std::string SubjectReferencer::fingerprint() const {
  // No BSN or V-nummer starts with this, so the fingerprint is no person's reference.
  return macHex("ketenpoort:subject-key-fingerprint");
}

std::string SubjectReferencer::derivedKeyHex(std::string_view purpose) const {
  // As the fingerprint: "ketenpoort:" begins no BSN or V-nummer message.
  return macHex("ketenpoort:derived-key:" + std::string(purpose));
}

std::string SubjectReferencer::macHex(const std::string& message) const {
  unsigned char mac[EVP_MAX_MD_SIZE];
  std::size_t length = 0;
  EVP_MAC_CTX* context = EVP_MAC_CTX_dup(mac_->context);
  const bool ok =
      context != nullptr &&
      EVP_MAC_update(context, reinterpret_cast<const unsigned char*>(message.data()), message.size()) == 1 &&
      EVP_MAC_final(context, mac, &length, sizeof mac) == 1;
  EVP_MAC_CTX_free(context);
  if (!ok) throw std::runtime_error("HMAC-SHA256 failed");
  return toHex(mac, length);
}

}  // namespace ketenpoort
