#include <fstream>
#include <iostream>
#include <sstream>

#include "gateway/cli/commands.hpp"
#include "gateway/config/config_loader.hpp"
#include "gateway/sqlite_store/log_verifier.hpp"

namespace ketenpoort::cli {

namespace {

constexpr const char* kLogUsage =
    "usage: ketenpoort log verify --db FILE [--public-key FILE] [--witness FILE]\n"
    "       ketenpoort log head --config FILE\n"
    "  verify: --public-key defaults to log-signing.key.pub beside the database; keep a\n"
    "  copy elsewhere and pass it, so the check does not trust the same disk. --witness\n"
    "  is a head printed by `log head` earlier and kept elsewhere: the log must still\n"
    "  contain it and not end before it.\n"
    "  head: prints the log's current signed head as JSON, for the FG or another system to\n"
    "  keep as a witness.\n";

std::optional<std::string> readWhole(const std::filesystem::path& file) {
  std::ifstream in(file);
  if (!in) return std::nullopt;
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

int verify(const Args& rest) {
  const auto db = flagValue(rest, "--db");
  if (!unknownFlags(rest, {"--db", "--public-key", "--witness"}, {}).empty() || !db) {
    std::cerr << kLogUsage;
    return 2;
  }
  const std::filesystem::path key_file =
      flagValue(rest, "--public-key")
          .value_or((std::filesystem::path(*db).parent_path() / "log-signing.key.pub").string());
  const auto pem = readWhole(key_file);
  if (!pem) {
    std::cerr << "cannot read the log's public key " << key_file << "\n";
    return 2;
  }
  std::optional<SignedHead> witness;
  if (const auto witness_file = flagValue(rest, "--witness")) {
    const auto text = readWhole(*witness_file);
    if (text) witness = parseSignedHeadJson(*text);
    if (!witness) {
      std::cerr << "cannot read a signed head from " << *witness_file << "\n";
      return 2;
    }
  }
  const LogVerification v = verifyExchangeLog(*db, *pem, witness);
  if (v.intact) {
    std::cout << *db << ": intact, " << v.records_checked << " records, "
              << v.checkpoints_checked << " signed checkpoints and the signed head checked";
    if (witness) std::cout << "; contains and extends the witnessed head at record " << witness->sequence;
    std::cout << "\n";
    return 0;
  }
  std::cout << *db << ": NOT INTACT after " << v.records_checked << " good records";
  if (v.first_bad_sequence) std::cout << "; first bad sequence number " << *v.first_bad_sequence;
  std::cout << ": " << v.problem << "\n";
  return 1;
}

int head(const Args& rest) {
  const auto config_file = flagValue(rest, "--config");
  if (!unknownFlags(rest, {"--config"}, {}).empty() || !config_file) {
    std::cerr << kLogUsage;
    return 2;
  }
  const auto loaded = loadConfigOrReport(*config_file);
  if (!loaded) return 1;
  try {
    const auto signed_head = readSignedHead(loaded->storage_path);
    if (!signed_head) {
      std::cerr << loaded->storage_path << ": the log has no signed head yet (no records)\n";
      return 1;
    }
    std::cout << signedHeadJson(*signed_head) << "\n";
    return 0;
  } catch (const std::exception& e) {
    std::cerr << e.what() << "\n";
    return 1;
  }
}

}  // namespace

// ketenpoort log verify|head …
int logCommand(const Args& args) {
  const Args rest(args.empty() ? args.begin() : args.begin() + 1, args.end());
  if (!args.empty() && args[0] == "verify") return verify(rest);
  if (!args.empty() && args[0] == "head") return head(rest);
  std::cerr << kLogUsage;
  return 2;
}

}  // namespace ketenpoort::cli
