#pragma once

#include <atomic>
#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <random>
#include <string>

#include "gateway/http/https_receiver.hpp"

namespace ketenpoort {

struct GemeenteSimulatorOptions {
  HttpsReceiverOptions receiver;  // its own certificate; clients must present one
  std::filesystem::path out_dir;  // each delivery lands in <out_dir>/<transaction-id>.json
  double fail_rate = 0.0;         // share of requests answered 503 before storing
  std::chrono::milliseconds delay{0};
  std::uint64_t seed = 1;
  std::string file_extension = ".json";
  // The receiving system's own check of a document (e.g. the Belastingdienst wants a BSN
  // and an IBAN): a non-empty answer refuses it with 422 and that text.
  std::function<std::string(std::string_view body)> check;
};

// A receiving system as far as the gateway can tell (a gemeente's case system; with its
// own extension and check, the Belastingdienst's intake): a real mTLS receiver that
// stores each delivery once, keyed by X-Transaction-Id. A repeat of a stored transaction
// is answered 409 and counted as a duplicate, not stored again: the receiver's
// idempotency check. Can be told to fail a share of requests or to answer slowly.
class GemeenteSimulator {
 public:
  explicit GemeenteSimulator(GemeenteSimulatorOptions options);
  void start() { receiver_->start(); }
  void stop() { receiver_->stop(); }
  std::uint16_t port() const { return receiver_->port(); }

  std::uint64_t stored() const { return stored_.load(); }
  std::uint64_t duplicates() const { return duplicates_.load(); }
  std::uint64_t failedOnPurpose() const { return failed_.load(); }

 private:
  ApiResponse handle(const ApiRequest& request);

  GemeenteSimulatorOptions options_;
  std::mutex mutex_;
  std::mt19937_64 rng_;
  std::atomic<std::uint64_t> stored_{0};
  std::atomic<std::uint64_t> duplicates_{0};
  std::atomic<std::uint64_t> failed_{0};
  std::unique_ptr<HttpsReceiver> receiver_;
};

}  // namespace ketenpoort
