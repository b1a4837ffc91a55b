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

constexpr std::string_view kLogUsage =
    "usage: ketenpoort log verify --db FILE [--public-key FILE] [--witness FILE]\n"
    "       ketenpoort log verify --config FILE [--keys DIR] [--witness FILE]...\n"
    "       ketenpoort log head --config FILE\n"
    "       ketenpoort log purge --config FILE [--as-of YYYY-MM-DD [--allow-future]]\n"
    "       ketenpoort log export --config FILE --format ldv [--from YYYY-MM-DD] [--to YYYY-MM-DD]\n"
    "       ketenpoort log activities --config FILE [--format table|json]\n"
    "       ketenpoort log keys --config FILE\n"
    "what each does: man ketenpoort (docs/man/ketenpoort.8)\n";

std::optional<std::string> readWhole(const std::filesystem::path& file) {
  std::ifstream in(file);
  if (!in) return std::nullopt;
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

void printPurges(const LogVerification& v) {
  if (v.purges_checked > 0) {
    std::cout << "; " << v.records_purged << " records removed under " << v.purges_checked << " signed purge record(s)";
  }
}

void printNotIntact(const LogVerification& v) {
  std::cout << "NOT INTACT after " << v.records_checked << " good records";
  if (v.first_bad_sequence) std::cout << "; first bad sequence number " << *v.first_bad_sequence;
  std::cout << ": " << v.problem;
}

// Every node's chain of a PostgreSQL store.
int verifyNodes(const GatewayConfig& config, const Flags& flags) {
  std::map<std::string, std::string> keys;
  if (const auto dir = flags.value("--keys")) {
    std::error_code ec;
    for (const auto& file : std::filesystem::directory_iterator(*dir, ec)) {
      if (file.path().extension() != ".pub") continue;
      if (const auto pem = readWhole(file.path())) keys[file.path().stem().string()] = *pem;
    }
    if (ec) throw UsageError("cannot read the key directory " + *dir);
  }
  std::vector<WitnessedHead> witnesses;
  for (const auto& file : flags.values("--witness")) {
    const auto text = readWhole(file);
    auto witness = text ? parseWitnessedHeadJson(*text) : std::nullopt;
    if (!witness || witness->node.empty()) throw UsageError("cannot read a node's signed head from " + file);
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
      printPurges(n);
    } else {
      printNotIntact(n);
    }
    if (node.key_from_database) std::cout << " (with the key the database registers for it)";
    std::cout << "\n";
  }
  std::cout << (v.intact ? "the log: intact, " : "the log: NOT INTACT, ") << v.nodes.size() << " node chain(s)\n";
  return v.intact ? 0 : 1;
}

int verify(const Args& args) {
  const Flags flags(args, {"--db", "--config", "--public-key", "--witness", "--keys"});
  auto db = flags.value("--db");
  if (db.has_value() == flags.has("--config")) throw UsageError("give either --db or --config");
  std::optional<std::string> default_key;
  if (!db) {
    const GatewayConfig config = flags.config();
    if (config.storage_backend == StorageBackend::kPostgresql) return verifyNodes(config, flags);
    db = config.storage_path.string();
    default_key = (config.keyDirectory() / "log-signing.key.pub").string();
  }
  const std::filesystem::path key_file =
      flags.value("--public-key")
          .value_or(default_key.value_or((std::filesystem::path(*db).parent_path() / "log-signing.key.pub").string()));
  const auto pem = readWhole(key_file);
  if (!pem) throw UsageError("cannot read the log's public key " + key_file.string());
  std::optional<SignedHead> witness;
  if (const auto witness_file = flags.value("--witness")) {
    const auto text = readWhole(*witness_file);
    if (text) witness = parseSignedHeadJson(*text);
    if (!witness) throw UsageError("cannot read a signed head from " + *witness_file);
  }
  const LogVerification v = verifyExchangeLog(*db, *pem, witness);
  std::cout << *db << ": ";
  if (!v.intact) {
    printNotIntact(v);
    std::cout << "\n";
    return 1;
  }
  // Only a check that was made is claimed: an empty log of a store that never held a
  // record has no head to check.
  std::cout << "intact, " << v.records_checked << " records, " << v.checkpoints_checked
            << (v.head ? " signed checkpoints and the signed head checked"
                       : " signed checkpoints; no signed head (the log never held a record)");
  printPurges(v);
  if (witness) std::cout << "; contains and extends the witnessed head at record " << witness->sequence;
  std::cout << "\n";
  return 0;
}

