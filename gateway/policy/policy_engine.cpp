#include "gateway/policy/policy_engine.hpp"

namespace ketenpoort {
namespace {

PolicyDecision refuse(Reason reason, std::string detail) {
  PolicyDecision d;
  d.allowed = false;
  d.reason = reason;
  d.detail = std::move(detail);
  return d;
}

// Whether the subject falls under the Wet inburgering 2021; nullopt when the record
// does not say.
std::optional<bool> underWi2021(const FlowDefinition& flow, const CanonicalRecord& record) {
  const CanonicalValue* value = record.first(flow.regime_field);
  if (!value) return std::nullopt;
  if (flow.regime_field->type == FieldType::kDate) {
    const auto date = parseIsoDate(value->value);
    if (!date) return std::nullopt;
    return *date >= kWi2021Start;
  }
  return value->value == "wi2021";
}

}  // namespace

std::optional<SubjectKey> subjectOf(const FlowDefinition& flow, const CanonicalRecord& record) {
  for (const FieldDefinition* field : flow.subject_fields) {
    if (const CanonicalValue* v = record.first(field)) {
      return SubjectKey{field->type == FieldType::kBsn ? SubjectKey::Kind::kBsn : SubjectKey::Kind::kVnummer, v->value};
    }
  }
  return std::nullopt;
}

std::vector<SubjectKey> subjectIdentifiers(const FlowDefinition& flow, const CanonicalRecord& record) {
  std::vector<SubjectKey> out;
  for (const FieldDefinition* field : flow.subject_fields) {
    if (const CanonicalValue* v = record.first(field)) {
      out.push_back({field->type == FieldType::kBsn ? SubjectKey::Kind::kBsn : SubjectKey::Kind::kVnummer, v->value});
    }
  }
  return out;
}

PolicyDecision PolicyEngine::decide(const PolicyRequest& request) const { return decide(request, Stage::kDocument); }

PolicyDecision PolicyEngine::mayAsk(const Party& caller, const FlowDefinition& flow, std::string_view stated_purpose,
                                    const std::string& subject_value, const CivilDate& date) const {
  MappingOutcome asked;
  if (flow.subject_fields.empty()) return refuse(Reason::kInvalidMessage, "the flow names no subject");
  asked.record.values.push_back({flow.subject_fields.front(), flow.subject_fields.front()->id, subject_value});
  return decide({caller, flow, stated_purpose, asked, caller, date}, Stage::kBeforeFetch);
}

// NOLINTNEXTLINE(readability-function-size,readability-function-cognitive-complexity): older than the gate (issue 26); split it, never grow it
PolicyDecision PolicyEngine::decide(const PolicyRequest& request, Stage stage) const {
  const FlowDefinition& flow = request.flow;
  const Party& caller = request.caller;
  const Party& recipient = request.recipient;
  const std::string flow_name = "flow " + flow.id;

  // Who may start this exchange: the sender of a push, the asker of a query.
  const bool caller_may =
      flow.kind == FlowKind::kQuery ? flow.recipientRule(caller.role) != nullptr : flow.mayBeSentBy(caller.role);
  if (!caller_may) {
    return refuse(Reason::kFlowNotAllowed,
                  "role " + std::string(toString(caller.role)) + " may not start " + flow_name);
  }
  const RecipientRule* rule = flow.recipientRule(recipient.role);
  if (!rule) {
    return refuse(Reason::kFlowNotAllowed,
                  "role " + std::string(toString(recipient.role)) + " does not receive " + flow_name);
  }
  if (request.stated_purpose != flow.purpose_id) {
    return refuse(Reason::kPurposeMismatch,
                  request.stated_purpose.empty()
                      ? "X-Doelbinding is missing; " + flow_name + " serves purpose " + flow.purpose_id
                      : flow_name + " serves purpose " + flow.purpose_id + ", not the stated one");
  }
  const CanonicalRecord& record = request.mapped.record;
  if (!request.mapped.ok()) {
    std::string detail = request.mapped.errors.front();
    if (request.mapped.errors.size() > 1) {
      detail += " (and " + std::to_string(request.mapped.errors.size() - 1) + " more)";
    }
    return refuse(Reason::kInvalidMessage, std::move(detail));
  }

  PolicyDecision decision;
  decision.subject = subjectOf(flow, record);
  if (!decision.subject) {
    return refuse(Reason::kInvalidMessage, "the message does not identify its data subject");
  }
  const SubjectKey& subject = *decision.subject;
  // Every identifier must lead to the same person: a BSN and a V-nummer the registry
  // links to others would let the message borrow one person's koppeling or consent for
  // another.
  const std::vector<SubjectKey> ids = subjectIdentifiers(flow, record);
  {
    const SubjectKey* bsn = nullptr;
    const SubjectKey* vnummer = nullptr;
    for (const SubjectKey& id : ids) {
      if (id.kind == SubjectKey::Kind::kBsn && !bsn) bsn = &id;
      if (id.kind == SubjectKey::Kind::kVnummer && !vnummer) vnummer = &id;
    }
    if (bsn && vnummer) {
      switch (registries_.identities.linkOf(bsn->value, vnummer->value)) {
        case IdentityRegistry::Link::kConflict:
          return refuse(Reason::kIdentityConflict, "the message's BSN and V-nummer are linked to different persons");
        case IdentityRegistry::Link::kUnknown:
          decision.identity_link.emplace(bsn->value, vnummer->value);
          break;
        case IdentityRegistry::Link::kLinked:
          break;
      }
    }
  }
  const auto findConsent = [&] {
    return registries_.consents.findActive(subject, flow.purpose_id, recipient.oin, request.date);
  };

  if (flow.agreement_required) {
    // The agreement binds the non-gemeente party to the gemeente it exchanges with.
    const Party& gemeente = recipient.role == PartyRole::kGemeente ? recipient : caller;
    const Party& counterpart = &gemeente == &recipient ? caller : recipient;
    if (!gemeente.cbs_code) {
      return refuse(Reason::kNoAgreement, flow_name + " needs an agreement with a gemeente");
    }
    decision.agreement_id =
        registries_.agreements.findValid(counterpart.id, flow.purpose_id, *gemeente.cbs_code, request.date);
    if (!decision.agreement_id) {
      return refuse(Reason::kNoAgreement, counterpart.id + " has no agreement valid today with " + gemeente.id +
                                              " for purpose " + flow.purpose_id);
    }
  }

  // Before a fetch the regime is unknown: it is the source's to say, decided on its answer.
  if (flow.regime != RegimeRule::kAny && stage == Stage::kDocument) {
    const auto wi2021 = underWi2021(flow, record);
    if (!wi2021) {
      return refuse(Reason::kLawRegime,
                    "the law regime cannot be established: " + flow.regime_field->id + " is absent");
    }
    if (!*wi2021) {
      if (flow.regime == RegimeRule::kWi2021) {
        return refuse(Reason::kLawRegime, "the person falls under the Wet inburgering 2013; " + flow_name +
                                              " has a basis only under the Wet inburgering 2021");
      }
      decision.consent_id = findConsent();
      if (!decision.consent_id) {
        return refuse(Reason::kNoConsent, "the person falls under the Wet inburgering 2013; " + flow_name +
                                              " then needs the person's consent");
      }
    }
  }

  if (flow.koppeling_moves) {
    // A herkoppeling: the person is gekoppeld somewhere today; the message moves the
    // koppeling to the gemeente it names, which is its recipient, from the day it names.
    const CanonicalValue* to = record.first(flow.koppeling_field);
    const CanonicalValue* from = flow.koppeling_date_field ? record.first(flow.koppeling_date_field) : nullptr;
    const auto from_date = from ? parseIsoDate(from->value) : std::nullopt;
    if (!to || !from_date) {
      return refuse(Reason::kInvalidMessage, flow_name + " names the new gemeente and the day the koppeling moves");
    }
    if (*from_date > request.date) {
      return refuse(Reason::kInvalidMessage, "a herkoppeling is reported once it holds: its date lies ahead");
    }
    if (recipient.role != PartyRole::kGemeente || recipient.cbs_code != to->value) {
      return refuse(Reason::kNoKoppeling, "the recipient of " + flow_name + " is the gemeente the person moves to");
    }
    std::optional<KoppelingInForce> current;
    for (const SubjectKey& id : ids) {
      auto found = registries_.koppeling.koppelingOf(id, request.date);
      if (!found) continue;
      if (current && current->gemeente_cbs_code != found->gemeente_cbs_code) {
        return refuse(Reason::kNoKoppeling, "the message's identifiers are gekoppeld to different gemeenten");
      }
      if (!current || found->valid_from > current->valid_from) current = std::move(found);
    }
    if (!current) {
      return refuse(Reason::kNoKoppeling,
                    "the person is not gekoppeld to any gemeente: a first koppeling comes with the klantprofiel");
    }
    if (*from_date < current->valid_from) {
      return refuse(Reason::kKoppelingConflict, "the herkoppeling is dated before the koppeling in force began (" +
                                                    formatIsoDate(current->valid_from) + ")");
    }
    decision.registered_koppeling = current->gemeente_cbs_code;
    decision.moved_koppeling = KoppelingInForce{to->value, *from_date};
  }

  if (flow.koppeling_required) {
    if (recipient.role != PartyRole::kGemeente || !recipient.cbs_code) {
      return refuse(Reason::kNoKoppeling, "only the gekoppelde gemeente receives " + flow_name);
    }
    std::optional<std::string> gekoppeld;
    if (flow.koppeling_field) {
      if (const CanonicalValue* v = record.first(flow.koppeling_field)) gekoppeld = v->value;
      // A koppeling the registry already holds wins over what a message claims: a
      // profile cannot move a person to another gemeente.
      // Under any of the person's identifiers (not linked yet, each may have its own).
      std::optional<std::string> registered;
      for (const SubjectKey& id : ids) {
        const auto found = registries_.koppeling.gemeenteOf(id, request.date);
        if (!found) continue;
        if (registered && *registered != *found) {
          return refuse(Reason::kNoKoppeling, "the message's identifiers are gekoppeld to different gemeenten");
        }
        registered = found;
      }
      decision.registered_koppeling = registered;
      if (registered && gekoppeld && *registered != *gekoppeld) {
        return refuse(Reason::kNoKoppeling, "the person is gekoppeld to another gemeente than the message states");
      }
    } else {
      gekoppeld = registries_.koppeling.gemeenteOf(subject, request.date);
    }
    if (!gekoppeld) {
      return refuse(Reason::kNoKoppeling, "the person is not gekoppeld to any gemeente");
    }
    if (*gekoppeld != *recipient.cbs_code) {
      return refuse(Reason::kNoKoppeling, "the person is not gekoppeld to " + recipient.id);
    }
  }

  if (flow.consent_required && !decision.consent_id) {
    decision.consent_id = findConsent();
    if (!decision.consent_id) {
      return refuse(Reason::kNoConsent,
                    "no active consent of the person for purpose " + flow.purpose_id + " towards " + recipient.id);
    }
  }

  if (stage == Stage::kBeforeFetch) {
    decision.allowed = true;
    decision.retention_until = addPeriod(request.date, flow.retention);
    return decision;
  }

  // Field by field: only what the recipient's list names passes; special categories
  // only with their cited exception (checked at load); consent-bound fields only under
  // consent; whatever the mapping did not know, never.
  std::optional<std::optional<std::string>> field_consent;  // looked up at most once
  decision.fields.reserve(record.values.size() + record.unmapped_paths.size());
  decision.delivered.reserve(record.values.size());
  for (const CanonicalValue& value : record.values) {
    FieldDecision fd{value.path, value.field, false, {}};
    const AllowedField* allowed = rule->find(*value.field);
    if (!allowed) {
      fd.reason = value.field->isSpecial() ? Reason::kSpecialCategory : Reason::kNotPermitted;
    } else if (allowed->needs_consent) {
      if (!field_consent) field_consent = decision.consent_id ? decision.consent_id : findConsent();
      if (*field_consent) {
        fd.delivered = true;
        if (!decision.consent_id) decision.consent_id = *field_consent;
      } else {
        fd.reason = Reason::kNoConsent;
      }
    } else {
      fd.delivered = true;
    }
    if (fd.delivered) decision.delivered.push_back(&value);
    decision.fields.push_back(fd);
  }
  for (const std::string& path : record.unmapped_paths) {
    decision.fields.push_back({path, nullptr, false, Reason::kNotMapped});
  }
  decision.allowed = true;
  decision.retention_until = addPeriod(request.date, flow.retention);
  return decision;
}

}  // namespace ketenpoort
