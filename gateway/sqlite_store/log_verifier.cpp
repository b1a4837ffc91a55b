#include "gateway/sqlite_store/log_verifier.hpp"

#include <algorithm>
#include <array>
#include <future>
#include <thread>
#include <vector>

#include "gateway/store/log_signer.hpp"
#include "gateway/store/record_codec.hpp"
#include "gateway/sqlite_store/sqlite_statement.hpp"

namespace ketenpoort {

using store_internal::SqliteError;
using store_internal::Statement;

namespace {

struct Checkpoint {
  std::uint64_t sequence;
  std::string hash;
  std::string created;
  std::string signature;
};

// A read-only connection used by one thread only, so without SQLite's per-call locking
// (which cost a fifth of verification time).
class ReadConnection {
 public:
  explicit ReadConnection(const std::filesystem::path& database) {
    if (sqlite3_open_v2(database.c_str(), &db_, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX,
                        nullptr) != SQLITE_OK) {
      error_ = "cannot open " + database.string() + ": " + (db_ ? sqlite3_errmsg(db_) : "");
    }
    // Readers opening together may find the WAL index being set up by another; wait.
    sqlite3_busy_timeout(db_, 10'000);
  }
  ~ReadConnection() { sqlite3_close(db_); }
  sqlite3* get() const { return error_.empty() ? db_ : nullptr; }
  const std::string& error() const { return error_; }

 private:
  sqlite3* db_ = nullptr;
  std::string error_;
};

// The outcome of checking records [first, last] on their own.
struct RangeResult {
  std::uint64_t checked = 0;
  std::uint64_t checkpoints = 0;
  std::optional<std::uint64_t> bad;
  std::string problem;
  std::string read_error;  // the range could not be read: no verdict, not tampering
  std::string first_previous;  // the stored previous hash of the range's first record
  std::string last_hash;       // the recomputed hash of its last record
};

// Checks contiguity, links, hashes, lookup keys and checkpoints inside one range. The
// first record's link to the range before it is checked by the caller.
RangeResult verifyRange(const std::filesystem::path& database, std::uint64_t first,
                        std::uint64_t last, const std::vector<Checkpoint>& checkpoints) {
  RangeResult r;
  const auto fail = [&r](std::uint64_t sequence, std::string problem) {
    r.bad = sequence;
    r.problem = std::move(problem);
    return r;
  };
  ReadConnection connection(database);
  if (!connection.get()) {
    r.read_error = connection.error();
    return r;
  }
  std::string sql = "SELECT seq";
  for (auto column : kHashedColumns) sql += ", " + std::string(column);
  sql += ", previous_hash, record_hash, subject_key FROM exchange_log "
         "WHERE seq BETWEEN ?1 AND ?2 ORDER BY seq";
  constexpr int kPrev = 1 + static_cast<int>(kHashedColumns.size());
  try {
    Statement rows(connection.get(), sql);
    rows.bindInt(1, static_cast<std::int64_t>(first));
    rows.bindInt(2, static_cast<std::int64_t>(last));
    auto next_checkpoint = std::lower_bound(
        checkpoints.begin(), checkpoints.end(), first,
        [](const Checkpoint& c, std::uint64_t s) { return c.sequence < s; });
    std::uint64_t expected = first;
    std::string previous;
    while (rows.step()) {
      const auto sequence = static_cast<std::uint64_t>(rows.integer(0));
      if (sequence != expected) {
        return fail(expected, sequence > expected
                                  ? "record " + std::to_string(expected) + " is missing"
                                  : "record " + std::to_string(sequence) + " is out of order");
      }
      if (sequence == first) {
        previous = std::string(rows.blob(kPrev));
        r.first_previous = previous;
      } else if (rows.blob(kPrev) != previous) {
        return fail(sequence,
                    "record " + std::to_string(sequence) + " does not follow its predecessor");
      }
      std::array<std::string_view, kHashedColumns.size()> columns;
      for (std::size_t c = 0; c < columns.size(); ++c) {
        columns[c] = rows.text(static_cast<int>(c) + 1);
      }
      std::string hash = chainHash(previous, sequence, columns);
      if (rows.blob(kPrev + 1) != hash) {
        return fail(sequence, "record " + std::to_string(sequence) + " was altered");
      }
      // The lookup key is outside the hash; a wrong one would hide the record from an
      // access report, so it must agree with the (hashed) reference.
      if (rows.integer(kPrev + 2) != subjectKey(columns[kSubjectRefColumn])) {
        return fail(sequence, "record " + std::to_string(sequence) +
                                  " has a lookup key that does not match its subject reference");
      }
      for (; next_checkpoint != checkpoints.end() && next_checkpoint->sequence == sequence;
           ++next_checkpoint) {
        if (next_checkpoint->hash != hash) {
          return fail(sequence, "record " + std::to_string(sequence) +
                                    " differs from its signed checkpoint");
        }
        ++r.checkpoints;
      }
      previous = std::move(hash);
      ++expected;
      ++r.checked;
    }
    if (expected <= last) return fail(expected, "record " + std::to_string(expected) + " is missing");
    r.last_hash = previous;
  } catch (const SqliteError& e) {
    r.read_error = std::string("cannot read the log: ") + e.what();
  }
  return r;
}

}  // namespace

LogVerification verifyExchangeLog(const std::filesystem::path& database,
                                  const std::string& public_key_pem,
                                  std::uint64_t min_records_per_range) {
  LogVerification result;
  const auto bad = [&result](std::uint64_t sequence, std::string problem) {
    result.intact = false;
    result.first_bad_sequence = sequence;
    result.problem = std::move(problem);
    return result;
  };
  std::vector<Checkpoint> checkpoints;
  std::uint64_t last_sequence = 0;
  {
    ReadConnection connection(database);
    if (!connection.get()) {
      result.problem = connection.error();
      return result;
    }
    try {
      Statement cp(connection.get(),
                   "SELECT seq, record_hash, created_utc, signature FROM log_checkpoints ORDER BY seq");
      while (cp.step()) {
        checkpoints.push_back({static_cast<std::uint64_t>(cp.integer(0)), std::string(cp.blob(1)),
                               std::string(cp.text(2)), std::string(cp.blob(3))});
      }
      Statement max(connection.get(), "SELECT COALESCE(MAX(seq), 0) FROM exchange_log");
      max.step();
      last_sequence = static_cast<std::uint64_t>(max.integer(0));
    } catch (const SqliteError& e) {
      result.problem = std::string("cannot read the log: ") + e.what();
      return result;
    }
  }
  // Checkpoints first: their signatures must hold before they can vouch for anything.
  for (const auto& c : checkpoints) {
    if (!verifyLogSignature(public_key_pem, checkpointMessage(c.sequence, c.hash, c.created),
                            c.signature)) {
      return bad(c.sequence, "checkpoint at record " + std::to_string(c.sequence) +
                                 " is not signed by the gateway's key");
    }
  }

  // The chain is checked in ranges in parallel, one per core, then stitched together.
  const std::uint64_t parts = std::clamp<std::uint64_t>(
      std::min<std::uint64_t>(std::thread::hardware_concurrency(), 8), 1,
      std::max<std::uint64_t>(1, last_sequence / std::max<std::uint64_t>(1, min_records_per_range)));
  std::vector<std::future<RangeResult>> ranges;
  for (std::uint64_t p = 0; p < parts && last_sequence > 0; ++p) {
    const std::uint64_t first = 1 + last_sequence * p / parts;
    const std::uint64_t last = last_sequence * (p + 1) / parts;
    ranges.push_back(std::async(std::launch::async, verifyRange, database, first, last,
                                std::cref(checkpoints)));
  }
  std::string previous(32, '\0');  // the chain's anchor
  for (auto& future : ranges) {
    RangeResult range = future.get();
    if (!range.read_error.empty()) {
      result.problem = range.read_error;
      return result;
    }
    const std::uint64_t first = result.records_checked + 1;
    if (!range.bad && range.first_previous != previous) {
      range.bad = first;
      range.problem = "record " + std::to_string(first) + " does not follow its predecessor";
    }
    if (range.bad) {
      result.records_checked += range.bad.value_or(first) - first;
      return bad(*range.bad, range.problem);
    }
    result.records_checked += range.checked;
    result.checkpoints_checked += range.checkpoints;
    previous = range.last_hash;
  }
  // A signed checkpoint beyond the last record: the log was cut off.
  if (!checkpoints.empty() && checkpoints.back().sequence > last_sequence) {
    return bad(last_sequence + 1,
               "records from " + std::to_string(last_sequence + 1) +
                   " on are missing: a signed checkpoint vouches for record " +
                   std::to_string(checkpoints.back().sequence));
  }
  result.intact = true;
  return result;
}

}  // namespace ketenpoort
