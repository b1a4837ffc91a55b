#include "gateway/store/exchange_query.hpp"

namespace ketenpoort {

std::vector<std::string> ExchangeQuery::describe() const {
  std::vector<std::string> out{"organisation=" + organisation_oin};
  if (subject_ref) out.emplace_back("subject=by-bsn");  // the reference is in subject_ref
  if (from_date) out.push_back("from=" + *from_date);
  if (to_date) out.push_back("to=" + *to_date);
  if (flow) out.push_back("flow=" + *flow);
  if (party_oin) out.push_back("party=" + *party_oin);
  if (outcome) out.push_back("outcome=" + *outcome);
  if (trace_id) out.push_back("trace=" + *trace_id);
  if (after_sequence) out.push_back("after=" + std::to_string(*after_sequence));
  if (before_sequence) out.push_back("before=" + std::to_string(*before_sequence));
  if (newest_first) out.emplace_back("order=newest-first");
  if (limit > 0) out.push_back("limit=" + std::to_string(limit));
  return out;
}

}  // namespace ketenpoort
