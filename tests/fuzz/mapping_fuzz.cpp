// Any bytes as a flow mapping file, beside the shipped dictionary: the loader loads it or
// reports problems with a line, never crashes; and a mapping it accepts never gives a
// special-category field to a recipient without a cited exception.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>

#include "gateway/mapping/mapping_loader.hpp"

namespace {
std::filesystem::path makeDir() {
  const auto dir = std::filesystem::temp_directory_path() / ("mapping-fuzz-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir / "flows");
  std::filesystem::copy_file(KETENPOORT_SOURCE_DIR "/mappings/fields.xml", dir / "fields.xml",
                             std::filesystem::copy_options::overwrite_existing);
  return dir;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace ketenpoort;
  static const std::filesystem::path dir = makeDir();
  {
    std::ofstream out(dir / "flows" / "coa.klantprofiel.xml", std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  }
  const MappingLoadResult result = loadMappings(dir);
  if (result.catalogue.has_value() == !result.problems.empty()) __builtin_trap();
  for (const auto& problem : result.problems) {
    if (problem.line < 0) __builtin_trap();
  }
  if (result.catalogue) {
    for (const auto& flow : result.catalogue->flows) {
      for (const auto& rule : flow->recipients) {
        for (const auto& allowed : rule.allowed) {
          if (allowed.field->isSpecial() && allowed.art9_exception.empty()) __builtin_trap();
        }
      }
    }
  }
  return 0;
}
