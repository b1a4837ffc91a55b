#include "adapters/zgw/zgw_format.hpp"

#include <stdexcept>

#include "adapters/zgw/readable_document.hpp"
#include "adapters/zgw/zgw_package.hpp"

namespace ketenpoort {

std::string labelOfPath(const FieldDefinition& field, std::string_view path) {
  // "Gezinslid: voornamen" of the second member reads "Gezinslid 2: voornamen".
  const std::size_t group_end = field.label.find(": ");
  std::string label = group_end == std::string::npos ? field.label : field.label.substr(0, group_end);
  for (std::size_t open = path.find('['); open != std::string_view::npos; open = path.find('[', open + 1)) {
    const std::size_t close = path.find(']', open);
    if (close == std::string_view::npos) break;
    std::size_t index = 0;
    for (const char c : path.substr(open + 1, close - open - 1)) {
      if (c < '0' || c > '9') break;
      index = index * 10 + static_cast<std::size_t>(c - '0');
    }
    label += " " + std::to_string(index + 1);
  }
  if (group_end != std::string::npos) label += field.label.substr(group_end);
  return label;
}

std::string ZgwPackageFormat::deliveredInto(const std::string& transaction_id) const {
  const auto identificatie = zgwIdentificatie(transaction_id);
  return identificatie ? "zgw " + *identificatie : std::string();
}

std::string ZgwPackageFormat::render(const OutboundMessage& m) const {
  ZgwPackage package;
  package.transaction_id = m.transaction_id;
  const auto identificatie = zgwIdentificatie(m.transaction_id);
  if (!identificatie) throw std::invalid_argument("a zaak needs a transaction id that is a UUID");
  package.identificatie = *identificatie;
  if (m.subject == nullptr || !m.subject->has_value()) {
    throw std::invalid_argument("a zaak needs the person it is about");
  }
  const SubjectKey& subject = **m.subject;
  (subject.kind == SubjectKey::Kind::kBsn ? package.bsn : package.vnummer) = subject.value;
  package.titel = m.flow.document_title;
  package.vertrouwelijkheidaanduiding = m.flow.confidentiality;

  ReadableDocument readable;
  readable.title = m.flow.document_title;
  readable.sender = m.sender ? m.sender->name : std::string();
  readable.purpose = m.flow.purpose_in_dutch;
  readable.legal_basis = m.legal_basis;
  readable.transaction_id = m.transaction_id;
  readable.sent_at = std::string(m.time_utc);
  for (const CanonicalValue* value : m.delivered) {
    readable.delivered.push_back({labelOfPath(*value->field, value->path), value->value});
  }
  if (m.fields != nullptr) {
    std::size_t unknown = 0;
    for (const FieldDecision& decision : *m.fields) {
      if (decision.delivered) continue;
      if (decision.field == nullptr) {
        ++unknown;  // the sender's own element names stay out: they are text from the message
        continue;
      }
      const std::string_view reason = reasonType(decision.reason.value_or(Reason::kNotPermitted)).dutch;
      readable.withheld.push_back({labelOfPath(*decision.field, decision.path), std::string(reason)});
    }
    if (unknown > 0) {
      readable.withheld.push_back({"Gegevens die de afspraken niet kennen (" + std::to_string(unknown) + ")",
                                   std::string(reasonType(Reason::kNotMapped).dutch)});
    }
  }
  package.readable_html = renderReadableDocument(readable);
  package.machine_json = machine_->render(m);
  return serializeZgwPackage(package);
}

}  // namespace ketenpoort
