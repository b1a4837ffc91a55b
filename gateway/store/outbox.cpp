#include "gateway/store/outbox.hpp"

#include <array>
#include <charconv>
#include <stdexcept>

#include <boost/json/parse.hpp>

#include "gateway/vocabulary/enum_names.hpp"

namespace ketenpoort {

namespace {
constexpr std::array<EnumName<DeliveryState>, 5> kStateNames{{{DeliveryState::kPending, "pending"},
                                                              {DeliveryState::kPostbus, "postbus"},
                                                              {DeliveryState::kDelivered, "delivered"},
                                                              {DeliveryState::kDeadLetter, "dead-letter"},
                                                              {DeliveryState::kWithdrawn, "withdrawn"}}};
}  // namespace

std::string_view toString(DeliveryState state) { return nameIn(kStateNames, state); }

std::string_view toString(DeliveryRoute route) { return route == DeliveryRoute::kPostbus ? "postbus" : "endpoint"; }

std::optional<DeliveryState> parseDeliveryState(std::string_view text) { return valueIn(kStateNames, text); }

namespace {
std::int64_t number(std::string_view text) {
  std::int64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) {
    throw std::runtime_error("an outbox number column holds something else");
  }
  return value;
}
}  // namespace

OutboxEntry outboxEntryFromColumnTexts(const std::array<std::string_view, kOutboxColumns.size()>& c) {
  OutboxEntry e;
  e.transaction_id = c[0];
  e.trace_id = c[1];
  e.flow = c[2];
  e.purpose = c[3];
  e.legal_basis = c[4];
  e.sender_oin = c[5];
  e.recipient_party_id = c[6];
  e.recipient_oin = c[7];
  e.route = c[8] == "postbus" ? DeliveryRoute::kPostbus : DeliveryRoute::kEndpoint;
  e.state = parseDeliveryState(c[9]).value_or(DeliveryState::kPending);
  e.created_utc = c[10];
  e.attempts = static_cast<std::uint32_t>(number(c[11]));
  e.next_attempt_ms = number(c[12]);
  e.last_error = c[13];
  e.finished_utc = c[14];
  e.subject_ref = c[15];
  e.consent_id = c[16];
  e.agreement_id = c[17];
  e.koppeling_cbs = c[18];
  e.channel_state = c[19];
  return e;
}

std::vector<std::string> DeliveryQuery::describe() const {
  std::vector<std::string> out{"organisation=" + organisation_oin};
  if (state) out.push_back("state=" + std::string(toString(*state)));
  if (flow) out.push_back("flow=" + *flow);
  if (party_oin) out.push_back("party=" + *party_oin);
  return out;
}

std::vector<std::pair<std::string, std::string>> channelSteps(std::string_view channel_state) {
  std::vector<std::pair<std::string, std::string>> steps;
  if (channel_state.empty()) return steps;
  boost::system::error_code ec;
  const boost::json::value state = boost::json::parse(channel_state, ec);
  if (ec || !state.is_object()) return steps;
  for (const auto& [step, reference] : state.as_object()) {
    if (reference.is_string()) steps.emplace_back(std::string(step), std::string(reference.as_string()));
  }
  return steps;
}

}  // namespace ketenpoort
