#include "gateway/audit/audit_queries.hpp"

#include <boost/json/parse.hpp>

#include "gateway/store/identifiers.hpp"
#include "gateway/store/sqlite_statement.hpp"

namespace ketenpoort {

using store_internal::Statement;

namespace {

ExchangeOutcome parseOutcome(std::string_view text) {
  if (text == "delivered") return ExchangeOutcome::kDelivered;
  if (text == "queued") return ExchangeOutcome::kQueued;
  if (text == "refused") return ExchangeOutcome::kRefused;
  return ExchangeOutcome::kFailed;
}

std::string foldIndices(std::string_view path) {
  std::string out;
  for (std::size_t i = 0; i < path.size(); ++i) {
    out += path[i];
    if (path[i] == '[') {
      while (i + 1 < path.size() && path[i + 1] != ']') ++i;
    }
  }
  return out;
}

}  // namespace

std::vector<std::string> AuditFilter::describe() const {
  std::vector<std::string> out{"organisation=" + organisation_oin};
  if (subject_ref) out.push_back("subject=by-bsn");  // the reference is in subject_ref
  if (from_date) out.push_back("from=" + *from_date);
  if (to_date) out.push_back("to=" + *to_date);
  if (flow) out.push_back("flow=" + *flow);
  if (party_oin) out.push_back("party=" + *party_oin);
  if (outcome) out.push_back("outcome=" + *outcome);
  return out;
}

std::vector<AuditedExchange> findExchanges(const std::filesystem::path& database,
                                           const AuditFilter& f) {
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(database.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
    const std::string message = db ? sqlite3_errmsg(db) : "out of memory";
    sqlite3_close(db);
    throw std::runtime_error("cannot open " + database.string() + ": " + message);
  }
  sqlite3_busy_timeout(db, 5000);
  std::string sql =
      "SELECT seq, transaction_id, trace_id, time_utc, flow, sender_oin, recipient_oin, purpose, "
      "legal_basis, consent_id, agreement_id, subject_ref, fields_delivered, fields_withheld, "
      "outcome, reason, payload_sha256, retention_until FROM exchange_log "
      "WHERE (sender_oin = ?1 OR recipient_oin = ?1)";
  if (f.subject_ref) sql += " AND subject_key = ?2 AND subject_ref = ?3";
  if (f.from_date) sql += " AND time_utc >= ?4";
  if (f.to_date) sql += " AND time_utc < ?5 || 'T99'";  // to the end of that day
  if (f.flow) sql += " AND flow = ?6";
  if (f.party_oin) sql += " AND (sender_oin = ?7 OR recipient_oin = ?7)";
  if (f.outcome) sql += " AND outcome = ?8";
  sql += " ORDER BY seq";
  std::vector<AuditedExchange> out;
  try {
    Statement q(db, sql);
    q.bindText(1, f.organisation_oin);
    if (f.subject_ref) {
      q.bindInt(2, subjectKey(*f.subject_ref));
      q.bindText(3, *f.subject_ref);
    }
    if (f.from_date) q.bindText(4, *f.from_date);
    if (f.to_date) q.bindText(5, *f.to_date);
    if (f.flow) q.bindText(6, *f.flow);
    if (f.party_oin) q.bindText(7, *f.party_oin);
    if (f.outcome) q.bindText(8, *f.outcome);
    while (q.step()) {
      AuditedExchange e;
      e.sequence = static_cast<std::uint64_t>(q.integer(0));
      ExchangeRecord& r = e.record;
      r.transaction_id = q.text(1);
      r.trace_id = q.text(2);
      r.time_utc = q.text(3);
      r.flow = q.text(4);
      r.sender_oin = q.text(5);
      r.recipient_oin = q.text(6);
      r.purpose = q.text(7);
      r.legal_basis = q.text(8);
      r.consent_id = q.text(9);
      r.agreement_id = q.text(10);
      r.subject_ref = q.text(11);
      const boost::json::value delivered = boost::json::parse(q.text(12));
      for (const auto& v : delivered.as_array()) r.fields_delivered.emplace_back(v.as_string());
      const boost::json::value withheld = boost::json::parse(q.text(13));
      for (const auto& v : withheld.as_array()) {
        r.fields_withheld.push_back({std::string(v.at("field").as_string()),
                                     std::string(v.at("reason").as_string())});
      }
      r.outcome = parseOutcome(q.text(14));
      r.reason = q.text(15);
      r.payload_sha256 = q.text(16);
      r.retention_until = q.text(17);
      out.push_back(std::move(e));
    }
  } catch (const std::exception& e) {
    sqlite3_close(db);
    throw std::runtime_error(std::string("cannot read the exchange log: ") + e.what());
  }
  sqlite3_close(db);
  return out;
}

std::map<std::tuple<std::string, std::string>, std::uint64_t> countRefusals(
    const std::vector<AuditedExchange>& exchanges) {
  std::map<std::tuple<std::string, std::string>, std::uint64_t> out;
  for (const auto& e : exchanges) {
    if (e.record.outcome == ExchangeOutcome::kRefused) ++out[{e.record.flow, e.record.reason}];
  }
  return out;
}

std::map<std::tuple<std::string, std::string, std::string>, std::uint64_t> countWithheld(
    const std::vector<AuditedExchange>& exchanges) {
  std::map<std::tuple<std::string, std::string, std::string>, std::uint64_t> out;
  for (const auto& e : exchanges) {
    for (const auto& w : e.record.fields_withheld) {
      ++out[{e.record.flow, foldIndices(w.field), w.reason}];
    }
  }
  return out;
}

AppendResult recordAuditQuery(ExchangeLog& log, const std::string& asked_by_oin,
                              const std::string& query, const AuditFilter& filter) {
  ExchangeRecord r;
  r.transaction_id = newUuidV7();
  r.trace_id = newTraceId();
  r.time_utc = utcNowRfc3339();
  r.flow = "ketenpoort.audit-query";
  r.sender_oin = asked_by_oin;
  r.recipient_oin = filter.organisation_oin;
  r.purpose = "audit:" + query;
  r.legal_basis = "AVG art. 5 lid 2, 15 en 30: verantwoording en inzage";
  r.subject_ref = filter.subject_ref.value_or("");
  r.fields_delivered = filter.describe();
  r.outcome = ExchangeOutcome::kDelivered;
  r.reason = "audit-query";
  return log.appendAndWait(std::move(r));
}

}  // namespace ketenpoort
