#pragma once

// What the benchmarks that fill a log share.
#include <filesystem>
#include <string>

#include "tests/support/log_fill.hpp"

namespace ketenpoort::bench {

using testing::appendAll;

// An empty directory under the system's temp directory, named for the benchmark.
inline std::filesystem::path freshDir(const std::string& name) {
  const auto dir = std::filesystem::temp_directory_path() / ("ketenpoort-bench-" + name);
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

}  // namespace ketenpoort::bench
