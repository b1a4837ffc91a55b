#include "adapters/coa_tvs/coa_simulator.hpp"

#include <boost/json/parse.hpp>

#include <mutex>
#include <thread>

#include "adapters/coa_tvs/synthetic_coa.hpp"
#include "gateway/calendar/time_source.hpp"
#include "gateway/store/identifiers.hpp"

namespace ketenpoort {

// NOLINTNEXTLINE(readability-function-size,readability-function-cognitive-complexity): older than the gate (issue 26); split it, never grow it
CoaSimulatorSummary runCoaSimulator(const CoaSimulatorOptions& options) {
  // Documents are made up front, so the same seed gives the same persons whatever the
  // concurrency.
  SyntheticCoa coa(options.seed, options.gemeente_cbs_codes);
  std::vector<SyntheticProfile> profiles;
  profiles.reserve(options.count);
  for (std::size_t i = 0; i < options.count; ++i) profiles.push_back(coa.next());

  CoaSimulatorSummary summary;
  std::mutex mutex;
  std::size_t next = 0;
  auto pusher = [&] {
    HttpsClient client(options.gateway);
    for (;;) {
      std::size_t index;
      {
        std::lock_guard lock(mutex);
        if (next == profiles.size()) return;
        index = next++;
      }
      const SyntheticProfile& p = profiles[index];
      const std::string transaction_id = newUuidV7();
      const auto give_up = systemTime().monotonicNow() + options.keep_trying;
      std::string refused_code;
      bool accepted = false;
      std::size_t sends = 0;
      for (;;) {
        ++sends;
        const auto result = client.request("POST", "/v1/berichten/" + p.flow,
                                           {{"Content-Type", "application/xml"},
                                            {"X-Doelbinding", "regie-inburgering"},
                                            {"X-Transaction-Id", transaction_id}},
                                           p.xml);
        if (const auto* response = std::get_if<HttpsResponse>(&result)) {
          if (response->status == 202) {
            accepted = true;
            break;
          }
          if (response->status != 503 && response->status != 409) {
            boost::system::error_code ec;
            const auto problem = boost::json::parse(response->body, ec);
            refused_code = !ec && problem.is_object() && problem.as_object().contains("code")
                               ? std::string(problem.at("code").as_string())
                               : "http-" + std::to_string(response->status);
            break;
          }
        }
        if (systemTime().monotonicNow() >= give_up) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
      }
      std::lock_guard lock(mutex);
      summary.resent += sends - 1;
      if (accepted) {
        ++summary.accepted;
        summary.with_medical_section += p.has_medical ? 1 : 0;
        summary.transaction_ids.push_back(transaction_id);
      } else if (!refused_code.empty()) {
        ++summary.refused[refused_code];
      } else {
        ++summary.unanswered;
      }
    }
  };
  std::vector<std::thread> threads;
  for (unsigned i = 0; i < std::max(1u, options.concurrency); ++i) threads.emplace_back(pusher);
  for (auto& t : threads) t.join();
  return summary;
}

}  // namespace ketenpoort
