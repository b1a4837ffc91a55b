#include "gateway/mapping/mapping_loader.hpp"

#include <algorithm>
#include <array>
#include <map>
#include <set>

#include "gateway/vocabulary/enum_names.hpp"

namespace ketenpoort {
namespace {

constexpr std::array<EnumName<FlowKind>, 3> kFlowKinds{
    {{FlowKind::kPush, "push"}, {FlowKind::kQuery, "query"}, {FlowKind::kDerived, "derived"}}};
constexpr std::array<EnumName<BasisKind>, 3> kBasisKinds{
    {{BasisKind::kWettelijkeTaak, "wettelijke-taak"},
     {BasisKind::kWettelijkeVerplichting, "wettelijke-verplichting"},
     {BasisKind::kToestemming, "toestemming"}}};
constexpr std::array<EnumName<RegimeRule>, 3> kRegimeRules{
    {{RegimeRule::kAny, "any"}, {RegimeRule::kWi2021, "wi2021"}, {RegimeRule::kWi2021OrConsent, "wi2021-or-consent"}}};

bool isFieldId(std::string_view id) {
  // segment ( "." segment )*, segment = [a-z0-9_]+ optionally followed by "[]"
  if (id.empty()) return false;
  std::size_t i = 0;
  while (i < id.size()) {
    const std::size_t start = i;
    while (i < id.size() && ((id[i] >= 'a' && id[i] <= 'z') || (id[i] >= '0' && id[i] <= '9') || id[i] == '_')) {
      ++i;
    }
    if (i == start) return false;
    if (id.substr(i).starts_with("[]")) i += 2;
    if (i == id.size()) return true;
    if (id[i] != '.') return false;
    ++i;
  }
  return false;
}

bool isFlowId(std::string_view id) {
  return !id.empty() && std::all_of(id.begin(), id.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.';
  });
}

std::size_t countRepeats(std::string_view s) {
  std::size_t n = 0;
  for (std::size_t at = s.find("[]"); at != std::string_view::npos; at = s.find("[]", at + 2)) ++n;
  return n;
}

std::vector<std::string> splitWords(std::string_view text) {
  std::vector<std::string> out;
  std::size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && text[i] == ' ') ++i;
    std::size_t j = i;
    while (j < text.size() && text[j] != ' ') ++j;
    if (j > i) out.emplace_back(text.substr(i, j - i));
    i = j;
  }
  return out;
}

// Reads fields.xml into the dictionary.
void loadDictionary(const std::filesystem::path& file, FieldDictionary& dictionary,
                    std::vector<ConfigProblem>& problems) {
  const auto content = readTextFile(file);
  if (!content) {
    problems.push_back({file.string(), 0, "cannot open the field dictionary"});
    return;
  }
  StrictXmlReader xml(*content, file.string());
  if (auto root = xml.parseRoot("fields")) {
    xml.checkElement(root, {"version"}, {}, {"field"});
    for (auto node : root.children("field")) {
      xml.checkElement(node, {"id", "label", "type", "category", "description"}, {"values"}, {});
      FieldDefinition field;
      field.id = node.attribute("id").value();
      field.label = node.attribute("label").value();
      if (field.label.size() > 80) xml.problem(node, "label is longer than 80 characters");
      field.category = node.attribute("category").value();
      field.description = node.attribute("description").value();
      field.line = xml.lineOf(node);
      if (!field.id.empty() && !isFieldId(field.id)) {
        xml.problem(node,
                    "field id \"" + field.id + "\" must be dotted lower-case segments, repeated groups as \"[]\"");
      }
      const auto type = parseFieldType(node.attribute("type").value());
      if (!type) {
        if (node.attribute("type")) {
          xml.problem(node, "unknown type \"" + std::string(node.attribute("type").value()) + "\"");
        }
      } else {
        field.type = *type;
      }
      if (!field.category.empty() && !isKnownCategory(field.category)) {
        xml.problem(node, "unknown AVG category \"" + field.category + "\"");
      }
      if (type == FieldType::kEnum) {
        field.enum_values = splitWords(node.attribute("values").value());
        if (field.enum_values.empty()) xml.problem(node, "an enum field needs values=\"a b c\"");
      } else if (node.attribute("values")) {
        xml.problem(node, "only an enum field has values");
      }
      const int line = field.line;
      const std::string id = field.id;
      if (!dictionary.add(std::move(field))) {
        xml.problemAtLine(line, "duplicate field \"" + id + "\"");
      }
    }
  }
  auto found = xml.takeProblems();
  problems.insert(problems.end(), found.begin(), found.end());
}

