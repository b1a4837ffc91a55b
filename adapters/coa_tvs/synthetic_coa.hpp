#pragma once

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "gateway/identity/bsn.hpp"

namespace ketenpoort {

// COA's Toeslagenservicepunt applying for huurtoeslag and zorgtoeslag for `bsn` after the
// tenancy contract is signed (docs/adapters/coa_tvs.md). Carries a medical remark on
// purpose: COA's system holds it, the gateway must not pass it on.
std::string syntheticToeslagaanvraag(const std::string& bsn, const std::string& move_date);

// The synthetic person's V-nummer, derived from the BSN: one person has one V-nummer, so
// a person drawn twice (or a nareisprofiel after a klantprofiel) never carries two, which
// the gateway would rightly refuse as an identity conflict.
std::string syntheticVnummer(const std::string& bsn);

struct SyntheticProfile {
  std::string flow;  // coa.klantprofiel or coa.nareisprofiel
  std::string bsn;
  std::string gemeente_cbs;  // the koppeling
  bool has_medical = false;
  std::string xml;
};

// Realistic, synthetic COA profiles (docs/adapters/coa_tvs.md): households of 1-7,
// nareizigers, voorinburgering at various stages, about one in five with a medical
// section, remarks, attachments; spread over the given gemeenten. Deterministic for a
// seed, so a test or demo can be repeated.
class SyntheticCoa {
 public:
  SyntheticCoa(std::uint64_t seed, std::vector<std::string> gemeente_cbs_codes);
  SyntheticProfile next();

 private:
  std::mt19937_64 rng_;
  std::vector<std::string> gemeenten_;
  std::uint64_t count_ = 0;
};

}  // namespace ketenpoort
