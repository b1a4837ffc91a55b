#pragma once

#include <functional>
#include <optional>
#include <string>

#include "gateway/calendar/time_source.hpp"
#include "gateway/mapping/flow_definition.hpp"
#include "gateway/store/exchange_log.hpp"
#include "gateway/store/outbox.hpp"
#include "gateway/store/registry_store.hpp"

namespace ketenpoort {

// The basis an exchange was allowed on must still hold when its message leaves: a
// consent withdrawn, an agreement ended or a koppeling moved while the message waited
// (endpoint down, postbus not yet read) ends the processing too (AVG art. 7(3)). Checked
// by the delivery worker before each attempt and by the postbus before it shows a
// message.
class DeliveryBasis {
 public:
  DeliveryBasis(const MappingCatalogue& catalogue, const RegistryStore& registries, ExchangeLog& log,
                const TimeSource& clock = systemTime())
      : catalogue_(catalogue), registries_(registries), log_(log), clock_(clock) {}

  // Which basis of `entry` no longer holds today, as the reason its withdrawal is
  // recorded with (kBasisWithdrawnConsent, …Agreement, …Koppeling); nullopt when all still
  // hold. Throws std::runtime_error when a registry cannot be read (the entry then stays
  // waiting).
  std::optional<Reason> withdrawn(const OutboxEntry& entry) const;

  // Records that `entry` will not be delivered: a refused record with the reason
  // `withdrawn` gave and, in its transaction, the entry's state `withdrawn`. `done(ok)`
  // runs on the log's thread once durable; only then may the body go.
  void recordWithdrawal(const OutboxEntry& entry, Reason withdrawn, std::function<void(bool ok)> done) const;

  // Records that `entry` was delivered although its basis `which` ended while the attempt
  // was under way (checked before the attempt, the message was already on its way when the
  // consent was withdrawn or the agreement ended): a delivered record with the reason
  // kBasisEndedDuringDelivery… for the basis `withdrawn` names, so the officer sees it
  // (issue 25). In the background; a failure to write it is logged.
  void recordEndedDuringDelivery(const OutboxEntry& entry, Reason withdrawn) const;

 private:
  const MappingCatalogue& catalogue_;
  const RegistryStore& registries_;
  ExchangeLog& log_;
  const TimeSource& clock_;
};

}  // namespace ketenpoort
