#pragma once
// The hash chain's tables (exchange_log, log_checkpoints, log_heads, log_purges,
// log_purged_runs), each statement written once for both stores (issue 26). Every row
// names its chain: a PostgreSQL node's id, or SQLite's one chain ("local").

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "gateway/store/chain_verifier.hpp"
#include "gateway/store/log_purge.hpp"
#include "gateway/store/sql_session.hpp"

namespace ketenpoort {

// The last record of a chain: its sequence and hash (32 zero bytes before the first).
struct ChainTail {
  std::uint64_t sequence = 0;
  std::string hash = std::string(32, '\0');
};

namespace chain_tables {

ChainTail tail(sql::Session& s, std::string_view chain);
// Whether any chain holds a record of this transaction id.
bool logged(sql::Session& s, const std::string& transaction_id);
std::optional<ChainCheckpoint> lastCheckpoint(sql::Session& s, std::string_view chain);
std::uint64_t lastCheckpointSequence(sql::Session& s, std::string_view chain);
// Kept once: another process or node of the chain may have checkpointed this tail already.
void insertCheckpoint(sql::Session& s, std::string_view chain, const ChainCheckpoint& checkpoint);
void writeHead(sql::Session& s, std::string_view chain, const SignedHead& head);
// Every chain's current signed head (chain → head).
std::map<std::string, SignedHead> heads(sql::Session& s);

// What verification needs besides the records: checkpoints, the highest sequence, the
// head and the purges. The caller holds one read transaction around it.
ChainContents contents(sql::Session& s, std::string_view chain);
std::size_t purgeCount(sql::Session& s);

// Reads a chain's records for the verifier, in slices, on a session of its own.
std::unique_ptr<ChainReader> recordReader(std::unique_ptr<sql::Session> session, std::string chain);

// A purge of one chain on the writer's session, inside its transaction.
class PurgeWindow : public PurgeTarget {
 public:
  PurgeWindow(sql::Session& s, std::string chain) : s_(s), chain_(std::move(chain)) {}

  std::uint64_t lastSequence() override;
  std::vector<PurgeCandidate> window(std::uint64_t after, std::uint64_t last) override;
  std::optional<PurgeRecord> lastPurge() override;
  void removeRun(const PurgedRun& run, std::uint64_t purge_id) override;
  void insertPurge(const PurgeRecord& purge) override;

 protected:
  // Before the run's records go: what else names them goes (a store's own claims).
  virtual void forgetRun(const PurgedRun& run) { (void)run; }
  sql::Session& s_;
  std::string chain_;
};

}  // namespace chain_tables
}  // namespace ketenpoort
