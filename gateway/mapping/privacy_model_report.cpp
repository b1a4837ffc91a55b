#include "gateway/mapping/privacy_model_report.hpp"

#include <set>
#include <sstream>

namespace ketenpoort {
namespace {

std::string roles(const std::vector<PartyRole>& list) {
  std::string out;
  for (auto r : list) out += (out.empty() ? "" : ", ") + std::string(toString(r));
  return out;
}

std::string oneLine(const std::string& text) {
  std::string out;
  bool space = false;
  for (char c : text) {
    if (c == '\n' || c == '\r' || c == '\t' || c == ' ') {
      space = !out.empty();
      continue;
    }
    if (space) out += ' ';
    space = false;
    out += c == '|' ? '/' : c;
  }
  return out;
}

std::string conditions(const FlowDefinition& f) {
  std::string out = "koppeling: ";
  if (f.koppeling_moves) {
    out += "moves the person's koppeling to the gemeente the message names (`" + f.koppeling_field->id +
           "`), the recipient, from `" + f.koppeling_date_field->id +
           "`: the person must be gekoppeld already, a date before the koppeling in force is refused "
           "(koppeling-conflict), and what waited for the old gemeente is withdrawn";
  } else if (!f.koppeling_required) {
    out += "not required";
  } else if (f.koppeling_field) {
    out += "the recipient must be the gemeente the message names (`" + f.koppeling_field->id + "`)";
  } else {
    out += "the recipient must be the gemeente the person is gekoppeld to (registry)";
  }
  out += "; law regime: ";
  switch (f.regime) {
    case RegimeRule::kAny:
      out += "any";
      break;
    case RegimeRule::kWi2021:
      out += "Wet inburgering 2021 only (by `" + f.regime_field->id + "`)";
      break;
    case RegimeRule::kWi2021OrConsent:
      out += "Wet inburgering 2021, or the person's consent (by `" + f.regime_field->id + "`)";
      break;
  }
  out += "; agreement: ";
  out += f.agreement_required ? "a valid agreement for this purpose between sender and gemeente" : "not required";
  out += "; consent: ";
  out += f.consent_required ? "an active consent of the person for this purpose and recipient" : "not required";
  return out;
}

std::string withheldReason(const FieldDefinition& field) {
  if (field.isSpecial()) {
    return "Special category (" + field.category +
           ", AVG art. 9): forbidden unless an exception of art. 9 lid 2 applies; this flow "
           "cites none." +
           (field.category == "special:health"
                ? " Between COA and gemeente no medical data at all (Wi2021 art. 37 lid 2)."
                : "");
  }
  return "Not among the fields the legal basis of this flow covers: withheld by default.";
}

}  // namespace

std::string renderPrivacyModel(const MappingCatalogue& catalogue) {
  std::ostringstream out;
  out << "# Privacy model\n\n"
         "<!-- Generated from mappings/ by `build/ketenpoort privacy-model --mappings mappings`.\n"
         "     Do not edit by hand: a test fails when this file and the mappings disagree. -->\n\n"
         "What each flow of the inburgering chain may carry, to whom, for which purpose and on\n"
         "which legal basis, and what the gateway withholds. This is what the gateway enforces:\n"
         "it is generated from the same mapping files the gateway loads.\n\n"
         "## How the gateway decides\n\n"
         "An exchange is refused as a whole, with one reason, when:\n\n"
         "| Reason | When |\n|---|---|\n"
         "| `flow-not-allowed` | the sender's role may not send the flow, or the recipient's role does not receive it "
         "|\n"
         "| `purpose-mismatch` | the purpose stated in `X-Doelbinding` is not the flow's purpose |\n"
         "| `invalid-message` | the message does not parse, a value has the wrong type, a BSN fails the elfproef, or "
         "the message names no data subject |\n"
         "| `no-agreement` | the flow needs an agreement and the sender has none valid today with that gemeente for "
         "this purpose |\n"
         "| `law-regime` | the flow needs the Wet inburgering 2021 and the person's permit predates 1 January 2022 (or "
         "the regime cannot be established) |\n"
         "| `no-koppeling` | the person is not gekoppeld to the receiving gemeente |\n"
         "| `no-consent` | the flow rests on consent and there is no active consent (granted, not expired, not "
         "withdrawn) for this purpose and recipient |\n\n"
         "Otherwise every field is decided on its own. A field passes only when the recipient's\n"
         "list names it. It is withheld, and the withholding recorded, with:\n\n"
         "| Reason | When |\n|---|---|\n"
         "| `not-permitted` | the field is not on the recipient's list for this flow |\n"
         "| `special-category` | the field is a special category (AVG art. 9: health, religion, ethnicity; art. 10: "
         "criminal) |\n"
         "| `no-consent` | the field is on the list only under the person's consent, and there is none |\n"
         "| `not-mapped` | the message carried something the mapping does not know |\n\n"
         "A special-category field can be put on a recipient's list only together with the\n"
         "exception of AVG art. 9 lid 2 it rests on; the gateway refuses to start otherwise. No\n"
         "flow below does so.\n";

  for (const auto& flow_ptr : catalogue.flows) {
    const FlowDefinition& f = *flow_ptr;
    out << "\n## `" << f.id << "` (version " << f.version << ", " << toString(f.kind) << ")\n\n"
        << oneLine(f.description) << "\n\n"
        << "| | |\n|---|---|\n"
        << "| Sender | " << roles(f.sender_roles) << " |\n";
    std::vector<PartyRole> recipient_roles;
    for (const auto& r : f.recipients) recipient_roles.push_back(r.role);
    out << "| Recipient | " << roles(recipient_roles) << " |\n"
        << "| Purpose | `" << f.purpose_id << "`: " << oneLine(f.purpose_description) << " |\n"
        << "| Legal basis | " << toString(f.basis_kind) << ": " << oneLine(f.basis_article) << " |\n"
        << "| Conditions | " << conditions(f) << " |\n"
        << "| Log records kept | " << f.retention_text << " |\n";
    for (const RecipientRule& rule : f.recipients) {
      out << "\n### Passes to " << toString(rule.role) << "\n\n"
          << "| Field | Category | Meaning | Legal source |\n|---|---|---|---|\n";
      for (const AllowedField& a : rule.allowed) {
        std::string source = oneLine(f.basis_article);
        if (a.needs_consent) source = "only with the person's consent for `" + f.purpose_id + "`";
        if (!a.art9_exception.empty()) source += "; " + a.art9_exception;
        out << "| `" << a.field->id << "` | " << a.field->category << " | " << oneLine(a.field->description) << " | "
            << source << " |\n";
      }
      out << "\n### Withheld from " << toString(rule.role) << "\n\n"
          << "| Field | Category | Why |\n|---|---|---|\n";
      std::set<const FieldDefinition*> listed;
      for (const SourceMapping& m : f.mappings) {
        if (rule.find(*m.field) || !listed.insert(m.field).second) continue;
        out << "| `" << m.field->id << "` | " << m.field->category << " | " << withheldReason(*m.field) << " |\n";
      }
      out << "| anything else in the message | — | Unknown to the mapping: never passed on "
             "(`not-mapped`). |\n";
    }
  }
  return out.str();
}

}  // namespace ketenpoort
