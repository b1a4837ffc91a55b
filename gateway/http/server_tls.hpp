#pragma once
// Internal to the http module: the mTLS listeners' TLS context, replaced while they run.

#include <boost/asio/ssl/context.hpp>

#include <boost/json/object.hpp>

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "gateway/config/gateway_config.hpp"
#include "gateway/diagnostics/metrics.hpp"
#include "gateway/http/https_client.hpp"

namespace ketenpoort::http_internal {

// The server context both mTLS listeners hand every new connection: the gateway's
// certificate and key, the CA bundle, the CRLs; and beside it the client context the
// gateway's own requests present. When the files change on disk (a renewed
// certificate, a CRL its CA published) a new context is loaded and checked as at start;
// only a complete one replaces the current, for connections accepted after that. A
// connection keeps the context it began with until it ends. A resumed session of the old
// context is not resumed by the new one (its own ticket keys): every party's certificate
// is verified again, against the new CRLs. Thread-safe.
class ServerTls {
 public:
  // Loads the files; throws std::runtime_error naming every problem when they do not load.
  ServerTls(const TlsFiles& files, GatewayMetrics& metrics);

  std::shared_ptr<boost::asio::ssl::context> current() const;

  // The same certificate, key and CA bundle as a client presents them (deliveries, the
  // questions to source systems), replaced together with the server context.
  std::shared_ptr<const ClientTls> client() const { return client_; }

  // Loads the files again if they changed since they were last looked at. Applied: the
  // new context is current, the expiry metrics follow, the log says what changed. Refused:
  // the current one stays, the problems are logged. Blocking file reads: not on a network
  // thread.
  void reloadIfChanged();

  // Loads `files` (a reload of the configuration named other or the same files) and, when
  // they load, takes them: for new connections, and the ones watched from now on. Returns
  // the problems; with any, nothing changed.
  std::vector<std::string> use(const TlsFiles& files);

 private:
  // Sets the expiry metrics from the files; returns what they hold that `before` did not
  // ("added") and the reverse ("removed"), for the log.
  boost::json::object publishExpiries(const std::map<std::vector<std::string>, std::int64_t>& before) const;

  TlsFiles files() const;

  GatewayMetrics& metrics_;
  std::mutex reload_mutex_;  // one reload at a time: the watcher's or a configuration's
  mutable std::mutex mutex_;
  TlsFiles files_;
  std::shared_ptr<boost::asio::ssl::context> current_;
  std::shared_ptr<ClientTls> client_;  // set once, in the constructor
  std::string fingerprint_;            // of the files current_ was loaded from
  std::string refused_fingerprint_;    // of files refused last: not loaded and logged again
};

}  // namespace ketenpoort::http_internal
