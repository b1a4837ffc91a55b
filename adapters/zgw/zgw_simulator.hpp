#pragma once

#include <boost/json/object.hpp>

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "gateway/http/https_receiver.hpp"

namespace ketenpoort {

struct ZgwSimulatorOptions {
  HttpsReceiverOptions receiver;               // its own certificate (clients present theirs)
  std::map<std::string, std::string> clients;  // client id → secret, as its Autorisaties knows them
  std::int64_t token_max_age_seconds = 3600;   // Open Zaak's JWT_EXPIRY
  double fail_before = 0.0;                    // share of calls answered 500 before anything is stored
  double fail_after = 0.0;                     // share answered 500 after the call was carried out (the answer lost)
  std::uint64_t seed = 1;
  std::filesystem::path record_to;         // every request as a JSON line for tests/zgw/run; empty: none
  std::function<std::int64_t()> now_unix;  // the server's clock; the system's when not set
  // Asked before each call is carried out; true: it is not (a test that killed the client
  // between two of its steps answers nothing more).
  std::function<bool(const ApiRequest&)> interrupt;
};

// A gemeente's ZGW APIs as Open Zaak behaves, for the tests and the demo: the part of the
// Zaken API (zaken, rollen, zaakinformatieobjecten) and the Documenten API
// (enkelvoudiginformatieobjecten) a delivery uses, kept in memory. What the OpenAPI files
// cannot say, it holds the client to: a valid HS256 token of a known client per call (403
// otherwise), the CRS headers on the zaken (412 when missing, 406 when not EPSG:4326),
// `identificatie` unique per `bronorganisatie` (400, `identificatie-niet-uniek`), one link
// per zaak and document (400, `unique`), a zaak that exists for a rol or a link (400).
// Every request can be recorded for the contract check against the official files
// (tests/zgw/run), and a share of calls made to fail, before or after they took effect.
class ZgwSimulator {
 public:
  explicit ZgwSimulator(ZgwSimulatorOptions options);
  void start() { receiver_->start(); }
  void stop() { receiver_->stop(); }
  std::uint16_t port() const { return receiver_->port(); }
  // https://127.0.0.1:PORT/zaken/api/v1 and …/documenten/api/v1
  std::string zakenApi() const;
  std::string documentenApi() const;

  // What it holds, for a test's or the demo's look.
  struct Document {
    boost::json::object metadata;  // as posted, without inhoud
    std::string content;           // inhoud, decoded
  };
  struct Zaak {
    boost::json::object zaak;
    std::vector<boost::json::object> rollen;
    std::vector<Document> documents;  // linked to the zaak, in link order
  };
  std::vector<Zaak> zaken() const;
  std::size_t zaakCount() const;
  std::size_t rolCount() const;
  std::size_t documentCount() const;
  std::size_t linkCount() const;
  // Calls answered 4xx by reason (code), and failed on purpose.
  std::map<std::string, std::uint64_t> refusals() const;
  std::uint64_t failedOnPurpose() const { return failed_.load(); }

 private:
  ApiResponse handle(const ApiRequest& request);
  // Under mutex_, for an authenticated client.
  ApiResponse carryOut(const ApiRequest& request);
  static std::string resourceOf(const ApiRequest& request);
  ApiResponse list(const std::string& resource, const std::string& query);
  ApiResponse detail(const std::string& path);
  ApiResponse createZaak(boost::json::object zaak);
  ApiResponse createRol(boost::json::object rol);
  ApiResponse createLink(boost::json::object link);
  ApiResponse createDocument(boost::json::object metadata);
  void record(const ApiRequest& request);
  ApiResponse refuse(unsigned status, const std::string& code, const std::string& detail,
                     const std::string& field = {});

  ZgwSimulatorOptions options_;
  mutable std::mutex mutex_;
  std::mt19937_64 rng_;
  std::atomic<std::uint64_t> failed_{0};
  std::map<std::string, std::uint64_t> refusals_;
  // Resources by URL; the order of creation kept for the look from outside.
  std::vector<std::string> zaak_order_;
  std::map<std::string, boost::json::object> zaken_;
  std::map<std::string, boost::json::object> rollen_;
  std::map<std::string, Document> documents_;
  std::map<std::string, boost::json::object> links_;
  std::vector<std::string> link_order_;
  // What is unique, by (bronorganisatie, identificatie) and (zaak, informatieobject).
  std::map<std::pair<std::string, std::string>, std::string> zaak_by_identificatie_;
  std::map<std::pair<std::string, std::string>, std::string> document_by_identificatie_;
  std::set<std::pair<std::string, std::string>> linked_;
  std::unique_ptr<HttpsReceiver> receiver_;
};

}  // namespace ketenpoort
