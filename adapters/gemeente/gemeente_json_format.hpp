#pragma once

#include "gateway/exchange/exchange_adapters.hpp"

namespace ketenpoort {

// What a gemeente's system receives (docs/adapters/gemeente.md): one JSON document with
// the transaction id, flow and legal basis, and under "gegevens" only the delivered
// fields, nested by their canonical paths ("gezin.leden[1].relatie" becomes
// {"gezin": {"leden": [.., {"relatie": ..}]}}). Booleans and whole numbers are JSON
// booleans and numbers; everything else, amounts included, stays a string as sent.
class GemeenteJsonFormat final : public OutboundFormat {
 public:
  std::string_view contentType() const override { return "application/json"; }
  std::string render(const OutboundMessage& message) const override;
};

}  // namespace ketenpoort
