#include "gateway/runtime/crl_refresher.hpp"

#include "gateway/diagnostics/diagnostic_log.hpp"
#include "gateway/http/document_fetch.hpp"

namespace ketenpoort {
namespace {

// A CA's CRL runs to a few megabytes at most; a distribution point that sends more is
// not sending a CRL.
constexpr std::size_t kMaxCrlBytes = std::size_t{32} * 1024 * 1024;
constexpr std::chrono::seconds kFetchTimeout{30};

}  // namespace

CrlRefresher::CrlRefresher(CurrentTls current, GatewayMetrics& metrics, const TimeSource& clock)
    : current_(std::move(current)), metrics_(metrics), clock_(clock) {}

CrlRefresher::~CrlRefresher() { stop(); }

void CrlRefresher::start() {
  if (thread_.joinable()) return;
  thread_ = std::thread([this] { run(); });
}

void CrlRefresher::stop() {
  wake_.close();
  if (thread_.joinable()) thread_.join();
}

void CrlRefresher::run() {
  std::vector<int> nothing;
  do {
    refreshAll();
    ++rounds_;
  } while (wake_.popBatch(nothing, 1, current_().crl_fetch_interval, clock_));
}

std::vector<CrlRefresher::Fetched> CrlRefresher::refreshAll() {
  const TlsFiles tls = current_();
  std::vector<Fetched> out;
  for (const CrlSource& source : tls.crl_sources) {
    const auto url = parseWebUrl(source.url);  // checked when the configuration was
    CrlUpdate update{CrlUpdate::Outcome::kFailed, "the url does not parse"};
    if (url) {
      const FetchedDocument fetched = fetchDocument(*url, tls.ca_bundle, kFetchTimeout, kMaxCrlBytes);
      update = fetched.ok() ? installCrl(fetched.body, tls.ca_bundle, tls.crl_dir / source.file)
                            : CrlUpdate{CrlUpdate::Outcome::kFailed, fetched.error};
    }
    const std::string_view outcome = toString(update.outcome);
    metrics_.crl_fetches.inc({source.file, std::string(outcome)});
    // A CA's address, a file name, an issuer and a date: no personal data.
    const boost::json::object logged{
        {"file", source.file}, {"url", source.url}, {"outcome", outcome}, {"detail", update.detail}};
    switch (update.outcome) {
      case CrlUpdate::Outcome::kInstalled:
        logInfo("crl-fetched", logged);
        [[fallthrough]];
      case CrlUpdate::Outcome::kUnchanged:
        metrics_.crl_fetch_last_success.set(
            {source.file}, std::chrono::duration_cast<std::chrono::seconds>(clock_.now().time_since_epoch()).count());
        break;
      case CrlUpdate::Outcome::kRefused:
      case CrlUpdate::Outcome::kFailed:
        logWarn("crl-fetch-failed", logged);
        break;
    }
    out.push_back({source, std::move(update)});
  }
  return out;
}

}  // namespace ketenpoort
