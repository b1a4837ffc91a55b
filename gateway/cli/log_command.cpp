#include <fstream>
#include <iostream>
#include <sstream>

#include "gateway/cli/commands.hpp"
#include "gateway/sqlite_store/log_verifier.hpp"

namespace ketenpoort::cli {

// ketenpoort log verify --db FILE [--public-key FILE]
int logCommand(const Args& args) {
  const Args rest(args.empty() ? args.begin() : args.begin() + 1, args.end());
  const auto unknown = unknownFlags(rest, {"--db", "--public-key"}, {});
  const auto db = flagValue(rest, "--db");
  if (args.empty() || args[0] != "verify" || !unknown.empty() || !db) {
    std::cerr << "usage: ketenpoort log verify --db FILE [--public-key FILE]\n"
                 "  --public-key defaults to log-signing.key.pub beside the database; keep a\n"
                 "  copy elsewhere and pass it, so the check does not trust the same disk.\n";
    return 2;
  }
  const std::filesystem::path key_file =
      flagValue(rest, "--public-key")
          .value_or((std::filesystem::path(*db).parent_path() / "log-signing.key.pub").string());
  std::ifstream in(key_file);
  if (!in) {
    std::cerr << "cannot read the log's public key " << key_file << "\n";
    return 2;
  }
  std::stringstream pem;
  pem << in.rdbuf();
  const LogVerification v = verifyExchangeLog(*db, pem.str());
  if (v.intact) {
    std::cout << *db << ": intact, " << v.records_checked << " records and "
              << v.checkpoints_checked << " signed checkpoints checked\n";
    return 0;
  }
  std::cout << *db << ": NOT INTACT after " << v.records_checked << " good records";
  if (v.first_bad_sequence) std::cout << "; first bad sequence number " << *v.first_bad_sequence;
  std::cout << ": " << v.problem << "\n";
  return 1;
}

}  // namespace ketenpoort::cli
