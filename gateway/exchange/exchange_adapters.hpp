#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "gateway/config/gateway_config.hpp"
#include "gateway/mapping/canonical_record.hpp"
#include "gateway/mapping/flow_definition.hpp"
#include "gateway/mapping/source_document.hpp"
#include "gateway/policy/policy_engine.hpp"
#include "gateway/policy/registries.hpp"
#include "gateway/signals/derived_signals.hpp"
#include "gateway/store/outbox.hpp"
#include "gateway/vocabulary/reason.hpp"

namespace boost::asio {
class io_context;
}

namespace ketenpoort {

class ClientTls;  // gateway/http: the gateway's certificate as its own requests present it

// A sender system's wire format (adapters/<system>/). It knows the document's envelope
// (root element, version, encoding); what the fields mean is the mapping's business.
class InboundFormat {
 public:
  virtual ~InboundFormat() = default;
  virtual std::string_view name() const = 0;
  // The tree the mapper walks, or why the body is not a document of `flow` (naming the
  // problem, never the content).
  virtual std::variant<SourceNode, std::string> decode(const FlowDefinition& flow, std::string_view body) const = 0;
};

// What leaves the gateway for one recipient: only the delivered values. A format that
// makes a document for people (a case system's, ADR 0028) also names what was withheld
// and why (`fields`: never a value), who sent it and when, and whom it is about.
struct OutboundMessage {
  const FlowDefinition& flow;
  const std::string& transaction_id;
  const std::string& legal_basis;
  const std::vector<const CanonicalValue*>& delivered;
  const std::vector<FieldDecision>* fields = nullptr;
  const Party* sender = nullptr;
  std::string_view time_utc;  // RFC 3339
  const std::optional<SubjectKey>* subject = nullptr;
};

// A recipient system's wire format.
class OutboundFormat {
 public:
  virtual ~OutboundFormat() = default;
  virtual std::string_view contentType() const = 0;
  virtual std::string render(const OutboundMessage& message) const = 0;
  // What the exchange log records of where a message in this format goes besides an
  // endpoint (ExchangeRecord::delivered_into), from its transaction id; "" for none.
  virtual std::string deliveredInto(const std::string& /*transaction_id*/) const { return {}; }
};

// Hands one message to a recipient's endpoint, asynchronously: deliver() starts the
// attempt and returns at once (it never blocks), `done` runs once, on any thread, with
// the outcome. A network channel runs on the gateway's network threads, opened by the
// server before the first delivery and closed after the network stopped. It presents
// `gateway_tls`'s current certificate (renewed without a restart).
struct DeliveryAttempt {
  bool delivered = false;
  std::string error;  // transport error or "http-<status>"; never a body
  // Why it failed: the recipient (a channel's failures), or the gateway's own reason.
  Reason failure = Reason::kRecipientFailed;

