#include "gateway/store/pseudonym_keys.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <stdexcept>

#include "gateway/diagnostics/diagnostic_log.hpp"
#include "gateway/store/identifiers.hpp"

namespace ketenpoort {

namespace {

constexpr std::size_t kNonceBytes = 12;
constexpr std::size_t kTagBytes = 16;

std::string associatedData(int period) { return "ketenpoort-pseudonym-key:" + std::to_string(period); }

struct CipherContext {
  CipherContext() : context(EVP_CIPHER_CTX_new()) {
    if (context == nullptr) throw std::runtime_error("cannot allocate a cipher context");
  }
  ~CipherContext() { EVP_CIPHER_CTX_free(context); }
  CipherContext(const CipherContext&) = delete;
  CipherContext& operator=(const CipherContext&) = delete;
  EVP_CIPHER_CTX* context;
};

const unsigned char* bytes(const std::string& s) { return reinterpret_cast<const unsigned char*>(s.data()); }
unsigned char* bytes(std::string& s) { return reinterpret_cast<unsigned char*>(s.data()); }

std::string randomBytes(std::size_t n) {
  std::string out(n, '\0');
  if (RAND_bytes(bytes(out), static_cast<int>(n)) != 1) throw std::runtime_error("RAND_bytes failed");
  return out;
}

void cleanse(std::string& secret) { OPENSSL_cleanse(secret.data(), secret.size()); }

int yearOf(std::string_view iso_date) {
  const auto date = parseIsoDate(iso_date.substr(0, 10));
  return date ? static_cast<int>(date->year()) : 0;
}

}  // namespace

std::string wrapPseudonymKey(const std::string& wrapping_key, int period, const std::string& key) {
  if (wrapping_key.size() != 32) throw std::runtime_error("the wrapping key must be 32 bytes");
  const std::string nonce = randomBytes(kNonceBytes);
  const std::string aad = associatedData(period);
  std::string sealed(key.size(), '\0');
  std::string tag(kTagBytes, '\0');
  CipherContext c;
  int length = 0;
  int final_length = 0;
  if (EVP_EncryptInit_ex(c.context, EVP_aes_256_gcm(), nullptr, bytes(wrapping_key), bytes(nonce)) != 1 ||
      EVP_EncryptUpdate(c.context, nullptr, &length, bytes(aad), static_cast<int>(aad.size())) != 1 ||
      EVP_EncryptUpdate(c.context, bytes(sealed), &length, bytes(key), static_cast<int>(key.size())) != 1 ||
      EVP_EncryptFinal_ex(c.context, bytes(sealed) + length, &final_length) != 1 ||
      EVP_CIPHER_CTX_ctrl(c.context, EVP_CTRL_GCM_GET_TAG, static_cast<int>(kTagBytes), bytes(tag)) != 1) {
    throw std::runtime_error("cannot wrap a pseudonym key");
  }
  return toHex(nonce + sealed + tag);
}

std::optional<std::string> unwrapPseudonymKey(const std::string& wrapping_key, int period, std::string_view wrapped) {
  const auto raw = fromHex(wrapped);
  if (!raw || raw->size() != kNonceBytes + SubjectReferencer::kKeyBytes + kTagBytes || wrapping_key.size() != 32) {
    return std::nullopt;
  }
  const std::string nonce = raw->substr(0, kNonceBytes);
  const std::string sealed = raw->substr(kNonceBytes, SubjectReferencer::kKeyBytes);
  std::string tag = raw->substr(kNonceBytes + SubjectReferencer::kKeyBytes);
  const std::string aad = associatedData(period);
  std::string key(sealed.size(), '\0');
  CipherContext c;
  int length = 0;
  int final_length = 0;
  if (EVP_DecryptInit_ex(c.context, EVP_aes_256_gcm(), nullptr, bytes(wrapping_key), bytes(nonce)) != 1 ||
      EVP_DecryptUpdate(c.context, nullptr, &length, bytes(aad), static_cast<int>(aad.size())) != 1 ||
      EVP_DecryptUpdate(c.context, bytes(key), &length, bytes(sealed), static_cast<int>(sealed.size())) != 1 ||
      EVP_CIPHER_CTX_ctrl(c.context, EVP_CTRL_GCM_SET_TAG, static_cast<int>(kTagBytes), bytes(tag)) != 1 ||
      EVP_DecryptFinal_ex(c.context, bytes(key) + length, &final_length) != 1) {
    cleanse(key);
    return std::nullopt;
  }
  return key;
}

PseudonymKeyring::PseudonymKeyring(const SubjectReferencer& subject_key, PseudonymKeyStore& store,
                                   std::chrono::milliseconds reload_after, const TimeSource& clock)
    : subject_key_(subject_key), store_(store), reload_after_(reload_after), clock_(clock) {
  const auto derived = fromHex(subject_key_.derivedKeyHex("pseudonym-key-wrap"));
  if (!derived) throw std::runtime_error("cannot derive the pseudonym wrapping key");
  wrapping_key_ = *derived;
}

PseudonymKeyring::~PseudonymKeyring() { cleanse(wrapping_key_); }

void PseudonymKeyring::reloadLocked() {
  std::map<int, std::unique_ptr<const SubjectReferencer>> live;
  std::map<int, StoredPseudonymKey> rows;
  for (StoredPseudonymKey& row : store_.load()) {
    if (row.destroyed_utc.empty()) {
      std::optional<std::string> key = unwrapPseudonymKey(wrapping_key_, row.period, row.wrapped);
      if (!key) {
        throw std::runtime_error("the pseudonym key of " + std::to_string(row.period) +
                                 " does not unwrap: the store was made with another subject key");
      }
      live.emplace(row.period, std::make_unique<const SubjectReferencer>(*key));
      cleanse(*key);
    }
    cleanse(row.wrapped);
    row.wrapped.clear();
    rows.emplace(row.period, std::move(row));
  }
  live_ = std::move(live);  // the destroyed keys' prepared contexts are freed here
  rows_ = std::move(rows);
  loaded_at_ = clock_.monotonicNow();
}

void PseudonymKeyring::addKeyLocked(int period) {
  std::string key = randomBytes(SubjectReferencer::kKeyBytes);
  store_.addIfAbsent(period, wrapPseudonymKey(wrapping_key_, period, key), clock_.nowRfc3339());
  cleanse(key);
}

void PseudonymKeyring::prepare(const CivilDate& today, int ahead) {
  std::unique_lock lock(mutex_);
  reloadLocked();
  const int first = static_cast<int>(today.year());
  bool added = false;
  for (int period = first; period <= first + ahead; ++period) {
    if (rows_.count(period) != 0) continue;
    addKeyLocked(period);
    added = true;
  }
  if (added) reloadLocked();  // what the store kept: another node's key may have come first
}

void PseudonymKeyring::reloadIfStale() {
  {
    std::shared_lock lock(mutex_);
    if (clock_.monotonicNow() - loaded_at_ < reload_after_) return;
  }
  std::unique_lock lock(mutex_);
  if (clock_.monotonicNow() - loaded_at_ < reload_after_) return;
  try {
    reloadLocked();
  } catch (const std::exception& e) {
    // The keys in hand stay usable; the next lookup tries again.
    loaded_at_ = clock_.monotonicNow();
    logWarn("pseudonym-keys-not-reloaded", {{"error", e.what()}});
  }
}

const SubjectReferencer* PseudonymKeyring::liveKeyLocked(int period) const {
  const auto it = live_.find(period);
  return it == live_.end() ? nullptr : it->second.get();
}

std::string PseudonymKeyring::recordReference(const std::string& subject_ref, std::string_view retention_until,
                                              std::string_view record_date) {
  if (subject_ref.empty()) return subject_ref;
  const int retention_year = yearOf(retention_until);
  if (retention_year == 0) return subject_ref;
  // A retention already over when the record is made (a clock set back, a flow without
  // a period) goes under the record's own year: never under a key that may be gone.
  const int period = std::max(retention_year, yearOf(record_date));
  reloadIfStale();  // never under a key another process destroyed seconds ago
  {
    std::shared_lock lock(mutex_);
    if (const SubjectReferencer* key = liveKeyLocked(period)) return key->macHex("record:" + subject_ref);
  }
  std::unique_lock lock(mutex_);
  if (rows_.count(period) == 0) {
    addKeyLocked(period);
    reloadLocked();  // what the store kept: another node's key may have come first
  }
  // The period's key; when it is destroyed (records dated before a purge that already
  // ran, a clock set back) the first live period after it.
  for (auto it = rows_.lower_bound(period); it != rows_.end(); ++it) {
    if (const SubjectReferencer* key = liveKeyLocked(it->first)) return key->macHex("record:" + subject_ref);
  }
  addKeyLocked(rows_.rbegin()->first + 1);
  reloadLocked();
  if (const SubjectReferencer* key = liveKeyLocked(rows_.rbegin()->first)) {
    return key->macHex("record:" + subject_ref);
  }
  throw std::runtime_error("no pseudonym key for " + std::to_string(period));
}

std::vector<std::string> PseudonymKeyring::referencesOf(const std::string& subject_ref) {
  reloadIfStale();
  std::vector<std::string> refs{subject_ref};
  std::shared_lock lock(mutex_);
  for (const auto& [period, key] : live_) refs.push_back(key->macHex("record:" + subject_ref));
  return refs;
}

std::vector<int> PseudonymKeyring::destroyExpired(const CivilDate& as_of) {
  std::unique_lock lock(mutex_);
  std::vector<int> destroyed = store_.destroyBefore(static_cast<int>(as_of.year()), clock_.nowRfc3339());
  reloadLocked();
  return destroyed;
}

std::vector<PseudonymKeyring::PeriodStatus> PseudonymKeyring::periods() {
  std::unique_lock lock(mutex_);
  reloadLocked();
  std::vector<PeriodStatus> out;
  for (const auto& [period, row] : rows_) out.push_back({period, row.created_utc, row.destroyed_utc});
  return out;
}

}  // namespace ketenpoort
