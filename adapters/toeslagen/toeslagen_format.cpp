#include "adapters/toeslagen/toeslagen_format.hpp"

#include <pugixml.hpp>

#include <charconv>
#include <sstream>

namespace ketenpoort {

namespace {

const SourceNode* child(const SourceNode& node, std::string_view name) {
  for (const SourceNode& c : node.children) {
    if (c.name == name) return &c;
  }
  return nullptr;
}

std::string textOf(const SourceNode& node, std::string_view name) {
  const SourceNode* c = child(node, name);
  return c ? c->text : std::string();
}

std::string xmlText(const pugi::xml_document& doc) {
  std::ostringstream out;
  doc.save(out, "  ", pugi::format_default, pugi::encoding_utf8);
  return out.str();
}

void addText(pugi::xml_node parent, const char* name, const std::string& value) {
  if (!value.empty()) parent.append_child(name).text().set(value.c_str());
}

}  // namespace

std::variant<SourceNode, std::string> ToeslagenStatusFormat::decode(const FlowDefinition& flow,
                                                                    std::string_view body) const {
  auto parsed = decodeXmlEnvelope(flow, body);
  if (std::holds_alternative<std::string>(parsed)) return parsed;
  SourceNode& root = std::get<SourceNode>(parsed);
  const auto brp = parseIsoDate(textOf(root, "brp_inschrijvingsdatum"));
  if (!brp) return std::string("brp_inschrijvingsdatum must be a date (YYYY-MM-DD)");
  const CivilDate today = today_();
  bool bridging = false;
  for (const char* kind : {"huurtoeslag", "zorgtoeslag"}) {
    const SourceNode* toeslag = child(root, kind);
    if (!toeslag) continue;
    std::optional<CivilDate> granted_on;
    if (textOf(*toeslag, "status") == "toegekend") {
      granted_on = parseIsoDate(textOf(*toeslag, "besluitdatum"));
      if (!granted_on) return std::string(kind) + " is toegekend but has no besluitdatum";
    }
    bridging = bridgingNeeded(*brp, granted_on, today, thresholds_) || bridging;
  }
  std::erase_if(root.children, [](const SourceNode& c) { return c.name == "overbrugging_nodig"; });
  root.children.push_back({"overbrugging_nodig", bridging ? "true" : "false", {}});
  return parsed;
}

std::string ToeslagenXmlFormat::render(const OutboundMessage& m) const {
  pugi::xml_document doc;
  const std::string root_name = m.flow.id.substr(m.flow.id.find('.') + 1);
  pugi::xml_node root = doc.append_child(root_name.c_str());
  root.append_attribute("transactie_id").set_value(m.transaction_id.c_str());
  root.append_attribute("flow").set_value(m.flow.id.c_str());
  root.append_attribute("grondslag").set_value(m.legal_basis.c_str());
  for (const CanonicalValue* v : m.delivered) {
    // "a.b[2].c": one element per segment; an index picks (or makes) the n-th of that name.
    pugi::xml_node at = root;
    std::string_view path = v->path;
    while (!path.empty()) {
      const auto dot = path.find('.');
      std::string_view segment = path.substr(0, dot);
      path = dot == std::string_view::npos ? std::string_view() : path.substr(dot + 1);
      std::size_t index = 0;
      if (const auto bracket = segment.find('['); bracket != std::string_view::npos) {
        std::from_chars(segment.data() + bracket + 1, segment.data() + segment.size() - 1, index);
        segment = segment.substr(0, bracket);
      }
      const std::string name(segment);
      pugi::xml_node next;
      std::size_t seen = 0;
      for (pugi::xml_node c = at.child(name.c_str()); c; c = c.next_sibling(name.c_str())) {
        if (seen++ == index) {
          next = c;
          break;
        }
      }
      for (; !next && seen <= index; ++seen) {
        pugi::xml_node made = at.append_child(name.c_str());
        if (seen == index) next = made;
      }
      at = next;
    }
    at.text().set(v->value.c_str());
  }
  return xmlText(doc);
}

std::string toeslagenStatusXml(const ToeslagenStatusMessage& m) {
  pugi::xml_document doc;
  pugi::xml_node root = doc.append_child("toeslagenstatus");
  addText(root, "bsn", m.bsn);
  addText(root, "vergunningdatum", m.permit_date);
  addText(root, "brp_inschrijvingsdatum", m.brp_registered_on);
  const auto add = [&](const char* name, const std::optional<ToeslagStatus>& t) {
    if (!t) return;
    pugi::xml_node n = root.append_child(name);
    addText(n, "aangevraagd", t->applied_on);
    addText(n, "aangevraagd_door", t->applied_by);
    addText(n, "status", t->status);
    addText(n, "besluitdatum", t->decided_on);
    addText(n, "voorschot", t->advance_eur);
    addText(n, "ingangsdatum", t->starts_on);
    addText(n, "terugvordering", t->recovered_eur);
  };
  add("huurtoeslag", m.huurtoeslag);
  add("zorgtoeslag", m.zorgtoeslag);
  return xmlText(doc);
}

std::string checkToeslagaanvraag(std::string_view body) {
  auto parsed = sourceFromXml(body);
  if (auto* error = std::get_if<std::string>(&parsed)) return "not well-formed XML: " + *error;
  const SourceNode& root = std::get<SourceNode>(parsed);
  if (root.name != "toeslagaanvraag") return "expected <toeslagaanvraag>";
  const SourceNode* persoon = child(root, "persoon");
  if (!persoon || textOf(*persoon, "bsn").empty()) return "the aanvraag has no BSN";
  const SourceNode* financien = child(root, "financien");
  if (!financien || textOf(*financien, "iban").empty()) return "the aanvraag has no IBAN to pay to";
  return {};
}

}  // namespace ketenpoort
