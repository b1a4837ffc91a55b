#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace ketenpoort {

// One message as the ZGW channel delivers it (ADR 0028): made at push time by the ZGW
// format, kept as the outbox body, read by the channel at each attempt. Everything the
// case system gets is in it; the channel adds only what the gemeente configured (zaaktype,
// informatieobjecttype, roltype, RSIN).
struct ZgwPackage {
  std::string transaction_id;
  std::string identificatie;                // of the zaak; its documents add "-L" and "-J"
  std::string titel;                        // "Klantprofiel van COA"
  std::string vertrouwelijkheidaanduiding;  // from the flow's mapping
  std::string bsn;                          // the betrokkene: inpBsn …
  std::string vnummer;                      // … or, without a BSN, anpIdentificatie
  std::string readable_html;                // renderReadableDocument
  std::string machine_json;                 // the gemeente JSON, as an endpoint would get it
};

// The zaak's identificatie for a transaction: "KTP-" and the UUID's 32 hex digits, 36
// characters (the standard allows 40, so the documents' suffixes fit). From the transaction
// only: never the person's BSN or V-nummer, and the same at every attempt, so a case
// system that has it already says so. nullopt when `transaction_id` is not a UUID.
std::optional<std::string> zgwIdentificatie(std::string_view transaction_id);

// The package as the outbox keeps it (JSON; the two documents base64), and back. nullopt
// for bytes that are not a whole package: the entry cannot be delivered.
std::string serializeZgwPackage(const ZgwPackage& package);
std::optional<ZgwPackage> parseZgwPackage(std::string_view text);

}  // namespace ketenpoort
