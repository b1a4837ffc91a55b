// Any byte string given as a config file must load or yield problems, never crash.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "gateway/config/config_loader.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view xml(reinterpret_cast<const char*>(data), size);
  const auto result = ketenpoort::parseGatewayConfig(xml, "fuzz.xml", "/fuzz");
  // Exactly one of the two outcomes, and problems always carry a line.
  if (result.config.has_value() == !result.problems.empty()) __builtin_trap();
  for (const auto& problem : result.problems) {
    if (problem.line < 1) __builtin_trap();
  }
  return 0;
}
