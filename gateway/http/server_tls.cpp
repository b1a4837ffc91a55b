#include "gateway/http/server_tls.hpp"

#include <stdexcept>

#include "gateway/diagnostics/diagnostic_log.hpp"
#include "gateway/tls/tls_material.hpp"
#include "gateway/tls/tls_policy.hpp"

namespace ketenpoort::http_internal {
namespace {

// A server context from the files, or the problems that keep it from being one.
std::shared_ptr<boost::asio::ssl::context> loadContext(const TlsFiles& files, std::vector<std::string>& problems) {
  auto context = std::make_shared<boost::asio::ssl::context>(boost::asio::ssl::context::tls_server);
  problems = configureServerTls(context->native_handle(), files);
  return problems.empty() ? context : nullptr;
}

// The server context, and the client one taken with it: both or neither.
std::shared_ptr<boost::asio::ssl::context> loadBoth(const TlsFiles& files, ClientTls& client,
                                                    std::vector<std::string>& problems) {
  auto context = loadContext(files, problems);
  if (context) problems = client.use(files);
  return problems.empty() ? context : nullptr;
}

}  // namespace

ServerTls::ServerTls(const TlsFiles& files, GatewayMetrics& metrics)
    : metrics_(metrics), files_(files), fingerprint_(tlsFilesFingerprint(files)) {
  std::vector<std::string> problems;
  current_ = loadContext(files_, problems);
  if (!current_) {
    std::string message = "TLS setup failed";
    for (const auto& p : problems) message += "\n  " + p;
    throw std::runtime_error(message);
  }
  client_ = std::make_shared<ClientTls>(files_);
  for (const char* outcome : {"applied", "refused"}) metrics_.config_reloads.inc({"tls-files", outcome}, 0);
  publishExpiries({});
}

std::shared_ptr<boost::asio::ssl::context> ServerTls::current() const {
  std::lock_guard lock(mutex_);
  return current_;
}

TlsFiles ServerTls::files() const {
  std::lock_guard lock(mutex_);
  return files_;
}

std::vector<std::string> ServerTls::use(const TlsFiles& files) {
  const std::lock_guard reloading(reload_mutex_);
  std::vector<std::string> problems;
  const std::string fingerprint = tlsFilesFingerprint(files);
  auto context = loadBoth(files, *client_, problems);
  if (!context) return problems;
  {
    std::lock_guard lock(mutex_);
    current_ = std::move(context);
    files_ = files;
    fingerprint_ = fingerprint;
    refused_fingerprint_.clear();
  }
  logInfo("tls-files-reloaded", publishExpiries(metrics_.certificate_expiry.values()));
  return problems;
}

void ServerTls::reloadIfChanged() {
  const std::lock_guard reloading(reload_mutex_);
  const TlsFiles watched = files();
  const std::string fingerprint = tlsFilesFingerprint(watched);
  {
    std::lock_guard lock(mutex_);
    if (fingerprint == fingerprint_ || fingerprint == refused_fingerprint_) return;
  }
  std::vector<std::string> problems;
  auto context = loadBoth(watched, *client_, problems);
  if (!context) {
    {
      std::lock_guard lock(mutex_);
      refused_fingerprint_ = fingerprint;
    }
    metrics_.config_reloads.inc({"tls-files", "refused"});
    boost::json::array listed;
    for (const auto& p : problems) listed.emplace_back(p);
    logError("tls-files-refused", {{"problems", listed}, {"kept", "the files loaded before"}});
    return;
  }
  {
    std::lock_guard lock(mutex_);
    current_ = std::move(context);
    fingerprint_ = fingerprint;
    refused_fingerprint_.clear();
  }
  metrics_.config_reloads.inc({"tls-files", "applied"});
  logInfo("tls-files-reloaded", publishExpiries(metrics_.certificate_expiry.values()));
}

boost::json::object ServerTls::publishExpiries(const std::map<std::vector<std::string>, std::int64_t>& before) const {
  std::map<std::vector<std::string>, std::int64_t> values;
  for (const TlsExpiry& e : readTlsExpiries(files())) values[{e.kind, e.subject, e.serial}] = e.expires_unix;
  // A certificate or CRL by kind, subject and serial: organisations' names, never a person's.
  const auto listed = [](const auto& these, const auto& those) {
    boost::json::array out;
    for (const auto& [labels, expires] : these) {
      if (!those.contains(labels)) {
        out.push_back(boost::json::object{{"kind", labels[0]}, {"subject", labels[1]}, {"serial", labels[2]}});
      }
    }
    return out;
  };
  boost::json::object changed{{"added", listed(values, before)}, {"removed", listed(before, values)}};
  metrics_.certificate_expiry.replace(std::move(values));
  return changed;
}

}  // namespace ketenpoort::http_internal
