#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <vector>

#include "adapters/duo/duo_format.hpp"
#include "gateway/http/https_receiver.hpp"

namespace ketenpoort {

struct DuoSimulatorOptions {
  HttpsReceiverOptions receiver;  // DUO's certificate; the gateway must present one
  std::vector<DuoPerson> persons;
  std::chrono::milliseconds delay{0};  // every answer this late (to test the gateway's timeout)
};

// DUO's inburgering register as the gateway sees it (`ketenpoort simulate duo`): answers
// POST /duo/inburgeringsstatus and POST /duo/elip-overzicht in the format of
// docs/adapters/duo.md. With a `gateway_oin`, only a certificate with that OIN is
// answered (403 otherwise); without one, any certificate of the CA (the development
// gateway's certificate carries no OIN).
class DuoSimulator {
 public:
  DuoSimulator(DuoSimulatorOptions options, std::string gateway_oin);
  void start() { receiver_->start(); }
  void stop() { receiver_->stop(); }
  std::uint16_t port() const { return receiver_->port(); }
  std::uint64_t questions() const { return questions_.load(); }
  void setDelay(std::chrono::milliseconds delay) { delay_ms_.store(delay.count()); }

 private:
  ApiResponse handle(const ApiRequest& request, const std::string& peer_oin);

  DuoSimulatorOptions options_;
  std::string gateway_oin_;
  std::atomic<std::int64_t> delay_ms_{0};
  std::atomic<std::uint64_t> questions_{0};
  std::unique_ptr<HttpsReceiver> receiver_;
};

// A register for the demo and `simulate duo`: for each gemeente a spread of persons
// (old-law and new, ELIP candidates and not, one exemption on medical grounds), with
// BSNs drawn from `seed`. Dates are relative to `today`.
std::vector<DuoPerson> syntheticDuoRegister(const std::vector<std::string>& gemeente_cbs_codes, std::uint64_t seed,
                                            const CivilDate& today);

}  // namespace ketenpoort
