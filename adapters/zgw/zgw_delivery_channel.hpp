#pragma once

#include <chrono>
#include <memory>

#include "gateway/calendar/time_source.hpp"
#include "gateway/exchange/exchange_adapters.hpp"
#include "gateway/http/https_client.hpp"

namespace ketenpoort {

// Delivers a ZgwPackage into a gemeente's case system through the ZGW APIs (ADR 0028,
// docs/adapters/zgw.md), in steps: the zaak (POST /zaken), the person as betrokkene
// (POST /rollen), the readable document and the JSON (POST /enkelvoudiginformatieobjecten)
// and a link of each to the zaak (POST /zaakinformatieobjecten). Each step that succeeded
// is recorded in the outbox entry before the next begins, so an attempt after a crash or a
// failure resumes after it. The step whose answer may have been lost is made safe by what
// the standard offers: a zaak or document whose identificatie the case system has already
// is looked up by identificatie and bronorganisatie (it is ours: the identificatie comes
// from the transaction); a rol is looked for on the zaak before one is made on a zaak
// this attempt did not make; a link the case system has already is success. Every call
// carries a fresh HS256 token and the CRS headers Open Zaak wants. Runs on the gateway's
// network threads with the gateway's client certificate.
class ZgwDeliveryChannel final : public CaseSystemChannel {
 public:
  // `timeout`: each call's, and the steps of one attempt begin within it (a step begun
  // ends within another): an attempt lasts at most twice `timeout`.
  explicit ZgwDeliveryChannel(std::chrono::milliseconds timeout, const TimeSource& clock = systemTime());
  ~ZgwDeliveryChannel() override;
  ZgwDeliveryChannel(const ZgwDeliveryChannel&) = delete;
  ZgwDeliveryChannel& operator=(const ZgwDeliveryChannel&) = delete;

  void open(boost::asio::io_context& network, const std::shared_ptr<const ClientTls>& gateway_tls) override;
  void close() override;
  void deliver(const ZgwTarget& target, const OutboxEntry& entry, std::shared_ptr<const std::string> body,
               RecordStep record_step, Done done) override;

 private:
  std::chrono::milliseconds timeout_;
  const TimeSource& clock_;
  std::unique_ptr<HttpsConnectionPool> pool_;  // from open() to close()
};

// The steps a ZGW delivery takes, in order, as its channel state names them.
inline constexpr std::array<std::string_view, 6> kZgwSteps{"zaak",       "rol",    "document_l",
                                                           "document_j", "link_l", "link_j"};

}  // namespace ketenpoort
