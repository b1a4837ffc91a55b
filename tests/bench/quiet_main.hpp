#pragma once

// The main of a benchmark that runs a whole gateway: its diagnostic log would fill the
// terminal with every request's and delivery's line, so only errors are written.
#include <benchmark/benchmark.h>

#include "gateway/diagnostics/diagnostic_log.hpp"

namespace ketenpoort::bench {

inline int runBenchmarksQuietly(int argc, char** argv) {
  diagnosticLog().setMinLevel(LogLevel::kError);
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}

}  // namespace ketenpoort::bench
