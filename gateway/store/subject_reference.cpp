#include "gateway/store/subject_reference.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <stdexcept>

#include "gateway/store/identifiers.hpp"
#include "gateway/store/secret_files.hpp"

namespace ketenpoort {

SubjectReferencer::SubjectReferencer(std::string key) : key_(std::move(key)) {
  if (key_.size() != kKeyBytes) throw std::runtime_error("subject key must be 32 bytes");
}

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
  const std::string message =
      (subject.kind == SubjectKey::Kind::kBsn ? "bsn:" : "vnummer:") + subject.value;
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  HMAC(EVP_sha256(), key_.data(), static_cast<int>(key_.size()),
       reinterpret_cast<const unsigned char*>(message.data()), message.size(), mac, &length);
  return toHex(mac, length);
}

}  // namespace ketenpoort
