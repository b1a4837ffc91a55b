#include "gateway/store/log_signer.hpp"

#include <openssl/evp.h>
#include <openssl/pem.h>

#include <fstream>
#include <stdexcept>

#include "gateway/secrets/secret_files.hpp"

namespace ketenpoort {
namespace {

std::string bioText(BIO* bio) {
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio, &data);
  return std::string(data, static_cast<std::size_t>(n));
}

std::string publicPem(EVP_PKEY* key) {
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_PUBKEY(bio, key);
  std::string out = bioText(bio);
  BIO_free(bio);
  return out;
}

}  // namespace

struct LogSigner::Key {
  EVP_PKEY* pkey = nullptr;
  ~Key() { EVP_PKEY_free(pkey); }
};

LogSigner::LogSigner(std::unique_ptr<Key> key) : key_(std::move(key)) { public_pem_ = publicPem(key_->pkey); }
LogSigner::~LogSigner() = default;
LogSigner::LogSigner(LogSigner&&) noexcept = default;
LogSigner& LogSigner::operator=(LogSigner&&) noexcept = default;

LogSigner LogSigner::loadOrCreate(const std::filesystem::path& private_key_file) {
  auto key = std::make_unique<Key>();
  if (std::filesystem::exists(private_key_file)) {
    const std::string pem = readSecretFile(private_key_file);
    BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
    key->pkey = PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr);
    BIO_free(bio);
    if (!key->pkey || EVP_PKEY_get_base_id(key->pkey) != EVP_PKEY_ED25519) {
      throw std::runtime_error(private_key_file.string() + " is not an Ed25519 private key");
    }
  } else {
    key->pkey = EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519");
    if (!key->pkey) throw std::runtime_error("cannot generate the Ed25519 log signing key");
    BIO* bio = BIO_new(BIO_s_mem());
    PEM_write_bio_PrivateKey(bio, key->pkey, nullptr, nullptr, 0, nullptr, nullptr);
    const std::string pem = bioText(bio);
    BIO_free(bio);
    if (!createSecretFile(private_key_file, pem)) {
      throw std::runtime_error(private_key_file.string() + " appeared while being created");
    }
  }
  LogSigner signer(std::move(key));
  std::ofstream(private_key_file.string() + ".pub", std::ios::trunc) << signer.publicKeyPem();
  return signer;
}

std::string LogSigner::sign(const std::string& message) const {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  std::string signature(64, '\0');
  std::size_t length = signature.size();
  const bool ok = EVP_DigestSignInit(ctx, nullptr, nullptr, nullptr, key_->pkey) == 1 &&
                  EVP_DigestSign(ctx, reinterpret_cast<unsigned char*>(signature.data()), &length,
                                 reinterpret_cast<const unsigned char*>(message.data()), message.size()) == 1;
  EVP_MD_CTX_free(ctx);
  if (!ok) throw std::runtime_error("Ed25519 signing failed");
  signature.resize(length);
  return signature;
}

bool verifyLogSignature(const std::string& public_key_pem, const std::string& message, const std::string& signature) {
  BIO* bio = BIO_new_mem_buf(public_key_pem.data(), static_cast<int>(public_key_pem.size()));
  EVP_PKEY* key = PEM_read_bio_PUBKEY(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  if (!key) return false;
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  const bool ok = EVP_DigestVerifyInit(ctx, nullptr, nullptr, nullptr, key) == 1 &&
                  EVP_DigestVerify(ctx, reinterpret_cast<const unsigned char*>(signature.data()), signature.size(),
                                   reinterpret_cast<const unsigned char*>(message.data()), message.size()) == 1;
  EVP_MD_CTX_free(ctx);
  EVP_PKEY_free(key);
  return ok;
}

}  // namespace ketenpoort
