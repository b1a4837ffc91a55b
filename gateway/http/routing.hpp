#pragma once

#include <memory>

#include "gateway/api/party_directory.hpp"
#include "gateway/api/router.hpp"
#include "gateway/config/gateway_config.hpp"

namespace ketenpoort {

// What the listeners answer with, all from one configuration: the two routers, who the
// parties are, the limits. A reload replaces it whole (NetworkServer::replaceRouting). A
// request keeps the one it began on until it is answered; a connection identifies its
// party again on the current one at every request, so a party the configuration no longer
// holds is refused at its next request, not only at its next connection. `owner` keeps
// alive what the routers and the directory refer to.
struct Routing {
  Router exchange;
  Router audit;
  PartyDirectory parties;
  Limits limits;
  std::shared_ptr<const void> owner;
};

}  // namespace ketenpoort
