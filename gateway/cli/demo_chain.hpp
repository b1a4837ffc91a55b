#pragma once

#include <string>
#include <vector>

#include "adapters/duo/duo_format.hpp"
#include "gateway/demo/demo_environment.hpp"
#include "gateway/http/https_client.hpp"
#include "gateway/runtime/gateway_server.hpp"

namespace ketenpoort::cli {

// The demo's persons beyond COA's bulk: synthetic BSNs from a fixed seed, and what DUO's
// register says about them.
struct ChainPersons {
  std::string amina;    // 1: Wi2021, Amsterdam, from permit to toeslagen
  std::string elip;     // 2: Wi2021, Amsterdam, ELIP candidate
  std::string old_law;  // 3: Wet inburgering 2013, Amsterdam
  std::vector<DuoPerson> register_;
};
ChainPersons chainPersons(const CivilDate& today);

struct ChainStep {
  std::string flow;
  std::string what;
  unsigned status = 0;
  std::string code;  // the problem code when refused
};

struct ChainOutcome {
  bool as_expected = true;  // every step came out as the rules say it must
  std::vector<ChainStep> steps;
  std::size_t queued_for_gemeenten = 0;  // accepted pushes and ELIP signals to gemeenten
  std::size_t queued_for_toeslagen = 0;
};

// `party_id` calling the gateway's exchange listener on `port` with its demo certificate.
HttpsClientOptions demoClient(const DemoEnvironment& env, const std::string& party_id, std::uint16_t port);

// Runs every flow of the chain through the gateway's HTTPS API and prints each step.
ChainOutcome runChainScenario(const DemoEnvironment& env, GatewayServer& server, const ChainPersons& persons);

}  // namespace ketenpoort::cli
