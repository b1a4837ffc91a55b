#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "gateway/calendar/civil_date.hpp"
#include "gateway/config/gateway_config.hpp"
#include "gateway/mapping/field_dictionary.hpp"

namespace ketenpoort {

// push: the sender calls the gateway with a document. query: a recipient asks, the
// gateway fetches the document from the source system. derived: the gateway computes the
// document itself from data it was given (e.g. an ELIP signal from DUO data).
enum class FlowKind { kPush, kQuery, kDerived };

// The AVG art. 6 ground: a legal task (e), a legal obligation (c), or consent (a).
enum class BasisKind { kWettelijkeTaak, kWettelijkeVerplichting, kToestemming };

// Which law regime the data subject must be under for the flow to have a basis.
enum class RegimeRule { kAny, kWi2021, kWi2021OrConsent };

std::string_view toString(FlowKind kind);
std::string_view toString(BasisKind kind);
std::string_view toString(RegimeRule rule);

// Permits from this date fall under the Wet inburgering 2021.
inline constexpr CivilDate kWi2021Start{std::chrono::year(2022), std::chrono::January, std::chrono::day(1)};

// One <map from="persoon/bsn" to="persoon.bsn"/>: a path into the sender's document and
// the canonical field it fills. "[]" marks repetition on both sides, in the same number.
struct SourceMapping {
  std::string from;
  std::string to;
  const FieldDefinition* field = nullptr;
  int line = 0;
};

// The source paths compiled into a tree, so one walk over a document maps all of it.
struct SourcePathNode {
  std::string name;       // element name, or "@attr" for an XML attribute
  bool repeated = false;  // "name[]"
  int mapping = -1;       // index into FlowDefinition::mappings when this is a value
  std::vector<int> children;
};

struct AllowedField {
  const FieldDefinition* field = nullptr;
  bool needs_consent = false;  // delivered only under an active consent for the flow's purpose
  std::string art9_exception;  // required, with its citation, for a special:* field
  int line = 0;
};

struct RecipientRule {
  PartyRole role;
  std::vector<AllowedField> allowed;
  // index: FieldDefinition::index → position in `allowed`, or -1.
  std::vector<int> allowed_by_field;

  const AllowedField* find(const FieldDefinition& field) const {
    const int at = field.index < allowed_by_field.size() ? allowed_by_field[field.index] : -1;
    return at < 0 ? nullptr : &allowed[static_cast<std::size_t>(at)];
  }
};

// How long the registries keep a koppeling or consent after it ended (ADR 0020). A log
// record names the consent or koppeling it relied on, made while it was in force; keeping
// the ended row this long lets every record kept explain its basis, so no flow may keep
// its records longer (the mapping loader refuses it).
inline constexpr CalendarPeriod kRegistryHistoryRetention{7, 0, 0};
inline constexpr std::string_view kRegistryHistoryRetentionText = "P7Y";

struct FlowDefinition {
  std::string id;       // "coa.klantprofiel"
  std::string version;  // of the mapping file
  FlowKind kind = FlowKind::kPush;
  std::string description;
  // The message as a document in a gemeente's case system (the ZGW channel): its title
  // for the consulent, in Dutch, and its ZGW vertrouwelijkheidaanduiding.
  std::string document_title;
  std::string confidentiality;
  std::vector<PartyRole> sender_roles;  // who supplies the document
  std::vector<RecipientRule> recipients;

  std::string purpose_id;  // what the X-Doelbinding header must say
  std::string purpose_description;
  std::string purpose_in_dutch;  // for the officer and the person, plain Dutch (the console)
  BasisKind basis_kind = BasisKind::kWettelijkeTaak;
  std::string basis_article;

  // Conditions.
  bool koppeling_required = false;
  // koppeling="move" (a herkoppeling): the record moves the person's koppeling to the
  // gemeente `koppeling_field` names, from `koppeling_date_field`; the person must be
  // gekoppeld already, and the date may not lie before the current koppeling's start.
  bool koppeling_moves = false;
  const FieldDefinition* koppeling_field = nullptr;  // the record states the gemeente itself
  // The date the koppeling the record states took effect (else: the day it arrives).
  const FieldDefinition* koppeling_date_field = nullptr;
  RegimeRule regime = RegimeRule::kAny;
  const FieldDefinition* regime_field = nullptr;  // a date (permit) or the regime enum
  bool agreement_required = false;
  bool consent_required = false;

  // The data subject: the first of these fields present in the record.
  std::vector<const FieldDefinition*> subject_fields;

  std::string source_format;  // "xml" or "json"
  std::string source_root;    // the document's root element
  std::vector<SourceMapping> mappings;
  std::vector<SourcePathNode> source_tree;  // [0] is the root

  CalendarPeriod retention;    // at most kRegistryHistoryRetention
  std::string retention_text;  // as written, e.g. "P7Y"

  std::filesystem::path file;
  int line = 0;

  const RecipientRule* recipientRule(PartyRole role) const {
    for (const auto& r : recipients) {
      if (r.role == role) return &r;
    }
    return nullptr;
  }
  bool mayBeSentBy(PartyRole role) const {
    for (auto r : sender_roles) {
      if (r == role) return true;
    }
    return false;
  }
};

// Everything under the mappings directory, validated.
class MappingCatalogue {
 public:
  FieldDictionary fields;
  std::vector<std::unique_ptr<FlowDefinition>> flows;  // stable addresses

  const FlowDefinition* findFlow(std::string_view id) const {
    for (const auto& f : flows) {
      if (f->id == id) return f.get();
    }
    return nullptr;
  }
  // A purpose of the flows in plain Dutch (<purpose nl>); nullptr for one no flow serves.
  const std::string* purposeInDutch(std::string_view purpose_id) const {
    for (const auto& f : flows) {
      if (f->purpose_id == purpose_id) return &f->purpose_in_dutch;
    }
    return nullptr;
  }
};

}  // namespace ketenpoort