class FlowReader {
 public:
  FlowReader(const std::string& content, const std::filesystem::path& file, const FieldDictionary& dictionary)
      : xml_(content, file.string()), file_(file), dictionary_(dictionary) {}

  std::unique_ptr<FlowDefinition> read() {
    auto flow = std::make_unique<FlowDefinition>();
    flow->file = file_;
    auto root = xml_.parseRoot("flow");
    if (!root) return flow;
    flow->line = xml_.lineOf(root);
    xml_.checkElement(root, {"id", "version", "kind"}, {},
                      {"description", "document", "sender", "purpose", "basis", "conditions", "subject", "source",
                       "recipient", "retention"});
    flow->id = root.attribute("id").value();
    flow->version = root.attribute("version").value();
    if (!flow->id.empty() && !isFlowId(flow->id)) {
      xml_.problem(root, "flow id \"" + flow->id + "\" may hold only a-z, 0-9, '-', '.'");
    } else if (!flow->id.empty() && file_.stem() != flow->id) {
      xml_.problem(root, "flow \"" + flow->id + "\" must live in a file named " + flow->id + ".xml");
    }
    readNamed(root, "kind", kFlowKinds, flow->kind);
    if (auto d = xml_.single(root, "description", true)) {
      xml_.checkElement(d, {}, {}, {}, true);
      flow->description = d.text().get();
    }
    readDocument(xml_.single(root, "document", true), *flow);
    readSenders(root, *flow);
    readPurpose(xml_.single(root, "purpose", true), *flow);
    readBasis(xml_.single(root, "basis", true), *flow);
    readSubjects(root, *flow);
    readSource(xml_.single(root, "source", true), *flow);
    readConditions(xml_.single(root, "conditions", true), *flow);
    readRecipients(root, *flow);
    readRetention(xml_.single(root, "retention", true), *flow);
    return flow;
  }

  std::vector<ConfigProblem> takeProblems() { return xml_.takeProblems(); }

 private:
  // ZGW's vertrouwelijkheidaanduiding, least to most confidential.
  static constexpr std::array<std::string_view, 8> kConfidentiality{
      "openbaar",      "beperkt_openbaar", "intern", "zaakvertrouwelijk",
      "vertrouwelijk", "confidentieel",    "geheim", "zeer_geheim"};

  void readDocument(const pugi::xml_node& node, FlowDefinition& flow) {
    if (!node) return;
    xml_.checkElement(node, {"title", "confidentiality"}, {}, {});
    flow.document_title = node.attribute("title").value();
    flow.confidentiality = node.attribute("confidentiality").value();
    const auto level = std::find(kConfidentiality.begin(), kConfidentiality.end(), flow.confidentiality);
    if (!flow.confidentiality.empty() && level == kConfidentiality.end()) {
      xml_.problem(node,
                   "confidentiality must be a ZGW vertrouwelijkheidaanduiding, found \"" + flow.confidentiality + "\"");
    } else if (level != kConfidentiality.end() && level < kConfidentiality.begin() + 4) {
      // Every flow is about a person in or just out of an asylum procedure.
      xml_.problem(node, "confidentiality must be at least vertrouwelijk: the message is about a person");
    }
  }
  const FieldDefinition* fieldRef(const pugi::xml_node& node, const char* attr) {
    const std::string id = node.attribute(attr).value();
    if (id.empty()) return nullptr;
    const FieldDefinition* field = dictionary_.find(id);
    if (field == nullptr) xml_.problem(node, "field \"" + id + "\" is not in the field dictionary");
    return field;
  }

