#include "adapters/duo/duo_format.hpp"

#include <pugixml.hpp>

#include <sstream>

#include "gateway/http/https_client.hpp"

namespace ketenpoort {

namespace {

void addText(pugi::xml_node parent, const char* name, const std::string& value) {
  if (!value.empty()) parent.append_child(name).text().set(value.c_str());
}

std::string question(const char* element, const std::string& value) {
  pugi::xml_document doc;
  addText(doc.append_child("vraag"), element, value);
  std::ostringstream out;
  doc.save(out, "", pugi::format_raw, pugi::encoding_utf8);
  return out.str();
}

std::optional<std::string> checkRoot(const SourceNode& root, const std::string& expected) {
  if (root.name == expected) return std::nullopt;
  return "the root element is another than the expected <" + expected + ">";
}

}  // namespace

std::variant<SourceNode, std::string> DuoStatusFormat::decode(const FlowDefinition& flow, std::string_view body) const {
  return decodeXmlEnvelope(flow, body);
}

SourceReply DuoSource::ask(const std::string& url, const std::string& transaction_id, const std::string& body,
                           std::chrono::milliseconds timeout) {
  const auto parsed = parseHttpsUrl(url);
  if (!parsed) return {SourceReply::Outcome::kError, {}, "endpoint-url-invalid"};
  if (!tls_) return {SourceReply::Outcome::kError, {}, "source-not-open"};
  HttpsClientOptions server;
  server.host = parsed->host;
  server.port = parsed->port;
  server.timeout = timeout;
  const auto result = HttpsClient(server, tls_)
                          .request("POST", parsed->target,
                                   {{"Content-Type", "application/xml"}, {"X-Transaction-Id", transaction_id}}, body);
  if (const auto* error = std::get_if<std::string>(&result)) {
    // Beast reports an expired deadline as "... due to a timeout".
    const bool timed_out = error->find("timeout") != std::string::npos;
    return {timed_out ? SourceReply::Outcome::kTimeout : SourceReply::Outcome::kUnreachable, {}, *error};
  }
  const auto& response = std::get<HttpsResponse>(result);
  if (response.status == 200) return {SourceReply::Outcome::kAnswered, response.body, {}};
  if (response.status == 404) return {SourceReply::Outcome::kNotFound, {}, "http-404"};
  return {SourceReply::Outcome::kError, {}, "http-" + std::to_string(response.status)};
}

SourceReply DuoSource::fetchPerson(const std::string& url, const std::string&, const std::string& bsn,
                                   const std::string& transaction_id, std::chrono::milliseconds timeout) {
  return ask(url, transaction_id, question("bsn", bsn), timeout);
}

std::variant<std::vector<SourceNode>, SourceReply> DuoSource::fetchGemeente(const std::string& url, const std::string&,
                                                                            const std::string& gemeente_cbs,
                                                                            const std::string& transaction_id,
                                                                            std::chrono::milliseconds timeout) {
  SourceReply reply = ask(url, transaction_id, question("gemeente", gemeente_cbs), timeout);
  if (reply.outcome != SourceReply::Outcome::kAnswered) return reply;
  auto parsed = sourceFromXml(reply.body);
  if (auto* error = std::get_if<std::string>(&parsed)) {
    return SourceReply{SourceReply::Outcome::kError, {}, "overview not well-formed: " + *error};
  }
  SourceNode& root = std::get<SourceNode>(parsed);
  if (auto problem = checkRoot(root, "overzicht")) {
    return SourceReply{SourceReply::Outcome::kError, {}, *problem};
  }
  std::vector<SourceNode> persons;
  for (SourceNode& child : root.children) {
    if (child.name == "inburgeringsstatus") persons.push_back(std::move(child));
  }
  return persons;
}

std::string inburgeringsstatusXml(const DuoPerson& p) {
  pugi::xml_document doc;
  pugi::xml_node root = doc.append_child("inburgeringsstatus");
  addText(root, "bsn", p.bsn);
  addText(root, "wet", p.law);
  addText(root, "plichtig", p.status == "vrijgesteld" ? "false" : "true");
  addText(root, "status", p.status);
  pugi::xml_node termijn = root.append_child("termijn");
  addText(termijn, "start", p.termijn_start);
  addText(termijn, "einde", p.termijn_end);
  for (const auto& [months, reason] : p.extensions) {
    pugi::xml_node v = termijn.append_child("verlenging");
    addText(v, "maanden", std::to_string(months));
    addText(v, "reden", reason);
  }
  pugi::xml_node lening = root.append_child("lening");
  addText(lening, "maximum", p.loan_max_eur);
  addText(lening, "besteed", p.loan_used_eur);
  for (const DuoExam& e : p.exams) {
    pugi::xml_node x = root.append_child("examen");
    addText(x, "onderdeel", e.part);
    addText(x, "pogingen", std::to_string(e.attempts));
    addText(x, "resultaat", e.result);
  }
  pugi::xml_node uren = root.append_child("uren");
  addText(uren, "gevolgd", std::to_string(p.hours));
  addText(uren, "alfabetisering", std::to_string(p.literacy_hours));
  addText(uren, "urenverklaringen", p.hour_statements ? "true" : "false");
  if (p.exemption_date) {
    pugi::xml_node o = root.append_child("ontheffing");
    addText(o, "verleend", "true");
    addText(o, "datum", *p.exemption_date);
    addText(o, "grond", p.exemption_ground);
  }
  std::ostringstream out;
  doc.save(out, "  ", pugi::format_default, pugi::encoding_utf8);
  return out.str();
}

}  // namespace ketenpoort
