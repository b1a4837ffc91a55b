#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "gateway/http/https_client.hpp"

namespace ketenpoort {

struct CoaSimulatorOptions {
  HttpsClientOptions gateway;  // COA's certificate, the gateway's address
  std::size_t count = 10;
  std::vector<std::string> gemeente_cbs_codes{"0363", "0518"};
  std::uint64_t seed = 2026;
  unsigned concurrency = 4;  // connections pushing in parallel
  // A push that gets no answer (gateway restarting, connection cut) or a 503 is sent
  // again with the same X-Transaction-Id until this much time has passed.
  std::chrono::milliseconds keep_trying{60'000};
};

struct CoaSimulatorSummary {
  std::size_t accepted = 0;
  std::size_t with_medical_section = 0;
  std::map<std::string, std::size_t> refused;  // by problem code
  std::size_t unanswered = 0;                  // gave up after keep_trying
  std::size_t resent = 0;                      // pushes sent again with the same id
  std::vector<std::string> transaction_ids;    // of the accepted ones
};

// `ketenpoort simulate coa`: pushes synthetic klantprofielen and nareisprofielen
// (SyntheticCoa) to the gateway as COA's TVS would, each with its own transaction id.
CoaSimulatorSummary runCoaSimulator(const CoaSimulatorOptions& options);

}  // namespace ketenpoort
