#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include "gateway/policy/registries.hpp"

namespace ketenpoort {

// Turns a BSN or V-nummer into the reference the database stores: HMAC-SHA256 under a
// key only the gateway holds. Whoever has the key can look a person up by BSN; a copied
// database file alone reveals no BSN (a 9-digit space is small, so an unkeyed hash
// would not do).
class SubjectReferencer {
 public:
  static constexpr std::size_t kKeyBytes = 32;

  explicit SubjectReferencer(std::string key);
  ~SubjectReferencer();  // overwrites its copy of the key
  SubjectReferencer(const SubjectReferencer&) = default;
  SubjectReferencer& operator=(const SubjectReferencer&) = default;
  SubjectReferencer(SubjectReferencer&&) = default;
  SubjectReferencer& operator=(SubjectReferencer&&) = default;

  // Loads the key file, or creates it (mode 0600, 32 random bytes) on first start.
  static SubjectReferencer loadOrCreate(const std::filesystem::path& key_file);

  std::string reference(const SubjectKey& subject) const;  // 64 hex digits
  // Tells two keys apart without revealing either (nodes sharing a database must hold the
  // same key, or one person's records would carry two references).
  std::string fingerprint() const;
  // A key for another purpose of the same gateway (e.g. the console's form tokens), the
  // same on every node that holds this key and no person's reference (64 hex digits).
  std::string derivedKeyHex(std::string_view purpose) const;
  // HMAC-SHA256 of `message` under this key, hex: for a key that keys references again
  // (a pseudonym period's key, gateway/store/pseudonym_keys.hpp).
  std::string macHex(const std::string& message) const;

 private:
  // HMAC-SHA256 keyed once: the one-shot HMAC() of OpenSSL 3 fetches the algorithm and
  // sets the key on every call (2.3 % of the gateway's CPU under load); each reference
  // now duplicates this prepared context. Shared by copies, never changed after set-up.
  struct KeyedMac;
  std::string key_;
  std::shared_ptr<const KeyedMac> mac_;
};

}  // namespace ketenpoort
