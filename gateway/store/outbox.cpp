#include "gateway/store/outbox.hpp"

namespace ketenpoort {

std::string_view toString(DeliveryState state) {
  switch (state) {
    case DeliveryState::kPending: return "pending";
    case DeliveryState::kPostbus: return "postbus";
    case DeliveryState::kDelivered: return "delivered";
    case DeliveryState::kDeadLetter: return "dead-letter";
  }
  return "pending";
}

std::string_view toString(DeliveryRoute route) {
  return route == DeliveryRoute::kPostbus ? "postbus" : "endpoint";
}

}  // namespace ketenpoort
