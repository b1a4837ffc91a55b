#include "gateway/store/log_verifier.hpp"

#include <array>
#include <vector>

#include "gateway/store/log_signer.hpp"
#include "gateway/store/record_codec.hpp"
#include "gateway/store/sqlite_statement.hpp"

namespace ketenpoort {

using store_internal::SqliteError;
using store_internal::Statement;

namespace {

LogVerification bad(LogVerification v, std::uint64_t sequence, std::string problem) {
  v.intact = false;
  v.first_bad_sequence = sequence;
  v.problem = std::move(problem);
  return v;
}

struct Checkpoint {
  std::uint64_t sequence;
  std::string hash;
  std::string created;
  std::string signature;
};

}  // namespace

LogVerification verifyExchangeLog(const std::filesystem::path& database,
                                  const std::string& public_key_pem) {
  LogVerification result;
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(database.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
    result.problem = "cannot open " + database.string() + ": " + (db ? sqlite3_errmsg(db) : "");
    sqlite3_close(db);
    return result;
  }
  try {
    // Checkpoints first: their signatures must hold before they can vouch for anything.
    std::vector<Checkpoint> checkpoints;
    {
      Statement cp(db, "SELECT seq, record_hash, created_utc, signature FROM log_checkpoints ORDER BY seq");
      while (cp.step()) {
        checkpoints.push_back({static_cast<std::uint64_t>(cp.integer(0)), std::string(cp.blob(1)),
                               std::string(cp.text(2)), std::string(cp.blob(3))});
      }
    }
    for (const auto& c : checkpoints) {
      if (!verifyLogSignature(public_key_pem, checkpointMessage(c.sequence, c.hash, c.created),
                              c.signature)) {
        sqlite3_close(db);
        return bad(result, c.sequence,
                   "checkpoint at record " + std::to_string(c.sequence) +
                       " is not signed by the gateway's key");
      }
    }

    std::string sql = "SELECT seq";
    for (auto column : kHashedColumns) sql += ", " + std::string(column);
    sql += ", previous_hash, record_hash FROM exchange_log ORDER BY seq";
    Statement rows(db, sql);
    std::string previous(32, '\0');
    std::uint64_t expected = 1;
    std::size_t next_checkpoint = 0;
    constexpr int kPrev = 1 + static_cast<int>(kHashedColumns.size());
    while (rows.step()) {
      const auto sequence = static_cast<std::uint64_t>(rows.integer(0));
      if (sequence != expected) {
        sqlite3_close(db);
        return bad(result, expected,
                   sequence > expected ? "record " + std::to_string(expected) + " is missing"
                                       : "record " + std::to_string(sequence) + " is out of order");
      }
      if (rows.blob(kPrev) != previous) {
        sqlite3_close(db);
        return bad(result, sequence,
                   "record " + std::to_string(sequence) + " does not follow its predecessor");
      }
      std::array<std::string_view, kHashedColumns.size()> columns;
      for (std::size_t c = 0; c < columns.size(); ++c) {
        columns[c] = rows.text(static_cast<int>(c) + 1);
      }
      const std::string hash = chainHash(previous, sequence, columns);
      if (rows.blob(kPrev + 1) != hash) {
        sqlite3_close(db);
        return bad(result, sequence, "record " + std::to_string(sequence) + " was altered");
      }
      while (next_checkpoint < checkpoints.size() &&
             checkpoints[next_checkpoint].sequence == sequence) {
        if (checkpoints[next_checkpoint].hash != hash) {
          sqlite3_close(db);
          return bad(result, sequence,
                     "record " + std::to_string(sequence) + " differs from its signed checkpoint");
        }
        ++next_checkpoint;
        ++result.checkpoints_checked;
      }
      previous = hash;
      ++expected;
      ++result.records_checked;
    }
    if (next_checkpoint < checkpoints.size()) {
      sqlite3_close(db);
      return bad(result, expected,
                 "records from " + std::to_string(expected) + " on are missing: a signed "
                 "checkpoint vouches for record " +
                     std::to_string(checkpoints[next_checkpoint].sequence));
    }
  } catch (const SqliteError& e) {
    sqlite3_close(db);
    result.problem = std::string("cannot read the log: ") + e.what();
    return result;
  }
  sqlite3_close(db);
  result.intact = true;
  return result;
}

}  // namespace ketenpoort