int head(const Args& args) {
  const GatewayConfig config = Flags(args, {"--config"}).config();
  if (config.storage_backend == StorageBackend::kPostgresql) {
    const auto heads = readPgSignedHeads(config.storage_dsn);
    if (heads.empty()) throw std::runtime_error("the log has no signed head yet (no records)");
    for (const auto& [node, signed_head] : heads) std::cout << signedHeadJson(signed_head, node) << "\n";
    return 0;
  }
  const auto signed_head = readSignedHead(config.storage_path);
  if (!signed_head)
    throw std::runtime_error(config.storage_path.string() + ": the log has no signed head yet (no records)");
  std::cout << signedHeadJson(*signed_head) << "\n";
  return 0;
}

int purge(const Args& args) {
  const Flags flags(args, {"--config", "--as-of"}, {"--allow-future"});
  const CivilDate as_of = flags.date("--as-of").value_or(todayUtc());
  // A purge as of a future day destroys the pseudonym keys of years whose records are still
  // being written and kept (issue 25): only on purpose.
  if (as_of > todayUtc() && !flags.has("--allow-future")) {
    throw UsageError("--as-of " + formatIsoDate(as_of) +
                     " is after today: it would destroy the pseudonym keys of years still in use; "
                     "give --allow-future to do so anyway (tests, demonstrations)");
  }
  GatewayStore store(flags.config());
  PurgeBatchRequest request;
  request.as_of = formatIsoDate(as_of);
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
              << (v.intact ? "intact, " : "NOT INTACT, ") << v.records_checked << " records kept, " << v.records_purged
              << " removed under " << v.purges_checked << " signed purge record(s)";
    if (!v.intact) std::cout << ": " << v.problem;
    std::cout << "\n";
  }
  if (!check.problem.empty()) std::cout << "the log: " << check.problem << "\n";
  return check.intact ? 0 : 1;
}

int keys(const Args& args) {
  GatewayStore store(Flags(args, {"--config"}).config());
  std::cout << "year  made                      destroyed\n";
  for (const auto& p : store.pseudonymKeys().periods()) {
    std::cout << p.period << "  " << p.created_utc << "  " << (p.destroyed_utc.empty() ? "live" : p.destroyed_utc)
              << "\n";
  }
  return 0;
}

int exportLdv(const Args& args) {
  const Flags flags(args, {"--config", "--format", "--from", "--to"});
  flags.required("--format");
  flags.choice("--format", {"ldv"});
  const GatewayConfig config = flags.config();
  const auto activities = processingActivities(loadCatalogue(config.mappings_dir));
  GatewayStore store(config);
  ExchangeQuery query;
  query.whole_log = true;
  if (const auto from = flags.date("--from")) query.from_date = formatIsoDate(*from);
  if (const auto to = flags.date("--to")) query.to_date = formatIsoDate(*to);
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
}

int activities(const Args& args) {
  const Flags flags(args, {"--config", "--format"});
  const std::string format = flags.choice("--format", {"table", "json"});
  const auto register_ = processingActivities(loadCatalogue(flags.config().mappings_dir));
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
  return runSubcommand("log", kLogUsage, args,
                       {{"verify", verify},
                        {"head", head},
                        {"purge", purge},
                        {"export", exportLdv},
                        {"activities", activities},
                        {"keys", keys}});
}

}  // namespace ketenpoort::cli