  std::optional<PartyRole> roleRef(const pugi::xml_node& node) {
    const std::string text = node.attribute("role").value();
    const auto role = parsePartyRole(text);
    if (!role && !text.empty()) xml_.problem(node, "unknown role \"" + text + "\"");
    return role;
  }

  void readSenders(const pugi::xml_node& root, FlowDefinition& flow) {
    for (auto node : root.children("sender")) {
      xml_.checkElement(node, {"role"}, {}, {});
      if (auto role = roleRef(node)) {
        if (flow.mayBeSentBy(*role)) xml_.problem(node, "sender role listed twice");
        flow.sender_roles.push_back(*role);
      }
    }
    if (!root.child("sender")) xml_.problem(root, "a flow needs at least one <sender role>");
  }

  void readPurpose(const pugi::xml_node& node, FlowDefinition& flow) {
    if (!node) return;
    xml_.checkElement(node, {"id", "nl"}, {}, {}, true);
    flow.purpose_id = node.attribute("id").value();
    flow.purpose_description = node.text().get();
    flow.purpose_in_dutch = node.attribute("nl").value();
    if (flow.purpose_description.empty()) xml_.problem(node, "<purpose> needs a description text");
    if (flow.purpose_in_dutch.empty()) xml_.problem(node, "<purpose nl> says the purpose in plain Dutch");
  }

  void readBasis(const pugi::xml_node& node, FlowDefinition& flow) {
    if (!node) return;
    xml_.checkElement(node, {"kind", "article"}, {}, {});
    readNamed(node, "kind", kBasisKinds, flow.basis_kind);
    flow.basis_article = node.attribute("article").value();
  }

  void readSubjects(const pugi::xml_node& root, FlowDefinition& flow) {
    for (auto node : root.children("subject")) {
      xml_.checkElement(node, {"field"}, {}, {});
      if (const FieldDefinition* f = fieldRef(node, "field")) {
        if (f->type != FieldType::kBsn && f->type != FieldType::kVnummer) {
          xml_.problem(node, "a subject field must be of type bsn or vnummer");
        }
        flow.subject_fields.push_back(f);
      }
    }
    if (!root.child("subject")) xml_.problem(root, "a flow needs at least one <subject field>");
  }

