#include "gateway/exchange/exchange_adapters.hpp"

namespace ketenpoort {

std::string endpointFor(const Party& party, std::string_view flow_id) {
  std::string any;
  for (const Endpoint& e : party.endpoints) {
    if (e.flow == flow_id) return e.url;
    if (e.flow == "*") any = e.url;
  }
  return any;
}

}  // namespace ketenpoort
