#include "adapters/zgw/zgw_simulator.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/url/parse_query.hpp>

#include <chrono>
#include <fstream>

#include "adapters/zgw/zgw_token.hpp"
#include "gateway/calendar/time_source.hpp"
#include "gateway/store/identifiers.hpp"

namespace ketenpoort {
namespace {

namespace json = boost::json;

constexpr std::string_view kZaken = "/zaken/api/v1/";
constexpr std::string_view kDocumenten = "/documenten/api/v1/";
constexpr std::string_view kCrs = "EPSG:4326";

ApiResponse jsonAnswer(unsigned status, const json::value& body) {
  ApiResponse r;
  r.status = status;
  r.body = json::serialize(body);
  return r;
}

std::string queryValue(const std::string& query, std::string_view name) {
  const auto params = boost::urls::parse_query(query);
  if (!params) return {};
  for (const auto& param : *params) {
    if (param.key.decode() == name) return param.value.decode();
  }
  return {};
}

std::string text(const json::object& o, std::string_view name) {
  const auto* v = o.if_contains(name);
  return v != nullptr && v->is_string() ? std::string(v->as_string()) : std::string();
}

json::object paginated(const std::vector<json::object>& results) {
  json::array list;
  for (const auto& r : results) list.push_back(r);
  return {{"count", results.size()}, {"next", nullptr}, {"previous", nullptr}, {"results", std::move(list)}};
}

// The first of `names` the object lacks (or has empty); "" when it has them all.
std::string missingOf(const json::object& o, std::initializer_list<const char*> names) {
  for (const char* name : names) {
    if (text(o, name).empty()) return name;
  }
  return {};
}

bool isRsin(const std::string& value) {
  if (value.size() != 9) return false;
  int sum = 0;
  for (std::size_t i = 0; i < 9; ++i) {
    if (value[i] < '0' || value[i] > '9') return false;
    sum += (value[i] - '0') * (i == 8 ? -1 : static_cast<int>(9 - i));
  }
  return sum % 11 == 0;
}

}  // namespace

ZgwSimulator::ZgwSimulator(ZgwSimulatorOptions options) : options_(std::move(options)), rng_(options_.seed) {
  if (!options_.now_unix) {
    options_.now_unix = [] {
      return std::chrono::duration_cast<std::chrono::seconds>(systemTime().now().time_since_epoch()).count();
    };
  }
  receiver_ = std::make_unique<HttpsReceiver>(
      options_.receiver, [this](const ApiRequest& request, const std::string&) { return handle(request); });
}

std::string ZgwSimulator::zakenApi() const { return "https://127.0.0.1:" + std::to_string(port()) + "/zaken/api/v1"; }
std::string ZgwSimulator::documentenApi() const {
  return "https://127.0.0.1:" + std::to_string(port()) + "/documenten/api/v1";
}

ApiResponse ZgwSimulator::refuse(unsigned status, const std::string& code, const std::string& detail,
                                 const std::string& field) {
  ++refusals_[code];
  json::object problem{{"type", "https://zgw.example/fouten/" + code},
                       {"code", code},
                       {"title", detail},
                       {"status", status},
                       {"detail", detail},
                       {"instance", "urn:uuid:" + newUuidV7()}};
  if (!field.empty()) {
    problem["invalidParams"] = json::array{json::object{{"name", field}, {"code", code}, {"reason", detail}}};
  }
  ApiResponse r = jsonAnswer(status, problem);
  r.content_type = "application/problem+json";
  return r;
}

void ZgwSimulator::record(const ApiRequest& request) {
  if (options_.record_to.empty()) return;
  json::object headers;
  for (const auto& [name, value] : request.headers) {
    // The token proves nothing to the contract check; it is not kept.
    headers[name] = name == "authorization"
                        ? std::string(value.starts_with("Bearer ") ? "Bearer (kept out)" : "(kept out)")
                        : value;
  }
  const json::object line{{"method", request.method},
                          {"path", request.query.empty() ? request.path : request.path + "?" + request.query},
                          {"headers", std::move(headers)},
                          {"body", request.body}};
  std::ofstream(options_.record_to, std::ios::app) << json::serialize(line) << '\n';
}

ApiResponse ZgwSimulator::handle(const ApiRequest& request) {
  if (options_.interrupt && options_.interrupt(request)) {
    return {503, "application/problem+json", R"({"code":"interrupted","title":"not carried out"})", {}};
  }
  std::lock_guard lock(mutex_);
  record(request);
  if (std::uniform_real_distribution<double>(0.0, 1.0)(rng_) < options_.fail_before) {
    ++failed_;
    return {500, "application/problem+json", R"({"code":"simulated","title":"simulated failure"})", {}};
  }
  // The client, by its token: a known client whose secret signed it, recently.
  const auto authorization = request.headers.find("authorization");
  if (authorization == request.headers.end() || !authorization->second.starts_with("Bearer ")) {
    return refuse(403, "not_authenticated", "no bearer token");
  }
  const std::string token = authorization->second.substr(7);
  std::string why = "unknown client";
  std::string client_id;
  for (const auto& [id, secret] : options_.clients) {
    const auto checked = verifyZgwToken(token, secret, options_.now_unix(), options_.token_max_age_seconds);
    if (const auto* claims = std::get_if<ZgwTokenClaims>(&checked); claims != nullptr && claims->client_id == id) {
      client_id = id;
      break;
    }
    if (const auto* error = std::get_if<std::string>(&checked);
        error != nullptr && *error != "signature does not verify") {
      why = *error;
    }
  }
  if (client_id.empty()) return refuse(403, "not_authenticated", why);
  ApiResponse answer = carryOut(request);
  if (answer.status < 300 && std::uniform_real_distribution<double>(0.0, 1.0)(rng_) < options_.fail_after) {
    ++failed_;
    return {500, "application/problem+json", R"({"code":"simulated","title":"simulated failure after the fact"})", {}};
  }
  return answer;
}

// Which resource of which API a request is for: "zaken/zaken", "documenten/enkelvoudiginformatieobjecten"…
std::string ZgwSimulator::resourceOf(const ApiRequest& request) {
  if (request.path.starts_with(kZaken)) return "zaken/" + request.path.substr(kZaken.size());
  if (request.path.starts_with(kDocumenten)) return "documenten/" + request.path.substr(kDocumenten.size());
  return {};
}

ApiResponse ZgwSimulator::carryOut(const ApiRequest& request) {
  const std::string resource = resourceOf(request);
  if (resource.starts_with("zaken/zaken")) {
    const auto accept = request.headers.find("accept-crs");
    const auto content = request.headers.find("content-crs");
    const bool posting = request.method == "POST";
    if (accept == request.headers.end() || (posting && content == request.headers.end())) {
      return refuse(412, "missing-crs-header", "Accept-Crs and Content-Crs are required");
    }
    if (accept->second != kCrs || (posting && content->second != kCrs)) {
      return refuse(406, "crs-not-supported", "only EPSG:4326");
    }
  }
  if (request.method == "GET") {
    // A collection ("zaken/rollen"), or one of its resources ("zaken/rollen/<uuid>").
    const bool one = resource.find('/', resource.find('/') + 1) != std::string::npos;
    return one ? detail(request.path) : list(resource, request.query);
  }
  if (request.method != "POST") return refuse(405, "method_not_allowed", "GET and POST only");
  boost::system::error_code ec;
  json::value parsed = json::parse(request.body, ec);
  if (ec || !parsed.is_object()) return refuse(400, "parse_error", "the body is not a JSON object");
  json::object& body = parsed.as_object();
  const std::string uuid = newUuidV7();
  const std::string url = "https://127.0.0.1:" + std::to_string(port()) + request.path + "/" + uuid;
  body["url"] = url;
  body["uuid"] = uuid;
  if (resource == "zaken/zaken") return createZaak(std::move(body));
  if (resource == "zaken/rollen") return createRol(std::move(body));
  if (resource == "zaken/zaakinformatieobjecten") return createLink(std::move(body));
  if (resource == "documenten/enkelvoudiginformatieobjecten") return createDocument(std::move(body));
  return refuse(404, "not_found", "no such resource");
}

ApiResponse ZgwSimulator::list(const std::string& resource, const std::string& query) {
  std::vector<json::object> found;
  const std::string identificatie = queryValue(query, "identificatie");
  const std::string bronorganisatie = queryValue(query, "bronorganisatie");
  const std::string zaak = queryValue(query, "zaak");
  if (resource == "zaken/zaken") {
    if (const auto at = zaak_by_identificatie_.find({bronorganisatie, identificatie});
        at != zaak_by_identificatie_.end()) {
      found.push_back(zaken_.at(at->second));
    }
  } else if (resource == "zaken/rollen" || resource == "zaken/zaakinformatieobjecten") {
    for (const auto& [url, o] : resource == "zaken/rollen" ? rollen_ : links_) {
      if (text(o, "zaak") == zaak) found.push_back(o);
    }
  } else if (resource == "documenten/enkelvoudiginformatieobjecten") {
    if (const auto at = document_by_identificatie_.find({bronorganisatie, identificatie});
        at != document_by_identificatie_.end()) {
      found.push_back(documents_.at(at->second).metadata);
    }
  } else {
    return refuse(404, "not_found", "no such resource");
  }
  ApiResponse r = jsonAnswer(200, paginated(found));
  if (resource == "zaken/zaken") r.headers.emplace_back("Content-Crs", std::string(kCrs));
  return r;
}

ApiResponse ZgwSimulator::detail(const std::string& path) {
  const std::string url = "https://127.0.0.1:" + std::to_string(port()) + path;
  if (const auto zaak = zaken_.find(url); zaak != zaken_.end()) {
    // As the standard shows a zaak: with the URLs of its rollen and links.
    json::object shown = zaak->second;
    json::array rollen, links;
    for (const auto& [u, r] : rollen_) {
      if (text(r, "zaak") == url) rollen.emplace_back(u);
    }
    for (const auto& [u, l] : links_) {
      if (text(l, "zaak") == url) links.emplace_back(u);
    }
    shown["rollen"] = std::move(rollen);
    shown["zaakinformatieobjecten"] = std::move(links);
    ApiResponse r = jsonAnswer(200, shown);
    r.headers.emplace_back("Content-Crs", std::string(kCrs));
    return r;
  }
  if (const auto rol = rollen_.find(url); rol != rollen_.end()) return jsonAnswer(200, rol->second);
  if (const auto document = documents_.find(url); document != documents_.end()) {
    return jsonAnswer(200, document->second.metadata);
  }
  return refuse(404, "not_found", "no such resource");
}

ApiResponse ZgwSimulator::createZaak(json::object zaak) {
  if (std::string missing =
          missingOf(zaak, {"bronorganisatie", "zaaktype", "verantwoordelijkeOrganisatie", "startdatum"});
      !missing.empty()) {
    return refuse(400, "required", "required field", missing);
  }
  if (!isRsin(text(zaak, "bronorganisatie"))) return refuse(400, "invalid-rsin", "not an RSIN", "bronorganisatie");
  if (text(zaak, "identificatie").empty()) zaak["identificatie"] = "ZAAK-" + text(zaak, "uuid").substr(0, 8);
  const std::string url = text(zaak, "url");
  if (!zaak_by_identificatie_.emplace(std::pair(text(zaak, "bronorganisatie"), text(zaak, "identificatie")), url)
           .second) {
    return refuse(400, "identificatie-niet-uniek", "identificatie is not unique", "identificatie");
  }
  zaak_order_.push_back(url);
  ApiResponse r = jsonAnswer(201, zaken_.emplace(url, std::move(zaak)).first->second);
  r.headers.emplace_back("Content-Crs", std::string(kCrs));
  return r;
}

ApiResponse ZgwSimulator::createRol(json::object rol) {
  if (std::string missing = missingOf(rol, {"zaak", "betrokkeneType", "roltype"}); !missing.empty()) {
    return refuse(400, "required", "required field", missing);
  }
  if (!zaken_.contains(text(rol, "zaak"))) return refuse(400, "bad-url", "no such zaak", "zaak");
  const std::string url = text(rol, "url");
  return jsonAnswer(201, rollen_.emplace(url, std::move(rol)).first->second);
}

ApiResponse ZgwSimulator::createLink(json::object link) {
  if (std::string missing = missingOf(link, {"zaak", "informatieobject"}); !missing.empty()) {
    return refuse(400, "required", "required field", missing);
  }
  if (!zaken_.contains(text(link, "zaak"))) return refuse(400, "bad-url", "no such zaak", "zaak");
  if (!documents_.contains(text(link, "informatieobject"))) {
    return refuse(400, "bad-url", "no such informatieobject", "informatieobject");
  }
  if (!linked_.emplace(text(link, "zaak"), text(link, "informatieobject")).second) {
    return refuse(400, "unique", "The fields zaak, informatieobject must make a unique set.", "nonFieldErrors");
  }
  const std::string url = text(link, "url");
  link_order_.push_back(url);
  return jsonAnswer(201, links_.emplace(url, std::move(link)).first->second);
}

ApiResponse ZgwSimulator::createDocument(json::object metadata) {
  if (std::string missing =
          missingOf(metadata, {"bronorganisatie", "creatiedatum", "titel", "auteur", "taal", "informatieobjecttype"});
      !missing.empty()) {
    return refuse(400, "required", "required field", missing);
  }
  Document document;
  if (!base64Decode(text(metadata, "inhoud"), document.content)) {
    return refuse(400, "invalid", "inhoud is not base64", "inhoud");
  }
  if (text(metadata, "identificatie").empty()) {
    metadata["identificatie"] = "DOCUMENT-" + text(metadata, "uuid").substr(0, 8);
  }
  const std::string url = text(metadata, "url");
  if (!document_by_identificatie_
           .emplace(std::pair(text(metadata, "bronorganisatie"), text(metadata, "identificatie")), url)
           .second) {
    return refuse(400, "identificatie-niet-uniek", "identificatie is not unique", "identificatie");
  }
  metadata["inhoud"] = url + "/download";
  metadata["bestandsomvang"] = document.content.size();
  document.metadata = std::move(metadata);
  return jsonAnswer(201, documents_.emplace(url, std::move(document)).first->second.metadata);
}

std::vector<ZgwSimulator::Zaak> ZgwSimulator::zaken() const {
  std::lock_guard lock(mutex_);
  std::vector<Zaak> out;
  for (const auto& url : zaak_order_) {
    Zaak z{zaken_.at(url), {}, {}};
    for (const auto& [u, r] : rollen_) {
      if (text(r, "zaak") == url) z.rollen.push_back(r);
    }
    for (const auto& link : link_order_) {  // UUIDv7s of one millisecond do not sort by creation
      const json::object& l = links_.at(link);
      if (text(l, "zaak") == url) z.documents.push_back(documents_.at(text(l, "informatieobject")));
    }
    out.push_back(std::move(z));
  }
  return out;
}

std::size_t ZgwSimulator::zaakCount() const {
  std::lock_guard lock(mutex_);
  return zaken_.size();
}
std::size_t ZgwSimulator::rolCount() const {
  std::lock_guard lock(mutex_);
  return rollen_.size();
}
std::size_t ZgwSimulator::documentCount() const {
  std::lock_guard lock(mutex_);
  return documents_.size();
}
std::size_t ZgwSimulator::linkCount() const {
  std::lock_guard lock(mutex_);
  return links_.size();
}
std::map<std::string, std::uint64_t> ZgwSimulator::refusals() const {
  std::lock_guard lock(mutex_);
  return refusals_;
}

}  // namespace ketenpoort
