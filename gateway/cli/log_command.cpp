#include <fstream>
#include <map>
#include <iostream>
#include <sstream>

#include "gateway/cli/commands.hpp"
#include "gateway/config/config_loader.hpp"
#include "gateway/pg_store/pg_log_verifier.hpp"
#include "gateway/sqlite_store/log_verifier.hpp"

namespace ketenpoort::cli {

namespace {

constexpr const char* kLogUsage =
    "usage: ketenpoort log verify --db FILE [--public-key FILE] [--witness FILE]\n"
    "       ketenpoort log verify --config FILE [--keys DIR] [--witness FILE]...\n"
    "       ketenpoort log head --config FILE\n"
    "  verify: --public-key defaults to log-signing.key.pub beside the database; keep a\n"
    "  copy elsewhere and pass it, so the check does not trust the same disk. --witness\n"
    "  is a head printed by `log head` earlier and kept elsewhere: the log must still\n"
    "  contain it and not end before it.\n"
    "  With --config naming a PostgreSQL store, every node's chain is verified; --keys is a\n"
    "  directory of NODE-ID.pub files kept apart from the database (without it, the keys\n"
    "  the database registers are used, and the report says so); each --witness names its\n"
    "  node.\n"
    "  head: prints the log's current signed head as JSON, for the FG or another system to\n"
    "  keep as a witness.\n";

std::optional<std::string> readWhole(const std::filesystem::path& file) {
  std::ifstream in(file);
  if (!in) return std::nullopt;
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

std::vector<std::string> flagValues(const Args& args, const std::string& flag) {
  std::vector<std::string> values;
  for (std::size_t i = 0; i + 1 < args.size(); ++i) {
    if (args[i] == flag) values.push_back(args[i + 1]);
  }
  return values;
}

// Every node's chain of a PostgreSQL store.
int verifyNodes(const GatewayConfig& config, const Args& rest) {
  std::map<std::string, std::string> keys;
  if (const auto dir = flagValue(rest, "--keys")) {
    std::error_code ec;
    for (const auto& file : std::filesystem::directory_iterator(*dir, ec)) {
      if (file.path().extension() != ".pub") continue;
      if (const auto pem = readWhole(file.path())) keys[file.path().stem().string()] = *pem;
    }
    if (ec) {
      std::cerr << "cannot read the key directory " << *dir << "\n";
      return 2;
    }
  }
  std::vector<WitnessedHead> witnesses;
  for (const auto& file : flagValues(rest, "--witness")) {
    const auto text = readWhole(file);
    auto witness = text ? parseWitnessedHeadJson(*text) : std::nullopt;
    if (!witness || witness->node.empty()) {
      std::cerr << "cannot read a node's signed head from " << file << "\n";
      return 2;
    }
    witnesses.push_back(std::move(*witness));
  }
  const PgLogVerification v = verifyPgLog(config.storage_dsn, keys, witnesses);
  if (!v.problem.empty()) {
    std::cout << "the log: NOT INTACT: " << v.problem << "\n";
    return 1;
  }
  for (const auto& node : v.nodes) {
    const LogVerification& n = node.verification;
    std::cout << "node " << node.node_id << ": ";
    if (n.intact) {
      std::cout << "intact, " << n.records_checked << " records, " << n.checkpoints_checked
                << " signed checkpoints and the signed head checked";
    } else {
      std::cout << "NOT INTACT after " << n.records_checked << " good records";
      if (n.first_bad_sequence) std::cout << "; first bad sequence number " << *n.first_bad_sequence;
      std::cout << ": " << n.problem;
    }
    if (node.key_from_database) std::cout << " (with the key the database registers for it)";
    std::cout << "\n";
  }
  std::cout << (v.intact ? "the log: intact, " : "the log: NOT INTACT, ") << v.nodes.size() << " node chain(s)\n";
  return v.intact ? 0 : 1;
}

int verify(const Args& rest) {
  auto db = flagValue(rest, "--db");
  const auto config_file = flagValue(rest, "--config");
  if (!unknownFlags(rest, {"--db", "--config", "--public-key", "--witness", "--keys"}, {}).empty() ||
      (!db && !config_file) || (db && config_file)) {
    std::cerr << kLogUsage;
    return 2;
  }
  std::optional<std::string> default_key;
  if (config_file) {
    const auto config = loadConfigOrReport(*config_file);
    if (!config) return 1;
    if (config->storage_backend == StorageBackend::kPostgresql) return verifyNodes(*config, rest);
    db = config->storage_path.string();
    default_key = (config->keyDirectory() / "log-signing.key.pub").string();
  }
  const std::filesystem::path key_file =
      flagValue(rest, "--public-key")
          .value_or(default_key.value_or((std::filesystem::path(*db).parent_path() / "log-signing.key.pub").string()));
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
    if (loaded->storage_backend == StorageBackend::kPostgresql) {
      const auto heads = readPgSignedHeads(loaded->storage_dsn);
      if (heads.empty()) {
        std::cerr << "the log has no signed head yet (no records)\n";
        return 1;
      }
      for (const auto& [node, signed_head] : heads) std::cout << signedHeadJson(signed_head, node) << "\n";
      return 0;
    }
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
