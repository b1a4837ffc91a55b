#pragma once

#include <filesystem>
#include <memory>
#include <string>

namespace ketenpoort {

// The gateway's Ed25519 key for signing exchange-log checkpoints. The private key stays
// in a 0600 file beside the database; the public key is written next to it (.pub) and
// should also be kept elsewhere, because a verifier that takes the public key from the
// same disk as the log trusts that disk.
class LogSigner {
 public:
  ~LogSigner();
  LogSigner(LogSigner&&) noexcept;
  LogSigner& operator=(LogSigner&&) noexcept;

  // Loads PRIVATE_KEY_FILE or creates it (and PRIVATE_KEY_FILE.pub) on first start.
  static LogSigner loadOrCreate(const std::filesystem::path& private_key_file);

  std::string sign(const std::string& message) const;  // 64-byte signature
  const std::string& publicKeyPem() const { return public_pem_; }

 private:
  struct Key;
  explicit LogSigner(std::unique_ptr<Key> key);
  std::unique_ptr<Key> key_;
  std::string public_pem_;
};

// Verifies an Ed25519 signature with a PEM public key.
bool verifyLogSignature(const std::string& public_key_pem, const std::string& message, const std::string& signature);

}  // namespace ketenpoort
