#include "gateway/store/exchange_log.hpp"

#include <future>

namespace ketenpoort {

void ExchangeLog::append(ExchangeRecord record, Callback done) {
  append(std::move(record), StoreChange{}, std::move(done));
}

AppendResult ExchangeLog::appendAndWait(ExchangeRecord record, StoreChange change) {
  std::promise<AppendResult> promise;
  auto future = promise.get_future();
  append(std::move(record), std::move(change),
         [&promise](const AppendResult& r) { promise.set_value(r); });
  return future.get();
}

}  // namespace ketenpoort
