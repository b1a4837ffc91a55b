#include <fstream>
#include <iostream>
#include <map>
#include <sstream>

#include <boost/json/serialize.hpp>
#include "gateway/cli/commands.hpp"

#include "gateway/audit/ldv_export.hpp"
#include "gateway/calendar/civil_date.hpp"
#include "gateway/config/config_loader.hpp"
#include "gateway/gateway_store/gateway_store.hpp"
#include "gateway/mapping/mapping_loader.hpp"
#include "gateway/pg_store/pg_log_verifier.hpp"
#include "gateway/sqlite_store/log_verifier.hpp"

namespace ketenpoort::cli {

namespace {

constexpr const char* kLogUsage =
    "usage: ketenpoort log verify --db FILE [--public-key FILE] [--witness FILE]\n"
    "       ketenpoort log verify --config FILE [--keys DIR] [--witness FILE]...\n"
    "       ketenpoort log head --config FILE\n"
    "       ketenpoort log purge --config FILE [--as-of YYYY-MM-DD [--allow-future]]\n"
    "       ketenpoort log export --config FILE --format ldv [--from YYYY-MM-DD] [--to YYYY-MM-DD]\n"
    "       ketenpoort log activities --config FILE [--format table|json]\n"
    "       ketenpoort log keys --config FILE\n"
    "  verify: --public-key defaults to log-signing.key.pub beside the database; keep a\n"
    "  copy elsewhere and pass it, so the check does not trust the same disk. --witness\n"
    "  is a head printed by `log head` earlier and kept elsewhere: the log must still\n"
    "  contain it and not end before it.\n"
    "  With --config naming a PostgreSQL store, every node's chain is verified; --keys is a\n"
    "  directory of NODE-ID.pub files kept apart from the database (without it, the keys\n"
    "  the database registers are used, and the report says so); each --witness names its\n"
    "  node.\n"
    "  head: prints the log's current signed head as JSON, for the FG or another system to\n"
    "  keep as a witness.\n"
    "  purge: removes the records whose retention ended before --as-of (default: today,\n"
    "  UTC), never the last one, with signed purge records so that `log verify` still\n"
    "  proves everything that remains, and destroys the pseudonym keys of the years\n"
    "  before --as-of's; then verifies the log. An --as-of after today would destroy\n"
    "  the keys of years still in use: refused unless --allow-future is given (tests,\n"
    "  demonstrations). Safe to run while the\n"
    "  gateway serves, and to run again after an interruption. On PostgreSQL it purges\n"
    "  the chain of the node the config names.\n"
    "  export: the log as JSON lines in the shape of the Logboek Dataverwerkingen, one\n"
    "  line per data subject per exchange (docs/ldv.md); a person only by the keyed\n"
    "  reference. Dates are inclusive (UTC).\n"
    "  activities: the register of processing activities: each flow's purpose with its\n"
    "  stable id, legal basis, categories of data, retention and recipients.\n"
    "  keys: the pseudonym key of every year (the year a record's retention ends): when\n"
    "  it was made and, once its year is over and a purge ran, when it was destroyed.\n";

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
                << (n.head ? " signed checkpoints and the signed head checked" : " signed checkpoints, no signed head");
      if (n.purges_checked > 0) {
        std::cout << "; " << n.records_purged << " records removed under " << n.purges_checked
                  << " signed purge record(s)";
      }
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
    // Only a check that was made is claimed: an empty log of a store that never held a
    // record has no head to check.
    std::cout << *db << ": intact, " << v.records_checked << " records, " << v.checkpoints_checked
              << (v.head ? " signed checkpoints and the signed head checked"
                         : " signed checkpoints; no signed head (the log never held a record)");
    if (v.purges_checked > 0) {
      std::cout << "; " << v.records_purged << " records removed under " << v.purges_checked
                << " signed purge record(s)";
    }
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

int purge(const Args& rest) {
  const auto config_file = flagValue(rest, "--config");
  const auto as_of_text = flagValue(rest, "--as-of");
  if (!unknownFlags(rest, {"--config", "--as-of"}, {"--allow-future"}).empty() || !config_file) {
    std::cerr << kLogUsage;
    return 2;
  }
  const auto as_of = as_of_text ? parseIsoDate(*as_of_text) : std::optional<CivilDate>(todayUtc());
  if (!as_of) {
    std::cerr << "--as-of is not a date (YYYY-MM-DD)\n";
    return 2;
  }
  // A purge as of a future day destroys the pseudonym keys of years whose records are still
  // being written and kept (issue 25): only on purpose.
  if (*as_of > todayUtc() && !hasFlag(rest, "--allow-future")) {
    std::cerr << "--as-of " << formatIsoDate(*as_of)
              << " is after today: it would destroy the pseudonym keys of years still in use; "
                 "give --allow-future to do so anyway (tests, demonstrations)\n";
    return 2;
  }
  const auto config = loadConfigOrReport(*config_file);
  if (!config) return 1;
  try {
    GatewayStore store(*config);
    PurgeBatchRequest request;
    request.as_of = formatIsoDate(*as_of);
    const PurgeBatchResult purged = store.purgeExpired(request);
    std::cout << "purged " << purged.removed << " record(s) whose retention ended before " << request.as_of;
    if (!purged.ok) {
      std::cout << "; stopped after record " << purged.next_after << ": " << purged.error << "\n";
      return 1;
    }
    std::cout << "\n";
    const RegistryHistoryRemoved& history = purged.registry_history_removed;
    if (history.koppelingen + history.consents > 0) {
      std::cout << "removed " << history.koppelingen << " koppeling(en) and " << history.consents
                << " consent(s) that ended more than " << kRegistryHistoryRetentionText << " ago\n";
    }
    for (int period : purged.pseudonym_keys_destroyed) {
      std::cout << "destroyed the pseudonym key of " << period
                << ": what is left of that year's records links to no one\n";
    }
    const StoreLogCheck check = store.verifyLog();
    for (const auto& chain : check.chains) {
      const LogVerification& v = chain.verification;
      std::cout << (chain.node.empty() ? "the log" : "node " + chain.node) << ": "
                << (v.intact ? "intact, " : "NOT INTACT, ") << v.records_checked << " records kept, "
                << v.records_purged << " removed under " << v.purges_checked << " signed purge record(s)";
      if (!v.intact) std::cout << ": " << v.problem;
      std::cout << "\n";
    }
    if (!check.problem.empty()) std::cout << "the log: " << check.problem << "\n";
    return check.intact ? 0 : 1;
  } catch (const std::exception& e) {
    std::cerr << e.what() << "\n";
    return 1;
  }
}

int keys(const Args& rest) {
  const auto config_file = flagValue(rest, "--config");
  if (!unknownFlags(rest, {"--config"}, {}).empty() || !config_file) {
    std::cerr << kLogUsage;
    return 2;
  }
  const auto config = loadConfigOrReport(*config_file);
  if (!config) return 1;
  try {
    GatewayStore store(*config);
    std::cout << "year  made                      destroyed\n";
    for (const auto& p : store.pseudonymKeys().periods()) {
      std::cout << p.period << "  " << p.created_utc << "  " << (p.destroyed_utc.empty() ? "live" : p.destroyed_utc)
                << "\n";
    }
    return 0;
  } catch (const std::exception& e) {
    std::cerr << e.what() << "\n";
    return 1;
  }
}

std::optional<MappingCatalogue> catalogueOf(const GatewayConfig& config) {
  try {
    return loadCatalogue(config.mappings_dir);
  } catch (const std::exception& e) {
    std::cerr << e.what() << "\n";
    return std::nullopt;
  }
}

int exportLdv(const Args& rest) {
  const auto config_file = flagValue(rest, "--config");
  const auto format = flagValue(rest, "--format");
  const auto from = flagValue(rest, "--from");
  const auto to = flagValue(rest, "--to");
  if (!unknownFlags(rest, {"--config", "--format", "--from", "--to"}, {}).empty() || !config_file || !format) {
    std::cerr << kLogUsage;
    return 2;
  }
  if (*format != "ldv") {
    std::cerr << "--format: only ldv\n";
    return 2;
  }
  if ((from && !parseIsoDate(*from)) || (to && !parseIsoDate(*to))) {
    std::cerr << "--from and --to are dates (YYYY-MM-DD)\n";
    return 2;
  }
  const auto config = loadConfigOrReport(*config_file);
  if (!config) return 1;
  const auto catalogue = catalogueOf(*config);
  if (!catalogue) return 1;
  try {
    const auto activities = processingActivities(*catalogue);
    GatewayStore store(*config);
    ExchangeQuery query;
    query.whole_log = true;
    if (from) query.from_date = *from;
    if (to) query.to_date = *to;
    query.limit = 10'000;
    std::uint64_t written = 0;
    for (;;) {
      const auto page = store.log().findExchanges(query);
      for (const auto& exchange : page) {
        if (const auto record = ldvRecord(exchange, activities)) {
          std::cout << boost::json::serialize(*record) << "\n";
          ++written;
        }
      }
      if (page.size() < query.limit) break;
      query.after_sequence = page.back().sequence;
    }
    std::cerr << written << " LDV record(s)\n";
    return std::cout ? 0 : 1;
  } catch (const std::exception& e) {
    std::cerr << e.what() << "\n";
    return 1;
  }
}

int activities(const Args& rest) {
  const auto config_file = flagValue(rest, "--config");
  const std::string format = flagValue(rest, "--format").value_or("table");
  if (!unknownFlags(rest, {"--config", "--format"}, {}).empty() || !config_file ||
      (format != "table" && format != "json")) {
    std::cerr << kLogUsage;
    return 2;
  }
  const auto config = loadConfigOrReport(*config_file);
  if (!config) return 1;
  const auto catalogue = catalogueOf(*config);
  if (!catalogue) return 1;
  const auto register_ = processingActivities(*catalogue);
  if (format == "json") {
    boost::json::array all;
    for (const auto& a : register_) all.emplace_back(activityJson(a));
    std::cout << boost::json::serialize(all) << "\n";
    return 0;
  }
  const auto join = [](const std::vector<std::string>& values) {
    std::string out;
    for (const auto& v : values) out += (out.empty() ? "" : ", ") + v;
    return out.empty() ? std::string("-") : out;
  };
  for (const auto& a : register_) {
    std::cout << a.id << "  " << a.flow << "\n"
              << "  purpose     " << a.purpose << (a.purpose_description.empty() ? "" : ": " + a.purpose_description)
              << "\n  basis       " << a.legal_basis << "\n  categories  " << join(a.categories) << "\n  retention   "
              << (a.retention.empty() ? std::string("-") : a.retention) << "\n  from        " << join(a.senders)
              << "\n  to          " << join(a.recipients) << "\n\n";
  }
  return 0;
}

}  // namespace

// ketenpoort log verify|head|purge|export|activities|keys …
int logCommand(const Args& args) {
  const Args rest(args.empty() ? args.begin() : args.begin() + 1, args.end());
  if (!args.empty() && args[0] == "verify") return verify(rest);
  if (!args.empty() && args[0] == "head") return head(rest);
  if (!args.empty() && args[0] == "purge") return purge(rest);
  if (!args.empty() && args[0] == "export") return exportLdv(rest);
  if (!args.empty() && args[0] == "activities") return activities(rest);
  if (!args.empty() && args[0] == "keys") return keys(rest);
  std::cerr << kLogUsage;
  return 2;
}

}  // namespace ketenpoort::cli
