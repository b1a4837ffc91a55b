#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "gateway/exchange/exchange_adapters.hpp"

namespace ketenpoort {

// The outbox body for a gemeente that takes a flow into its case system (ADR 0028): a
// ZgwPackage made at push time, where the policy's decision is at hand — the readable
// document (the delivered fields by their Dutch labels, the withheld ones by label and
// reason only), the machine-readable JSON as `machine` renders it (the gemeente JSON), the
// person as the rol names them (BSN, or the V-nummer without one), the title and the
// vertrouwelijkheidaanduiding of the flow's mapping. Knows no HTTP: the channel does.
class ZgwPackageFormat final : public OutboundFormat {
 public:
  explicit ZgwPackageFormat(std::shared_ptr<const OutboundFormat> machine) : machine_(std::move(machine)) {}
  std::string_view contentType() const override { return "application/vnd.ketenpoort.zgw-package+json"; }
  // Throws std::invalid_argument when the message names no person or its transaction id is
  // not a UUID (every exchange's is): a zaak needs both.
  std::string render(const OutboundMessage& message) const override;
  // "zgw KTP-<32 hex>": the zaak's identificatie, in the exchange log's record.
  std::string deliveredInto(const std::string& transaction_id) const override;

 private:
  std::shared_ptr<const OutboundFormat> machine_;
};

// A canonical path's label for people: the field's Dutch label, with the position of each
// repeated element counted from 1, after the group the label names ("Gezinslid 2:
// voornamen"), else at the end ("Andere activiteiten voorinburgering 1"). Never a value.
std::string labelOfPath(const FieldDefinition& field, std::string_view path);

}  // namespace ketenpoort
