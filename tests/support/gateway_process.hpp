#pragma once

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <string>

namespace ketenpoort::testing {

// `ketenpoort serve --config CONFIG` as a child process, its output appended to `log`.
pid_t startGateway(const std::filesystem::path& config, const std::filesystem::path& log);

// The end of a gateway's diagnostic log (which never holds a BSN or a body), for a
// failing test's message.
std::string logTail(const std::filesystem::path& log);

}  // namespace ketenpoort::testing
