#include <gtest/gtest.h>

#include <set>

#include <cstdlib>
#include <fstream>

#include "adapters/coa_tvs/synthetic_coa.hpp"
#include "gateway/identity/bsn.hpp"
#include "tests/support/temp_dir.hpp"

namespace ketenpoort {
namespace {

TEST(SyntheticCoa, BsnsPassTheElfproef) {
  std::mt19937_64 rng(42);
  for (int i = 0; i < 10'000; ++i) EXPECT_TRUE(isValidBsn(randomSyntheticBsn(rng)));
}

TEST(SyntheticCoa, APersonHasOneVnummerAndPersonsDoNotShareOne) {
  // The generator gives each profile the V-nummer of its BSN, so a person drawn twice
  // carries the same one.
  SyntheticCoa coa(5, {"0363"});
  for (int i = 0; i < 50; ++i) {
    const SyntheticProfile p = coa.next();
    EXPECT_NE(p.xml.find("<vnummer>" + syntheticVnummer(p.bsn) + "</vnummer>"), std::string::npos);
  }
  std::mt19937_64 rng(5);
  std::set<std::string> bsns;
  std::set<std::string> vnummers;
  for (int i = 0; i < 2000; ++i) {
    const std::string bsn = randomSyntheticBsn(rng);
    EXPECT_EQ(syntheticVnummer(bsn).size(), 10u);
    bsns.insert(bsn);
    vnummers.insert(syntheticVnummer(bsn));
  }
  EXPECT_EQ(vnummers.size(), bsns.size());
}

TEST(SyntheticCoa, ProfilesAreValidAgainstTheXsdAndVaried) {
  SyntheticCoa coa(11, {"0363", "0518"});
  testing::TempDir dir;
  int medical = 0, nareis = 0, amsterdam = 0;
  std::string files;
  for (int i = 0; i < 300; ++i) {
    const SyntheticProfile p = coa.next();
    medical += p.has_medical;
    nareis += p.flow == "coa.nareisprofiel";
    amsterdam += p.gemeente_cbs == "0363";
    EXPECT_EQ(p.has_medical, p.xml.find("<medisch>") != std::string::npos);
    const auto file = dir.path() / (std::to_string(i) + ".xml");
    std::ofstream(file) << p.xml;
    files += " " + file.string();
  }
  // About one in five medical, some nareizigers, both gemeenten.
  EXPECT_GT(medical, 30);
  EXPECT_LT(medical, 95);
  EXPECT_GT(nareis, 20);
  EXPECT_GT(amsterdam, 100);
  EXPECT_LT(amsterdam, 200);
  const std::string command = "xmllint --noout --schema " KETENPOORT_SOURCE_DIR "/adapters/coa_tvs/coa_tvs.xsd" +
                              files + " 2>" + (dir.path() / "errors.txt").string();
  EXPECT_EQ(std::system(command.c_str()), 0);
}

}  // namespace
}  // namespace ketenpoort
