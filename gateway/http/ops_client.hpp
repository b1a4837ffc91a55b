#pragma once

#include <chrono>
#include <optional>
#include <string>

#include "gateway/config/gateway_config.hpp"

namespace ketenpoort {

struct OpsAnswer {
  unsigned status = 0;
  std::string body;
};

// GET `path` from a running gateway's ops listener (plain HTTP on loopback, as the
// configuration names it), for the command line (`ketenpoort reload`). nullopt when no
// gateway answers there within `timeout`.
std::optional<OpsAnswer> getFromOpsListener(const ListenerConfig& ops, const std::string& path,
                                            std::chrono::milliseconds timeout);

}  // namespace ketenpoort
