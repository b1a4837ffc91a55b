#include "gateway/store/log_purge.hpp"

#include <algorithm>
#include <stdexcept>

#include <openssl/evp.h>

#include "gateway/store/identifiers.hpp"
#include "gateway/store/log_signer.hpp"

namespace ketenpoort {

namespace {

std::string sha256(const std::string& data) {
  std::string digest(32, '\0');
  unsigned int size = 0;
  EVP_Digest(data.data(), data.size(), reinterpret_cast<unsigned char*>(digest.data()), &size, EVP_sha256(), nullptr);
  return digest;
}

void appendField(std::string& out, std::string_view field) {
  out += std::to_string(field.size());
  out += ':';
  out += field;
}

// A retention date as the mappings write it; anything else is never judged expired.
bool isIsoDate(std::string_view date) {
  if (date.size() != 10 || date[4] != '-' || date[7] != '-') return false;
  return std::all_of(date.begin(), date.end(), [](char c) { return c == '-' || (c >= '0' && c <= '9'); });
}

}  // namespace

std::string PurgeRecord::message() const {
  return "ketenpoort-log-purge-v1\n" + std::to_string(id) + "\n" + created_utc + "\n" + as_of + "\n" + reason + "\n" +
         std::to_string(removed) + "\n" + toHex(runs_digest) + "\n" + toHex(previous_digest) + "\n";
}

std::string purgedRunsDigest(const std::vector<PurgedRun>& runs) {
  std::string encoded = "ketenpoort-purged-runs-v1\n";
  for (const auto& run : runs) {
    appendField(encoded, std::to_string(run.first));
    appendField(encoded, std::to_string(run.last));
    appendField(encoded, run.previous_hash);
    appendField(encoded, run.last_hash);
  }
  return sha256(encoded);
}

std::string purgeDigest(const PurgeRecord& purge) { return sha256(purge.message() + purge.signature); }

ChainPurges assemblePurges(std::vector<PurgeRecord> purges,
                           const std::vector<std::pair<std::uint64_t, PurgedRun>>& runs) {
  ChainPurges stored;
  stored.purges = std::move(purges);
  stored.runs.resize(stored.purges.size());
  for (const auto& [purge_id, run] : runs) {
    // Purge records are numbered 1, 2, …; checkPurges refuses any other numbering.
    if (purge_id >= 1 && purge_id <= stored.purges.size() && stored.purges[purge_id - 1].id == purge_id) {
      stored.runs[purge_id - 1].push_back(run);
    } else {
      ++stored.unclaimed_runs;
    }
  }
  for (auto& of_one : stored.runs) {
    std::sort(of_one.begin(), of_one.end(), [](const PurgedRun& a, const PurgedRun& b) { return a.first < b.first; });
  }
  return stored;
}

PurgeCheck checkPurges(const ChainPurges& stored, const std::string& public_key_pem) {
  PurgeCheck check;
  const auto fail = [&check](std::string problem) {
    check.problem = std::move(problem);
    check.runs.clear();
    return check;
  };
  if (stored.runs.size() != stored.purges.size()) return fail("purge records and their runs do not match up");
  if (stored.unclaimed_runs > 0) return fail("records were removed under a purge record that is not there");
  std::string previous_digest(32, '\0');
  for (std::size_t i = 0; i < stored.purges.size(); ++i) {
    const PurgeRecord& purge = stored.purges[i];
    const std::string name = "purge record " + std::to_string(purge.id);
    if (purge.id != i + 1) return fail("purge record " + std::to_string(i + 1) + " is missing");
    if (!verifyLogSignature(public_key_pem, purge.message(), purge.signature)) {
      return fail(name + " is not signed by the gateway's key");
    }
    if (purge.previous_digest != previous_digest) {
      return fail("the purge record before " + name + " is missing or was changed");
    }
    previous_digest = purgeDigest(purge);
    const auto& runs = stored.runs[i];
    if (purgedRunsDigest(runs) != purge.runs_digest) {
      return fail("the records " + name + " removed are not the ones it signed for");
    }
    std::uint64_t removed = 0;
    for (const auto& run : runs) {
      if (run.first == 0 || run.last < run.first) return fail(name + " names an impossible run");
      removed += run.length();
    }
    if (removed != purge.removed) return fail(name + " does not add up");
    check.removed += removed;
    check.runs.insert(check.runs.end(), runs.begin(), runs.end());
  }
  std::sort(check.runs.begin(), check.runs.end(),
            [](const PurgedRun& a, const PurgedRun& b) { return a.first < b.first; });
  for (std::size_t i = 1; i < check.runs.size(); ++i) {
    if (check.runs[i].first <= check.runs[i - 1].last) {
      return fail("two purge records claim record " + std::to_string(check.runs[i].first));
    }
  }
  return check;
}

PurgePlan planPurge(const std::vector<PurgeCandidate>& window, std::string_view as_of) {
  PurgePlan plan;
  const auto fail = [&plan](std::uint64_t sequence, std::string problem) {
    plan.runs.clear();
    plan.removed = 0;
    plan.bad_sequence = sequence;
    plan.problem = std::move(problem);
    return plan;
  };
  constexpr std::size_t kRetentionColumn = 16;
  static_assert(kHashedColumns[kRetentionColumn] == "retention_until");
  if (!isIsoDate(as_of)) return fail(0, "the purge date is not YYYY-MM-DD");
  const PurgeCandidate* before = nullptr;
  for (const auto& record : window) {
    std::array<std::string_view, kHashedColumns.size()> views;
    for (std::size_t c = 0; c < views.size(); ++c) views[c] = record.columns[c];
    if (chainHash(record.previous_hash, record.sequence, views) != record.record_hash) {
      return fail(record.sequence, "record " + std::to_string(record.sequence) + " was altered");
    }
    if (before && before->sequence + 1 == record.sequence && before->record_hash != record.previous_hash) {
      return fail(record.sequence, "record " + std::to_string(record.sequence) + " does not follow its predecessor");
    }
    before = &record;
    const std::string_view retention = record.columns[kRetentionColumn];
    if (!isIsoDate(retention) || retention >= as_of) continue;
    if (!plan.runs.empty() && plan.runs.back().last + 1 == record.sequence) {
      plan.runs.back().last = record.sequence;
      plan.runs.back().last_hash = record.record_hash;
    } else {
      plan.runs.push_back({record.sequence, record.sequence, record.previous_hash, record.record_hash});
    }
    ++plan.removed;
  }
  return plan;
}

PurgeBatchResult purgeOneWindow(PurgeTarget& target, const PurgeBatchRequest& request, const LogSigner& signer,
                                const std::string& now_utc) {
  PurgeBatchResult result;
  const std::uint64_t last_record = target.lastSequence();
  // Never the last record: the head vouches for it, and the chain goes on from it.
  const std::uint64_t last = std::min(request.after_sequence + request.window, last_record == 0 ? 0 : last_record - 1);
  result.next_after = std::max(request.after_sequence, last);
  result.done = last_record == 0 || last + 1 >= last_record;
  if (last <= request.after_sequence) return result;
  const PurgePlan plan = planPurge(target.window(request.after_sequence, last), request.as_of);
  if (!plan.problem.empty()) throw std::runtime_error("not purged: " + plan.problem + "; verify the log");
  if (plan.runs.empty()) return result;
  const auto before = target.lastPurge();
  PurgeRecord record{before ? before->id + 1 : 1,
                     now_utc,
                     request.as_of,
                     std::string(reasonName(request.reason)),
                     plan.removed,
                     purgedRunsDigest(plan.runs),
                     before ? purgeDigest(*before) : std::string(32, '\0'),
                     {}};
  record.signature = signer.sign(record.message());
  for (const auto& run : plan.runs) target.removeRun(run, record.id);
  target.insertPurge(record);
  result.removed = plan.removed;
  return result;
}

}  // namespace ketenpoort
