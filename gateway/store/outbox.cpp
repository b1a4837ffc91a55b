#include "gateway/store/outbox.hpp"

namespace ketenpoort {

std::string_view toString(DeliveryState state) {
  switch (state) {
    case DeliveryState::kPending: return "pending";
    case DeliveryState::kPostbus: return "postbus";
    case DeliveryState::kDelivered: return "delivered";
    case DeliveryState::kDeadLetter: return "dead-letter";
    case DeliveryState::kWithdrawn: return "withdrawn";
  }
  return "pending";
}

std::string_view toString(DeliveryRoute route) {
  return route == DeliveryRoute::kPostbus ? "postbus" : "endpoint";
}

std::optional<DeliveryState> parseDeliveryState(std::string_view text) {
  for (auto s : {DeliveryState::kPending, DeliveryState::kPostbus, DeliveryState::kDelivered,
                 DeliveryState::kDeadLetter, DeliveryState::kWithdrawn}) {
    if (toString(s) == text) return s;
  }
  return std::nullopt;
}

std::vector<std::string> DeliveryQuery::describe() const {
  std::vector<std::string> out{"organisation=" + organisation_oin};
  if (state) out.push_back("state=" + std::string(toString(*state)));
  if (flow) out.push_back("flow=" + *flow);
  if (party_oin) out.push_back("party=" + *party_oin);
  return out;
}

}  // namespace ketenpoort