  // Splits "gezin/lid[]/relatie" into tree nodes, creating them as needed.
  int addSourcePath(FlowDefinition& flow, const pugi::xml_node& node, const std::string& path) {
    int current = 0;
    std::size_t i = 0;
    while (i <= path.size()) {
      std::size_t j = path.find('/', i);
      if (j == std::string::npos) j = path.size();
      std::string segment = path.substr(i, j - i);
      bool repeated = false;
      if (segment.ends_with("[]")) {
        repeated = true;
        segment.resize(segment.size() - 2);
      }
      const bool valid =
          !segment.empty() &&
          std::all_of(segment.begin() + (segment[0] == '@' ? 1 : 0), segment.end(),
                      [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-'; }) &&
          segment != "@";
      if (!valid) {
        xml_.problem(node, "source path \"" + path + "\" has an empty or malformed segment");
        return -1;
      }
      int next = -1;
      for (int child : flow.source_tree[static_cast<std::size_t>(current)].children) {
        if (flow.source_tree[static_cast<std::size_t>(child)].name == segment) next = child;
      }
      if (next < 0) {
        flow.source_tree.push_back({segment, repeated, -1, {}});
        next = static_cast<int>(flow.source_tree.size() - 1);
        flow.source_tree[static_cast<std::size_t>(current)].children.push_back(next);
      } else if (flow.source_tree[static_cast<std::size_t>(next)].repeated != repeated) {
        std::string message = "source path \"";
        message.append(path).append("\" uses \"").append(segment).append("\" both repeated and single");
        xml_.problem(node, message);
        return -1;
      }
      current = next;
      i = j + 1;
    }
    return current;
  }

  void readSource(const pugi::xml_node& node, FlowDefinition& flow) {
    flow.source_tree.push_back({"", false, -1, {}});
    if (!node) return;
    xml_.checkElement(node, {"format", "root"}, {}, {"map"});
    flow.source_format = node.attribute("format").value();
    flow.source_root = node.attribute("root").value();
    if (!flow.source_format.empty() && flow.source_format != "xml" && flow.source_format != "json") {
      xml_.problem(node, "source format must be xml or json");
    }
    std::set<const FieldDefinition*> targets;
    for (auto map : node.children("map")) {
      xml_.checkElement(map, {"from", "to"}, {}, {});
      SourceMapping m{map.attribute("from").value(), map.attribute("to").value(), nullptr, xml_.lineOf(map)};
      m.field = fieldRef(map, "to");
      if (m.from.empty() || !m.field) continue;
      if (countRepeats(m.from) != countRepeats(m.to)) {
        xml_.problem(map, "\"" + m.from + "\" and \"" + m.to + "\" must repeat (\"[]\") the same number of times");
        continue;
      }
      if (!targets.insert(m.field).second) {
        xml_.problem(map, "field \"" + m.to + "\" is mapped twice");
        continue;
      }
      const int at = addSourcePath(flow, map, m.from);
      if (at < 0) continue;
      auto& path_node = flow.source_tree[static_cast<std::size_t>(at)];
      if (path_node.mapping >= 0) {
        xml_.problem(map, "source path \"" + m.from + "\" is mapped twice");
        continue;
      }
      path_node.mapping = static_cast<int>(flow.mappings.size());
      flow.mappings.push_back(std::move(m));
    }
    for (const auto& path_node : flow.source_tree) {
      if (path_node.mapping >= 0 && !path_node.children.empty()) {
        xml_.problemAtLine(flow.mappings[static_cast<std::size_t>(path_node.mapping)].line,
                           "source path \"" + flow.mappings[static_cast<std::size_t>(path_node.mapping)].from +
                               "\" is a value and also has mapped children");
      }
    }
  }

  void readConditions(const pugi::xml_node& node, FlowDefinition& flow) {
    if (!node) return;
    xml_.checkElement(node, {"koppeling", "law-regime", "agreement", "consent"},
                      {"koppeling-field", "koppeling-date-field", "regime-field"}, {});
    const std::string koppeling = node.attribute("koppeling").value();
    if (koppeling == "registry" || koppeling == "from-record") {
      flow.koppeling_required = true;
    } else if (koppeling == "move") {
      flow.koppeling_moves = true;
    } else if (!koppeling.empty() && koppeling != "none") {
      xml_.problem(node, "koppeling must be none, registry, from-record or move");
    }
    flow.koppeling_field = fieldRef(node, "koppeling-field");
    const bool states_gemeente = koppeling == "from-record" || koppeling == "move";
    if (states_gemeente != static_cast<bool>(node.attribute("koppeling-field"))) {
      xml_.problem(node, "koppeling=\"from-record\" or \"move\" and koppeling-field go together");
    }
    if (koppeling == "move" && !node.attribute("koppeling-date-field")) {
      xml_.problem(node, "koppeling=\"move\" needs a koppeling-date-field: the day the new koppeling holds from");
    }
    if (flow.koppeling_field && flow.koppeling_field->type != FieldType::kCbsCode) {
      xml_.problem(node, "koppeling-field must be of type cbs-code");
    }
    flow.koppeling_date_field = fieldRef(node, "koppeling-date-field");
    if (node.attribute("koppeling-date-field") && !node.attribute("koppeling-field")) {
      xml_.problem(node, "koppeling-date-field goes with koppeling-field");
    }
    if (flow.koppeling_date_field && flow.koppeling_date_field->type != FieldType::kDate) {
      xml_.problem(node, "koppeling-date-field must be of type date");
    }
    readNamed(node, "law-regime", kRegimeRules, flow.regime);
    flow.regime_field = fieldRef(node, "regime-field");
    if (flow.regime != RegimeRule::kAny && !node.attribute("regime-field")) {
      xml_.problem(node, "law-regime=\"" + std::string(toString(flow.regime)) + "\" needs a regime-field");
    }
    if (flow.regime_field && flow.regime_field->type != FieldType::kDate &&
        !(flow.regime_field->type == FieldType::kEnum &&
          std::count(flow.regime_field->enum_values.begin(), flow.regime_field->enum_values.end(), "wi2021"))) {
      xml_.problem(node, "regime-field must be a date (the permit) or an enum with value wi2021");
    }
    const std::string agreement = node.attribute("agreement").value();
    flow.agreement_required = agreement == "required";
    if (!agreement.empty() && agreement != "required" && agreement != "none") {
      xml_.problem(node, "agreement must be none or required");
    }
    const std::string consent = node.attribute("consent").value();
    flow.consent_required = consent == "required";
    if (!consent.empty() && consent != "required" && consent != "none") {
      xml_.problem(node, "consent must be none or required");
    }
    if (flow.basis_kind == BasisKind::kToestemming && !flow.consent_required) {
      xml_.problem(node, "a flow whose basis is toestemming needs consent=\"required\"");
    }
  }

  void readRecipients(const pugi::xml_node& root, FlowDefinition& flow) {
    std::set<const FieldDefinition*> mapped;
    for (const auto& m : flow.mappings) mapped.insert(m.field);
    for (auto node : root.children("recipient")) {
      xml_.checkElement(node, {"role"}, {}, {"allow"});
      const auto role = roleRef(node);
      if (!role) continue;
      if (flow.recipientRule(*role)) {
        xml_.problem(node, "recipient role listed twice");
        continue;
      }
      RecipientRule rule{*role, {}, std::vector<int>(dictionary_.size(), -1)};
      for (auto allow : node.children("allow")) {
        xml_.checkElement(allow, {"field"}, {"consent", "art9-exception"}, {});
        const FieldDefinition* field = fieldRef(allow, "field");
        if (!field) continue;
        AllowedField allowed{field, false, allow.attribute("art9-exception").value(), xml_.lineOf(allow)};
        const std::string consent = allow.attribute("consent").value();
        if (consent == "required") {
          allowed.needs_consent = true;
        } else if (!consent.empty()) {
          xml_.problem(allow, "consent on <allow> can only be \"required\"");
        }
        if (field->isSpecial()) {
          // Art. 9 AVG: processing is forbidden unless one of the exceptions of lid 2
          // applies; the mapping must name it.
          if (allowed.art9_exception.find("art. 9") == std::string::npos) {
            xml_.problem(allow, "field \"" + field->id + "\" is " + field->category + " (AVG art. 9); allowing it to " +
                                    std::string(toString(*role)) +
                                    " needs art9-exception=\"…\" citing the exception of AVG "
                                    "art. 9 lid 2 it rests on");
          }
        } else if (!allowed.art9_exception.empty()) {
          xml_.problem(allow, "art9-exception applies only to special:* fields");
        }
        if (!mapped.contains(field)) {
          xml_.problem(allow, "field \"" + field->id + "\" is allowed but no <map> fills it");
        }
        if (rule.allowed_by_field[field->index] >= 0) {
          xml_.problem(allow, "field \"" + field->id + "\" allowed twice");
          continue;
        }
        rule.allowed_by_field[field->index] = static_cast<int>(rule.allowed.size());
        rule.allowed.push_back(std::move(allowed));
      }
      flow.recipients.push_back(std::move(rule));
    }
    if (flow.recipients.empty() && !root.child("recipient")) {
      xml_.problem(root, "a flow needs at least one <recipient role>");
    }
  }

  void readRetention(const pugi::xml_node& node, FlowDefinition& flow) {
    if (!node) return;
    xml_.checkElement(node, {"period"}, {}, {}, true);
    flow.retention_text = node.attribute("period").value();
    const auto period = parseIsoPeriod(flow.retention_text);
    if (!period && !flow.retention_text.empty()) {
      xml_.problem(node, "retention period must be ISO 8601 like P7Y or P1Y6M, found \"" + flow.retention_text + "\"");
    } else if (period) {
      flow.retention = *period;
      const CivilDate from{std::chrono::year(2000), std::chrono::January, std::chrono::day(1)};
      if (std::chrono::sys_days(addPeriod(from, *period)) >
          std::chrono::sys_days(addPeriod(from, kRegistryHistoryRetention))) {
        xml_.problem(node, "retention period " + flow.retention_text + " is longer than the registries keep " +
                               "what a record relies on (" + std::string(kRegistryHistoryRetentionText) + ")");
      }
    }
  }

  // An attribute naming one of `names`; absent, `target` keeps its default.
  template <class Names, class Enum>
  void readNamed(const pugi::xml_node& node, const char* attribute, const Names& names, Enum& target) {
    const std::string_view text = node.attribute(attribute).value();
    if (text.empty()) return;
    if (const auto value = valueIn(names, text)) {
      target = *value;
      return;
    }
    std::string listed;
    for (const auto& [value, name] : names) listed += (listed.empty() ? "" : ", ") + std::string(name);
    xml_.problem(node, std::string(attribute) + " must be one of " + listed + "; found \"" + std::string(text) + "\"");
  }

  StrictXmlReader xml_;
  std::filesystem::path file_;
  const FieldDictionary& dictionary_;
};

}  // namespace

std::string_view toString(FlowKind kind) { return nameIn(kFlowKinds, kind); }

std::string_view toString(BasisKind kind) { return nameIn(kBasisKinds, kind); }

std::string_view toString(RegimeRule rule) { return nameIn(kRegimeRules, rule); }

MappingLoadResult loadMappings(const std::filesystem::path& dir) {
  MappingLoadResult result;
  MappingCatalogue catalogue;
  loadDictionary(dir / "fields.xml", catalogue.fields, result.problems);
  if (!result.problems.empty()) return result;  // flows cannot be checked without it

  const auto flows_dir = dir / "flows";
  std::error_code ec;
  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::directory_iterator(flows_dir, ec)) {
    if (entry.path().extension() == ".xml") files.push_back(entry.path());
  }
  if (ec) {
    result.problems.push_back({flows_dir.string(), 0, "cannot read the flows directory"});
    return result;
  }
  std::sort(files.begin(), files.end());
  std::map<std::string, std::filesystem::path> seen;
  std::map<std::string, const FlowDefinition*> purposes;  // the first flow to name each
  for (const auto& file : files) {
    const auto content = readTextFile(file);
    if (!content) {
      result.problems.push_back({file.string(), 0, "cannot open flow mapping"});
      continue;
    }
    FlowReader reader(*content, file, catalogue.fields);
    auto flow = reader.read();
    auto problems = reader.takeProblems();
    if (!flow->id.empty()) {
      if (auto [it, fresh] = seen.emplace(flow->id, file); !fresh) {
        problems.push_back(
            {file.string(), flow->line, "flow \"" + flow->id + "\" is also defined in " + it->second.string()});
      }
    }
    // A purpose is said one way: the console shows it by its id.
    if (problems.empty()) {
      const auto [first, fresh] = purposes.emplace(flow->purpose_id, flow.get());
      if (!fresh && first->second->purpose_in_dutch != flow->purpose_in_dutch) {
        problems.push_back(
            {file.string(), flow->line,
             "purpose \"" + flow->purpose_id + "\" is said otherwise (nl) by flow " + first->second->id});
      }
    }
    if (problems.empty()) {
      catalogue.flows.push_back(std::move(flow));
    } else {
      result.problems.insert(result.problems.end(), problems.begin(), problems.end());
    }
  }
  if (files.empty()) result.problems.push_back({flows_dir.string(), 0, "no flow mappings found"});
  if (result.problems.empty()) result.catalogue = std::move(catalogue);
  return result;
}

MappingCatalogue loadCatalogue(const std::filesystem::path& dir) {
  MappingLoadResult loaded = loadMappings(dir);
  if (!loaded.catalogue) {
    std::string message = "mappings in " + dir.string() + " do not load";
    for (const auto& p : loaded.problems) message += "\n  " + p.str();
    throw std::runtime_error(message);
  }
  return std::move(*loaded.catalogue);
}

}  // namespace ketenpoort
