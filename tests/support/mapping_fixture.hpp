#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "gateway/mapping/mapping_loader.hpp"
#include "gateway/mapping/record_mapper.hpp"
#include "tests/support/temp_dir.hpp"

namespace ketenpoort::testing {

inline std::filesystem::path shippedMappings() { return KETENPOORT_SOURCE_DIR "/mappings"; }
inline std::filesystem::path testData(const std::string& name) {
  return std::filesystem::path(KETENPOORT_SOURCE_DIR "/tests/data") / name;
}

inline std::string readText(const std::filesystem::path& p) { return testing::readFile(p); }

// Replaces the first `from` in a file; fails the test if it is not there.
inline void editFile(const std::filesystem::path& file, const std::string& from, const std::string& to) {
  std::string text = readText(file);
  const auto at = text.find(from);
  ASSERT_NE(at, std::string::npos) << from << " not in " << file;
  text.replace(at, from.size(), to);
  std::ofstream(file) << text;
}

inline const MappingCatalogue& shippedCatalogue() {
  static const MappingCatalogue catalogue = [] {
    auto loaded = loadMappings(shippedMappings());
    if (!loaded.catalogue) {
      for (const auto& p : loaded.problems) ADD_FAILURE() << p.str();
      std::abort();
    }
    return std::move(*loaded.catalogue);
  }();
  return catalogue;
}

inline SourceNode parseXml(const std::string& xml) {
  auto parsed = sourceFromXml(xml);
  if (auto* error = std::get_if<std::string>(&parsed)) {
    ADD_FAILURE() << *error;
    return {};
  }
  return std::get<SourceNode>(std::move(parsed));
}

}  // namespace ketenpoort::testing
