#pragma once

#include <filesystem>
#include <optional>
#include <string>

namespace ketenpoort {

// Reads a secret file; refuses one that others may read (mode must be 0600 or stricter),
// so a key copied about carelessly is noticed at start-up.
std::string readSecretFile(const std::filesystem::path& path);

// Creates a secret file exclusively with mode 0600. False when it already exists.
bool createSecretFile(const std::filesystem::path& path, const std::string& content);

}  // namespace ketenpoort
