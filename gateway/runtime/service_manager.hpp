#pragma once

#include <string_view>

namespace ketenpoort {

// Tells the service manager (systemd, Type=notify) what the gateway is doing: "READY=1"
// once every listener accepts, so units ordered after it start then. Writes one datagram to
// the socket named by $NOTIFY_SOCKET (a path, or "@name" in the abstract namespace); does
// nothing when it is not set (not run by systemd). Returns false when the message could
// not be sent, which the caller logs: the service manager then times the start out.
bool notifyServiceManager(std::string_view state);

}  // namespace ketenpoort
