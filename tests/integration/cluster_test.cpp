// Issue 15's kill test is the cluster demo itself (gateway/cli/demo_cluster.cpp): two
// gateway nodes on a private PostgreSQL behind HAProxy (TCP mode, TLS passed through,
// /readyz health checks), COA pushing 600 profiles through HAProxy while the receivers
// refuse 30 % of deliveries, and one node killed (SIGKILL) mid-run and not restarted. The
// demo counts what the receivers actually stored and checks the log itself; it exits 0
// only when every accepted profile was stored exactly once, the log holds one exchange per
// transaction written by both nodes, every outbox entry ended delivered with its body gone,
// and both nodes' chains verify with their own keys.
#include <gmock/gmock.h>

#include <cstdlib>

#include "tests/support/temp_dir.hpp"

namespace ketenpoort::testing {
namespace {

TEST(Cluster, ANodeKilledUnderLoadLosesNothingAndDoublesNothing) {
  TempDir dir;
  const auto output = dir.path() / "demo.txt";
  const std::string command = std::string(KETENPOORT_BINARY) + " demo --cluster --workdir " +
                              (dir.path() / "cluster").string() + " > " + output.string() + " 2>&1";
  EXPECT_EQ(std::system(command.c_str()), 0) << readFile(output);
  EXPECT_THAT(readFile(output),
              ::testing::HasSubstr("cluster: 600 accepted, 600 delivered, 0 lost, 0 duplicates, log verify intact"));
  EXPECT_THAT(readFile(output), ::testing::HasSubstr("written by 2 node(s); 0 bodies left"));
  std::cout << readFile(output);
}

}  // namespace
}  // namespace ketenpoort::testing
