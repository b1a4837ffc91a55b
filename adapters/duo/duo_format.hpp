#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "gateway/exchange/exchange_adapters.hpp"

namespace ketenpoort {

// DUO's inburgering register as the gateway asks it (docs/adapters/duo.md, duo.xsd).
// Requests: POST <vraag><bsn>…</bsn></vraag> to the status endpoint, answered with one
// <inburgeringsstatus>; POST <vraag><gemeente>0363</gemeente></vraag> to the overview
// endpoint, answered with <overzicht gemeente="0363"> holding one <inburgeringsstatus>
// per person DUO has registered in that gemeente, whatever the law regime. 404: DUO
// does not know the person. The BSN travels in the body, never in a URL, so it cannot
// end up in an access log on the way.
class DuoStatusFormat final : public InboundFormat {
 public:
  std::string_view name() const override { return "duo_xml"; }
  std::variant<SourceNode, std::string> decode(const FlowDefinition& flow, std::string_view body) const override;
};

// Asks DUO over mTLS with the gateway's certificate (as current when asked), one
// connection per question.
class DuoSource final : public SourceSystem {
 public:
  void open(const std::shared_ptr<const ClientTls>& gateway_tls) override { tls_ = gateway_tls; }
  SourceReply fetchPerson(const std::string& url, const std::string& flow_id, const std::string& bsn,
                          const std::string& transaction_id, std::chrono::milliseconds timeout) override;
  std::variant<std::vector<SourceNode>, SourceReply> fetchGemeente(const std::string& url, const std::string& flow_id,
                                                                   const std::string& gemeente_cbs,
                                                                   const std::string& transaction_id,
                                                                   std::chrono::milliseconds timeout) override;

 private:
  SourceReply ask(const std::string& url, const std::string& transaction_id, const std::string& body,
                  std::chrono::milliseconds timeout);
  std::shared_ptr<const ClientTls> tls_;  // from open(), before the first question
};

// One person in DUO's register (the simulator's data; synthetic).
struct DuoExam {
  std::string part;  // lezen luisteren schrijven spreken knm ona
  int attempts = 0;
  std::string result;  // behaald niet-behaald open
};
struct DuoPerson {
  std::string bsn;
  std::string gemeente_cbs;    // where DUO has the person registered (BRP)
  std::string law = "wi2021";  // or wi2013
  std::string status = "plichtig";
  std::string termijn_start;
  std::string termijn_end;                              // without extensions
  std::vector<std::pair<int, std::string>> extensions;  // months, reason
  std::string loan_max_eur = "10000.00";
  std::string loan_used_eur = "0.00";
  std::vector<DuoExam> exams;
  int hours = 0;
  int literacy_hours = 0;
  bool hour_statements = false;
  std::optional<std::string> exemption_date;
  std::string exemption_ground;  // may be medical: never for a gemeente
};
std::string inburgeringsstatusXml(const DuoPerson& person);

}  // namespace ketenpoort