  // What the outbox keeps as the entry's last error.
  std::string lastError() const { return error.empty() ? std::string(reasonName(failure)) : error; }
};
class DeliveryChannel {
 public:
  using Done = std::function<void(DeliveryAttempt)>;
  virtual ~DeliveryChannel() = default;
  virtual void open(boost::asio::io_context& /*network*/, const std::shared_ptr<const ClientTls>& /*gateway_tls*/) {}
  virtual void close() {}
  virtual void deliver(const std::string& url, const OutboxEntry& entry, std::string_view content_type,
                       std::shared_ptr<const std::string> body, Done done) = 0;
};

// Hands one message to a recipient's case system in steps (ADR 0028: zaak, rol,
// documents, links), as `target` configures it. Each step that succeeded is recorded in
// the outbox entry through `record_step` (its state as the channel writes it) before the
// next begins; an attempt after a crash starts from `entry.channel_state`. Asynchronous
// as DeliveryChannel: deliver() returns at once, `done` runs once.
class CaseSystemChannel {
 public:
  using Done = DeliveryChannel::Done;
  using RecordStep = std::function<void(std::string channel_state, std::function<void(bool recorded)>)>;
  virtual ~CaseSystemChannel() = default;
  virtual void open(boost::asio::io_context& /*network*/, const std::shared_ptr<const ClientTls>& /*gateway_tls*/) {}
  virtual void close() {}
  virtual void deliver(const ZgwTarget& target, const OutboxEntry& entry, std::shared_ptr<const std::string> body,
                       RecordStep record_step, Done done) = 0;
};

// A source system the gateway asks on a recipient's behalf (query flows, and the data a
// derived flow is computed from). Blocking, bounded by `timeout`; runs on the gateway's
// query threads, never on a network thread.
struct SourceReply {
  enum class Outcome { kAnswered, kNotFound, kUnreachable, kTimeout, kError };
  Outcome outcome = Outcome::kError;
  std::string body;   // when answered: the document as the source sent it
  std::string error;  // otherwise: transport error or "http-<status>"; never a body
};
class SourceSystem {
 public:
  virtual ~SourceSystem() = default;
  // Before the first question: the gateway's certificate as it presents it (kept current).
  virtual void open(const std::shared_ptr<const ClientTls>& /*gateway_tls*/) {}
  // One person's document for `flow` from the source's endpoint `url`.
  virtual SourceReply fetchPerson(const std::string& url, const std::string& flow_id, const std::string& bsn,
                                  const std::string& transaction_id, std::chrono::milliseconds timeout) = 0;
  // Every person the source knows in one gemeente (e.g. DUO's monthly ELIP overview),
  // each as the source document of `flow_id`.
  virtual std::variant<std::vector<SourceNode>, SourceReply> fetchGemeente(const std::string& url,
                                                                           const std::string& flow_id,
                                                                           const std::string& gemeente_cbs,
                                                                           const std::string& transaction_id,
                                                                           std::chrono::milliseconds timeout) = 0;
};

// Where ELIP signals come from (adapters/duo): the source's overview of a gemeente's
// persons, each mapped with personFlow(); from each mapped record what the ELIP criteria
// need; a candidate told as a document of signalFlow(). The pipeline runs the criteria,
// the policy and the log, and names no system and no field of one.
class ElipSignalSource {
 public:
  struct Person {
    bool wi2021 = false;     // under the Wet inburgering 2021 (else: counted only)
    std::string law_regime;  // as the record states it, for the signal
    ElipInput input;
  };
  virtual ~ElipSignalSource() = default;
  virtual std::string_view signalFlow() const = 0;
  virtual std::string_view personFlow() const = 0;
  // What one person's record says; nullopt when it lacks something the criteria need
  // (the person is then counted as unreadable, never guessed at).
  virtual std::optional<Person> person(const CanonicalRecord& record) const = 0;
  // The signal about a candidate, as a document of signalFlow().
  virtual SourceNode signalDocument(const std::string& signal_root, const SubjectKey& subject, const Person& person,
                                    const ElipAssessment& assessment) const = 0;
};

// The adapters a gateway runs with: inbound formats by flow, outbound formats by the
// recipient's role, and the channel to endpoints. Built by the composition root (server,
// demo), so the exchange pipeline never names a particular system.
struct ExchangeAdapters {
  std::map<std::string, std::shared_ptr<const InboundFormat>, std::less<>> inbound_by_flow;
  std::map<PartyRole, std::shared_ptr<const OutboundFormat>> outbound_by_role;
  std::shared_ptr<DeliveryChannel> channel;
  // A gemeente's case system (<zgw> in its party's configuration): the package made at
  // push time and the channel that delivers it. None: such a party is refused.
  std::shared_ptr<const OutboundFormat> case_system_format;
  std::shared_ptr<CaseSystemChannel> case_system;
  std::map<std::string, std::shared_ptr<SourceSystem>, std::less<>> source_by_flow;
  std::shared_ptr<const ElipSignalSource> elip;  // none: no ELIP routes
};

// The envelope every XML wire format shares: a body, well-formed without DOCTYPE or
// entities, whose root is the flow's source root. The error names the problem only.
std::variant<SourceNode, std::string> decodeXmlEnvelope(const FlowDefinition& flow, std::string_view body);

// The endpoint URL a party has for a flow ("*" matches every flow), or "" for postbus.
std::string endpointFor(const Party& party, std::string_view flow_id);
// Whether the gateway takes `flow_id` to the party (an endpoint or its case system), or
// leaves it in the party's postbus.
bool deliveredToParty(const Party& party, std::string_view flow_id);
// The format `recipient` gets `flow_id` in: its case system's when it configured one for
// the flow, else its role's; nullptr when the gateway has none.
const OutboundFormat* outboundFormatFor(const ExchangeAdapters& adapters, const Party& recipient,
                                        std::string_view flow_id);

}  // namespace ketenpoort
