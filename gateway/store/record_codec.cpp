#include "gateway/store/record_codec.hpp"

#include <openssl/evp.h>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include <chrono>
#include <cstdio>
#include <ctime>

#include "gateway/store/identifiers.hpp"

namespace ketenpoort {

std::string_view toString(ExchangeOutcome outcome) {
  switch (outcome) {
    case ExchangeOutcome::kDelivered: return "delivered";
    case ExchangeOutcome::kQueued: return "queued";
    case ExchangeOutcome::kRefused: return "refused";
    case ExchangeOutcome::kFailed: return "failed";
  }
  return "failed";
}

std::string utcNowRfc3339() {
  const auto now = std::chrono::system_clock::now();
  const auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count();
  const std::time_t seconds = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<int>(ms % 1000));
  return buffer;
}

std::array<std::string, kHashedColumns.size()> columnTexts(const ExchangeRecord& r) {
  boost::json::array delivered;
  for (const auto& f : r.fields_delivered) delivered.emplace_back(f);
  boost::json::array withheld;
  for (const auto& w : r.fields_withheld) {
    withheld.emplace_back(boost::json::object{{"field", w.field}, {"reason", w.reason}});
  }
  return {r.transaction_id,
          r.trace_id,
          r.time_utc,
          r.flow,
          r.sender_oin,
          r.recipient_oin,
          r.purpose,
          r.legal_basis,
          r.consent_id,
          r.agreement_id,
          r.subject_ref,
          boost::json::serialize(delivered),
          boost::json::serialize(withheld),
          std::string(toString(r.outcome)),
          r.reason,
          r.payload_sha256,
          r.retention_until};
}

std::string chainHash(const std::string& previous_hash, std::uint64_t sequence,
                      const std::array<std::string_view, kHashedColumns.size()>& columns) {
  static constexpr std::string_view kDomain = "ketenpoort-exchange-log-v1";
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  EVP_DigestInit_ex(ctx, EVP_sha256(), nullptr);
  EVP_DigestUpdate(ctx, kDomain.data(), kDomain.size());
  EVP_DigestUpdate(ctx, previous_hash.data(), previous_hash.size());
  unsigned char seq[8];
  for (int i = 0; i < 8; ++i) seq[i] = static_cast<unsigned char>(sequence >> (8 * (7 - i)));
  EVP_DigestUpdate(ctx, seq, sizeof seq);
  for (const auto& column : columns) {
    const auto n = static_cast<std::uint32_t>(column.size());
    const unsigned char length[4] = {static_cast<unsigned char>(n >> 24),
                                     static_cast<unsigned char>(n >> 16),
                                     static_cast<unsigned char>(n >> 8),
                                     static_cast<unsigned char>(n)};
    EVP_DigestUpdate(ctx, length, sizeof length);
    EVP_DigestUpdate(ctx, column.data(), column.size());
  }
  std::string digest(32, '\0');
  unsigned int size = 0;
  EVP_DigestFinal_ex(ctx, reinterpret_cast<unsigned char*>(digest.data()), &size);
  EVP_MD_CTX_free(ctx);
  return digest;
}

std::string checkpointMessage(std::uint64_t sequence, const std::string& record_hash,
                              const std::string& created_utc) {
  return "ketenpoort-log-checkpoint-v1\n" + std::to_string(sequence) + "\n" +
         toHex(record_hash) + "\n" + created_utc + "\n";
}

}  // namespace ketenpoort
