#include "gateway/store/group_commit_log.hpp"

#include <algorithm>

#include "gateway/calendar/civil_date.hpp"
#include "gateway/diagnostics/diagnostic_log.hpp"
#include "gateway/store/exchange_reads.hpp"
#include "gateway/store/registry_tables.hpp"

namespace ketenpoort {

// One group commit: what the writer took from the queue and what became of it.
struct GroupCommitLog::Group {
  std::vector<Pending> batch;
  bool checkpoint_due = false;
  bool sync = true;
  // Outcome (reset before each attempt):
  ChainTail tail;
  std::vector<std::uint64_t> sequences;  // per record written, in batch order
  std::vector<AppendResult> refused;     // per batch item: why its change or write was refused
  RegistryChanges registry;              // this group's own changes
  std::uint64_t registry_version = 0;    // the database's, at the end of the transaction
  bool redo = false;                     // an item refused without savepoints: write again with them
  bool commit_sent = false;              // past this, a lost connection leaves the outcome unknown
};

GroupCommitLog::GroupCommitLog(GroupCommitOptions options, LogSigner signer, std::string chain, const TimeSource& clock)
    : options_(options), signer_(std::move(signer)), chain_(std::move(chain)), clock_(clock) {}

GroupCommitLog::~GroupCommitLog() {
  // The subclass stopped the writer; this only guards against one that did not.
  if (thread_.joinable()) {
    queue_.close();
    thread_.join();
  }
}

void GroupCommitLog::startWriter(const ChainTail& tail, std::uint64_t checkpointed_sequence) {
  tail_ = tail;
  checkpointed_sequence_ = checkpointed_sequence;
  last_checkpoint_time_ = clock_.monotonicNow();
  committed_sequence_ = tail.sequence;
  thread_ = std::thread([this] { run(); });
}

void GroupCommitLog::stopWriter() {
  if (!thread_.joinable()) return;
  queue_.close();
  thread_.join();
}

void GroupCommitLog::useReaders(std::unique_ptr<sql::Session> push_reads, std::unique_ptr<sql::Session> audit_reads,
                                std::string order) {
  push_reads_ = std::move(push_reads);
  audit_reads_ = std::move(audit_reads);
  order_ = std::move(order);
}

std::vector<LoggedExchange> GroupCommitLog::findExchanges(const ExchangeQuery& query) const {
  const std::vector<std::string> subject_refs =
      query.subject_ref ? referencesOf(*query.subject_ref) : std::vector<std::string>{};
  std::lock_guard lock(audit_reads_mutex_);
  try {
    return exchange_reads::find(*audit_reads_, order_, query, subject_refs);
  } catch (const std::exception& e) {
    throw std::runtime_error(std::string("cannot read the exchange log: ") + e.what());
  }
}

std::optional<LoggedExchange> GroupCommitLog::findTransaction(const std::string& transaction_id) const {
  std::lock_guard lock(push_reads_mutex_);
  try {
    return exchange_reads::firstOfTransaction(*push_reads_, order_, transaction_id);
  } catch (const std::exception& e) {
    throw std::runtime_error(std::string("cannot read the exchange log: ") + e.what());
  }
}

void GroupCommitLog::append(ExchangeRecord record, StoreChange change, Callback done) {
  if (!fileUnderPeriod(record, done, clock_)) return;
  enqueue({columnTexts(record), std::move(done), std::move(change), {}});
}

void GroupCommitLog::write(DatabaseWrite write, Callback done, Sync sync) {
  enqueue({{}, std::move(done), {}, std::move(write), sync});
}

void GroupCommitLog::enqueue(Pending pending) {
  if (queue_.push(pending)) return;
  // Refusing at once is fail-closed too: an exchange that cannot be logged does not happen.
  pending.done(AppendResult::failed("exchange log queue is full"));
}

PurgeBatchResult GroupCommitLog::purgeThroughWriter(const PurgeBatchRequest& request,
                                                    std::function<std::unique_ptr<PurgeTarget>(sql::Session&)> target) {
  auto result = std::make_shared<PurgeBatchResult>();
  // On the writer's thread inside its transaction; throwing refuses this write only. A
  // group written again (another item refused) plans the window again.
  auto purge = [this, result, request, target = std::move(target)](sql::Session& session) {
    const std::unique_ptr<PurgeTarget> window = target(session);
    *result = purgeOneWindow(*window, request, signer_, clock_.nowRfc3339());
  };
  return awaitPurgeWrite([this, &purge](Callback done) { write(std::move(purge), std::move(done)); }, result,
                         request.after_sequence);
}

// NOLINTNEXTLINE(readability-function-size,readability-function-cognitive-complexity): older than the gate (issue 26); split it, never grow it
void GroupCommitLog::writeGroup(Group& g, bool per_item_savepoints) {
  sql::Session& session = writerSession();
  g.sequences.clear();
  g.registry.clear();
  g.registry_version = 0;
  g.redo = false;
  g.commit_sent = false;
  g.refused.assign(g.batch.size(), AppendResult{});
  beginGroup(g.sync);
  RegistryChanges item_changes;
  for (std::size_t i = 0; i < g.batch.size(); ++i) {
    Pending& p = g.batch[i];
    if (!p.change && !p.write) continue;
    if (per_item_savepoints) session.execute("SAVEPOINT change");
    item_changes.clear();
    ChangeVerdict verdict;
    std::string error;
    try {
      if (p.write) {
        p.write(session);
      } else {
        const std::unique_ptr<SqlStoreTransaction> transaction = transactionFor(item_changes);
        verdict = p.change(*transaction);
      }
    } catch (const std::exception& e) {
      error = e.what();
    }
    if (verdict || !error.empty()) {
      if (!per_item_savepoints) {
        g.redo = true;
        return;  // the caller rolls back
      }
      session.execute("ROLLBACK TO SAVEPOINT change");
      session.execute("RELEASE SAVEPOINT change");
      g.refused[i] = verdict ? AppendResult::declinedFor(*verdict) : AppendResult::failed(std::move(error));
      continue;
    }
    if (per_item_savepoints) session.execute("RELEASE SAVEPOINT change");
    g.registry.add(item_changes);
  }
  const bool has_records = std::any_of(g.batch.begin(), g.batch.end(), [](const Pending& p) { return !p.write; });
  g.tail = tail_;
  if (has_records || g.checkpoint_due) {
    g.tail = lockChain();
    std::vector<ChainedRecord> records;
    std::vector<std::string> hashes;  // the records' hashes, viewed by `records`
    hashes.reserve(g.batch.size());
    const std::string* previous = &g.tail.hash;
    for (std::size_t i = 0; i < g.batch.size(); ++i) {
      const Pending& p = g.batch[i];
      if (p.write || !g.refused[i].error.empty()) continue;
      ++g.tail.sequence;
      std::array<std::string_view, kHashedColumns.size()> views;
      for (std::size_t c = 0; c < views.size(); ++c) views[c] = p.columns[c];
      hashes.push_back(chainHash(*previous, g.tail.sequence, views));
      records.push_back({g.tail.sequence, &p.columns, *previous, hashes.back()});
      previous = &hashes.back();
      g.sequences.push_back(g.tail.sequence);
    }
    if (!records.empty()) {
      insertRecords(records);
      g.tail.hash = hashes.back();
    }
    if (g.checkpoint_due || !g.sequences.empty()) {
      const std::string now = clock_.nowRfc3339();
      // The newest checkpoint, read once under the chain's lock: another process or node of
      // this chain may have written one (each closes with a final checkpoint), even at this
      // very tail. The head names the digest of whichever is newest after this group.
      const std::optional<ChainCheckpoint> last = chain_tables::lastCheckpoint(session, chain_);
      std::string digest = last ? checkpointDigest(last->message(), last->signature) : std::string(32, '\0');
      if (g.checkpoint_due && g.tail.sequence > 0 && (!last || last->sequence < g.tail.sequence)) {
        ChainCheckpoint checkpoint{g.tail.sequence, g.tail.hash, now, digest, {}};
        checkpoint.signature = signer_.sign(checkpoint.message());
        chain_tables::insertCheckpoint(session, chain_, checkpoint);
        digest = checkpointDigest(checkpoint.message(), checkpoint.signature);
      }
      SignedHead head{g.tail.sequence, g.tail.hash, now, digest, {}};
      head.signature = signer_.sign(headMessage(head));
      chain_tables::writeHead(session, chain_, head);
    }
  }
  if (g.registry.raises == 0) {
    g.registry_version = registry_tables::version(session);
  } else {
    g.registry_version = g.registry.version;
    registriesChanged();
  }
  g.commit_sent = true;
  session.execute("COMMIT");
}

void GroupCommitLog::run() {
  writerStarted();
  Group g;
  for (;;) {
    g.batch.clear();
    // A timeout with nothing queued still comes here: a checkpoint may be due.
    const bool stopping = !queue_.popBatch(g.batch, options_.max_batch, options_.checkpoint_every);
    const auto now = clock_.monotonicNow();
    const auto records = static_cast<std::uint64_t>(
        std::count_if(g.batch.begin(), g.batch.end(), [](const Pending& p) { return !p.write; }));
    g.checkpoint_due = tail_.sequence + records > checkpointed_sequence_ &&
                       (tail_.sequence + records - checkpointed_sequence_ >= options_.checkpoint_every_records ||
                        now - last_checkpoint_time_ >= options_.checkpoint_every || stopping);
    // A group of deferred bookkeeping only commits without a sync; the next group with a
    // record or a durable write syncs it (both databases sync their logs in order).
    g.sync = g.checkpoint_due || std::any_of(g.batch.begin(), g.batch.end(),
                                             [](const Pending& p) { return !p.write || p.sync == Sync::kDurable; });
    std::string error;
    if (!g.batch.empty() || g.checkpoint_due) {
      bool per_item_savepoints = false;
      for (int attempt = 0;; ++attempt) {
        error.clear();
        try {
          writeGroup(g, per_item_savepoints);
          if (!g.redo) break;
          writerSession().execute("ROLLBACK");
          per_item_savepoints = true;
          continue;
        } catch (const std::exception& e) {
          error = e.what();
          try {
            writerSession().execute("ROLLBACK");
          } catch (const std::exception&) {  // rolled back already, or the connection is gone
          }
          if (writeAgain(e, attempt, g.commit_sent)) continue;
        }
        break;
      }
      groupEnded();
    }
    if (error.empty()) {
      tail_ = g.tail;
      if (g.checkpoint_due) {
        checkpointed_sequence_ = tail_.sequence;
        last_checkpoint_time_ = now;
      }
    }
    reportGroup(g, error);
    // The callbacks, and whatever they captured, go now, not when the next group arrives
    // (which may be a checkpoint interval later, after their owners are gone).
    g.batch.clear();
    if (stopping) return;
  }
}

void GroupCommitLog::reportGroup(Group& g, const std::string& error) {
  if (!error.empty()) {
    if (healthy_.exchange(false)) {
      logError("exchange-log-unwritable", {{"error", error}, {"records_refused", g.batch.size()}});
    }
    for (auto& pending : g.batch) pending.done(AppendResult::failed(error));
    return;
  }
  committed_sequence_ = tail_.sequence;
  if (!healthy_.exchange(true)) logInfo("exchange-log-writable", {});
  // The snapshot takes what committed before anyone hears of it (the callbacks below); when
  // another process or node changed the registries in between, it catches up. Without
  // changes of its own, a group only compares versions (readers are not held up by an
  // exclusive lock on every commit).
  const bool snapshot_behind =
      !g.batch.empty() && (g.registry.raises == 0 ? registry_snapshot_.version() != g.registry_version
                                                  : !registry_snapshot_.apply(g.registry_version - g.registry.raises,
                                                                              g.registry_version, g.registry.changes));
  if (snapshot_behind) {
    try {
      registry_tables::catchUp(writerSession(), registry_snapshot_);
    } catch (const std::exception& e) {
      logError("registries-unreadable", {{"error", e.what()}});
    }
  }
  if (g.registry.raises > 0) registriesCommitted(g.registry_version);
  for (std::size_t i = 0, written = 0; i < g.batch.size(); ++i) {
    if (!g.refused[i].error.empty()) {
      g.batch[i].done(g.refused[i]);
    } else if (g.batch[i].write) {
      g.batch[i].done(AppendResult::written(0));
    } else {
      g.batch[i].done(AppendResult::written(g.sequences[written++]));
    }
  }
}

}  // namespace ketenpoort
