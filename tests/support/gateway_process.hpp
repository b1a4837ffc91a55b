#pragma once

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace ketenpoort::testing {

struct CommandResult {
  int exit_code = -1;  // -1: killed by a signal
  std::string out;
  std::string err;
};

// Runs argv (argv[0] a path, or a program on $PATH) to completion with stdout and stderr
// captured in files under `dir`.
CommandResult runCommand(const std::vector<std::string>& argv, const std::filesystem::path& dir);

// A program running beside a test (a server of the chain's other side), its output in
// `log`; killed and reaped when this goes.
class SpawnedProcess {
 public:
  SpawnedProcess(const std::vector<std::string>& argv, const std::filesystem::path& log);
  ~SpawnedProcess();
  SpawnedProcess(const SpawnedProcess&) = delete;
  SpawnedProcess& operator=(const SpawnedProcess&) = delete;

 private:
  pid_t pid_ = -1;
};

// `ketenpoort serve --config CONFIG` as a child process, its output appended to `log`.
pid_t startGateway(const std::filesystem::path& config, const std::filesystem::path& log);

// COUNT(*) of `table` WHERE `condition` in a gateway's SQLite file, read beside the running
// gateway (read-only, waiting up to 5 s for its writer); -1 when it cannot be read.
std::int64_t countInDatabase(const std::filesystem::path& database, const std::string& table,
                             const std::string& condition);

// The end of a gateway's diagnostic log (which never holds a BSN or a body), for a
// failing test's message.
std::string logTail(const std::filesystem::path& log);

}  // namespace ketenpoort::testing
