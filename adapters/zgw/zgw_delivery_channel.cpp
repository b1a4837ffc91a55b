#include "adapters/zgw/zgw_delivery_channel.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/url/parse.hpp>
#include <boost/url/url.hpp>

#include "adapters/zgw/zgw_package.hpp"
#include "adapters/zgw/zgw_token.hpp"
#include "gateway/calendar/civil_date.hpp"
#include "gateway/diagnostics/diagnostic_log.hpp"

namespace ketenpoort {
namespace {

namespace json = boost::json;

// Idle connections kept per API server.
constexpr std::size_t kIdlePerServer = 64;
constexpr std::string_view kCrs = "EPSG:4326";

// A step's outcome: carry on, or why the attempt stops here.
struct StepFailure {
  std::string error;
};

// What a case system's problem+json names: each invalid parameter's name and code, kept to
// plain identifiers (an answer's text never reaches the log beyond them).
std::string invalidParamsOf(const json::value& answer) {
  const auto plain = [](std::string_view s) {
    std::string out;
    for (const char c : s.substr(0, 64)) {
      const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
                      c == '-' || c == '.';
      out += ok ? c : '?';
    }
    return out;
  };
  std::string out;
  const auto* params = answer.is_object() ? answer.as_object().if_contains("invalidParams") : nullptr;
  if (params == nullptr || !params->is_array()) return out;
  for (const auto& p : params->as_array()) {
    if (!p.is_object()) continue;
    const auto* name = p.as_object().if_contains("name");
    const auto* code = p.as_object().if_contains("code");
    if (!out.empty()) out += ",";
    out += plain(name && name->is_string() ? std::string_view(name->as_string()) : "?") + ":" +
           plain(code && code->is_string() ? std::string_view(code->as_string()) : "?");
    if (out.size() > 512) break;
  }
  return out;
}

bool hasInvalidParam(const json::value& answer, std::string_view code) {
  const auto* params = answer.is_object() ? answer.as_object().if_contains("invalidParams") : nullptr;
  if (params == nullptr || !params->is_array()) return false;
  for (const auto& p : params->as_array()) {
    const auto* c = p.is_object() ? p.as_object().if_contains("code") : nullptr;
    if (c != nullptr && c->is_string() && c->as_string() == code) return true;
  }
  return false;
}

// A resource's URL from an answer: an https URL, as the case system names what it made.
std::optional<std::string> urlOf(const json::value& resource) {
  const auto* url = resource.is_object() ? resource.as_object().if_contains("url") : nullptr;
  if (url == nullptr || !url->is_string() || url->as_string().size() > 1000) return std::nullopt;
  std::string text(url->as_string());
  if (!parseHttpsUrl(text)) return std::nullopt;
  return text;
}

std::optional<std::string> text(const json::value& o, std::string_view name) {
  const auto* v = o.is_object() ? o.as_object().if_contains(name) : nullptr;
  if (v == nullptr || !v->is_string()) return std::nullopt;
  return std::string(v->as_string());
}

// The results of a list answer (paginated or a plain array).
const json::array* resultsOf(const json::value& answer) {
  if (answer.is_array()) return &answer.as_array();
  const auto* results = answer.is_object() ? answer.as_object().if_contains("results") : nullptr;
  return results != nullptr && results->is_array() ? &results->as_array() : nullptr;
}

// One message's way into the case system: the package, the target, what was made so far.
class ZgwDelivery : public std::enable_shared_from_this<ZgwDelivery> {
 public:
  ZgwDelivery(HttpsConnectionPool& pool, const TimeSource& clock, std::chrono::milliseconds budget, ZgwTarget target,
              ZgwPackage package, const OutboxEntry& entry, CaseSystemChannel::RecordStep record_step,
              CaseSystemChannel::Done done)
      : pool_(pool),
        clock_(clock),
        deadline_ms_(clock.nowMs() + budget.count()),
        target_(std::move(target)),
        package_(std::move(package)),
        transaction_id_(entry.transaction_id),
        record_step_(std::move(record_step)),
        done_(std::move(done)) {
    boost::system::error_code ec;
    const json::value state = json::parse(entry.channel_state, ec);
    if (!ec && state.is_object()) state_ = state.as_object();
  }

  void next() {
    const auto step = nextStep();
    if (!step) return finish({true, {}, Reason::kRecipientFailed});
    if (clock_.nowMs() >= deadline_ms_) return fail("zgw-time-up-before-" + std::string(*step));
    if (*step == "zaak") return postZaak();
    if (*step == "rol") return zaak_made_now_ ? postRol() : findRol();
    if (*step == "document_l") return postDocument("document_l", "-L", package_.readable_html, "text/html", ".html");
    if (*step == "document_j") {
      return postDocument("document_j", "-J", package_.machine_json, "application/json", ".json");
    }
    if (*step == "link_l") return postLink("link_l", "document_l");
    return postLink("link_j", "document_j");
  }

 private:
  using Then = std::function<void(unsigned status, const json::value& answer)>;

  std::optional<std::string_view> nextStep() const {
    for (const std::string_view step : kZgwSteps) {
      if (!text(state_, step)) return step;
    }
    return std::nullopt;
  }
  std::string made(std::string_view step) const { return text(state_, step).value_or(""); }

  // One call to the case system: a fresh token, the CRS headers, JSON both ways.
  void call(std::string_view step, const std::string& api, const std::string& resource,
            const std::vector<std::pair<std::string, std::string>>& query,
            const std::shared_ptr<const std::string>& body, Then then) {
    callUrl(step, api + "/" + resource, query, body, std::move(then));
  }
  // `whole` must lie under one of the configured APIs: a URL from an answer is called only
  // there, so the token never goes to another server.
  void callUrl(std::string_view step, const std::string& whole,
               const std::vector<std::pair<std::string, std::string>>& query,
               const std::shared_ptr<const std::string>& body, Then then) {
    if (!whole.starts_with(target_.zaken + "/") && !whole.starts_with(target_.documenten + "/")) {
      return fail("zgw-" + std::string(step) + "-url-elsewhere");
    }
    auto url = boost::urls::parse_uri(whole);
    if (!url) return fail("zgw-" + std::string(step) + "-url-invalid");
    boost::urls::url address(*url);
    for (const auto& [name, value] : query) address.params().append({name, value});
    const auto target = parseHttpsUrl(address.buffer());
    if (!target) return fail("zgw-" + std::string(step) + "-url-invalid");
    const std::int64_t issued_at = clock_.nowMs() / 1000;
    std::vector<HttpsConnectionPool::Header> headers{
        {"Authorization", "Bearer " + zgwBearerToken({target_.client_id, target_.secret}, issued_at)},
        {"Accept", "application/json"},
        {"Accept-Crs", std::string(kCrs)}};
    if (body) {
      headers.emplace_back("Content-Type", "application/json");
      headers.emplace_back("Content-Crs", std::string(kCrs));
    }
    pool_.request(*target, body ? "POST" : "GET", std::move(headers), body ? body : std::make_shared<std::string>(),
                  [self = shared_from_this(), step = std::string(step),
                   then = std::move(then)](HttpsConnectionPool::Result result) {
                    if (const auto* error = std::get_if<std::string>(&result)) {
                      return self->fail("zgw-" + step + "-" + *error);
                    }
                    const HttpsResponse& response = std::get<HttpsResponse>(result);
                    boost::system::error_code ec;
                    const json::value answer = json::parse(response.body, ec);
                    then(response.status, ec ? json::value() : answer);
                  });
  }

  void post(std::string_view step, const std::string& api, const std::string& resource, const json::object& body,
            Then then) {
    call(step, api, resource, {}, std::make_shared<const std::string>(json::serialize(body)), std::move(then));
  }

  // A call the case system refused: its status and invalid parameters in the diagnostic
  // log (never a value), and the attempt ends.
  void refused(std::string_view step, unsigned status, const json::value& answer) {
    logWarn("zgw-call-refused", {{"transaction", transaction_id_},
                                 {"step", step},
                                 {"status", status},
                                 {"invalid_params", invalidParamsOf(answer)}});
    fail("zgw-" + std::string(step) + "-http-" + std::to_string(status));
  }

  // The step is done: recorded in the outbox entry before the next begins.
  void done(std::string_view step, const std::string& url) {
    state_[step] = url;
    record_step_(json::serialize(state_), [self = shared_from_this(), step = std::string(step)](bool recorded) {
      if (!recorded) return self->fail("zgw-" + step + "-not-recorded");
      self->next();
    });
  }

  void postZaak() {
    const json::object zaak{{"identificatie", package_.identificatie},
                            {"bronorganisatie", target_.rsin},
                            {"omschrijving", package_.titel.substr(0, 80)},
                            {"zaaktype", target_.zaaktype},
                            {"verantwoordelijkeOrganisatie", target_.rsin},
                            {"startdatum", formatIsoDate(clock_.today())},
                            {"vertrouwelijkheidaanduiding", package_.vertrouwelijkheidaanduiding}};
    post("zaak", target_.zaken, "zaken", zaak, [self = shared_from_this()](unsigned status, const json::value& a) {
      if (status == 201) {
        if (auto url = urlOf(a)) {
          self->zaak_made_now_ = true;
          return self->done("zaak", *url);
        }
        return self->fail("zgw-zaak-answer-invalid");
      }
      if (status == 400 && hasInvalidParam(a, "identificatie-niet-uniek")) {
        return self->findByIdentificatie("zaak", self->target_.zaken, "zaken", self->package_.identificatie);
      }
      self->refused("zaak", status, a);
    });
  }

  // A zaak or document the case system has already (made by an attempt whose answer was
  // lost): ours, found by the identificatie the transaction gave it.
  void findByIdentificatie(std::string_view step, const std::string& api, const std::string& resource,
                           const std::string& identificatie) {
    call(step, api, resource, {{"identificatie", identificatie}, {"bronorganisatie", target_.rsin}}, nullptr,
         [self = shared_from_this(), step = std::string(step), identificatie](unsigned status, const json::value& a) {
           const json::array* results = status == 200 ? resultsOf(a) : nullptr;
           if (results == nullptr) return self->refused(step, status, a);
           for (const auto& found : *results) {
             auto url = urlOf(found);
             if (url && text(found, "identificatie") == identificatie) return self->done(step, *url);
           }
           self->fail("zgw-" + step + "-not-unique-but-not-found");
         });
  }

  // Before a rol is made on a zaak an earlier attempt made: the rol that attempt may have
  // made (its answer lost) is looked for among the zaak's rollen. (Not with GET
  // /rollen?zaak=: the official file types that filter as an integer.)
  void findRol() {
    callUrl("rol", made("zaak"), {}, nullptr, [self = shared_from_this()](unsigned status, const json::value& a) {
      const auto* listed = status == 200 && a.is_object() ? a.as_object().if_contains("rollen") : nullptr;
      if (listed == nullptr || !listed->is_array()) return self->refused("rol", status, a);
      std::vector<std::string> rollen;
      for (const auto& url : listed->as_array()) {
        if (url.is_string()) rollen.emplace_back(url.as_string());
      }
      self->checkRol(std::move(rollen), 0);
    });
  }
  void checkRol(std::vector<std::string> rollen, std::size_t next) {
    if (next >= rollen.size()) return postRol();
    const std::string url = rollen[next];
    callUrl("rol", url, {}, nullptr,
            [self = shared_from_this(), rollen = std::move(rollen), next](unsigned status, const json::value& a) {
              if (status != 200) return self->refused("rol", status, a);
              if (text(a, "betrokkeneType") == "natuurlijk_persoon" && text(a, "roltype") == self->target_.roltype) {
                if (auto found = urlOf(a)) return self->done("rol", *found);
              }
              self->checkRol(rollen, next + 1);
            });
  }

  void postRol() {
    // The person by BSN, or without one by the V-nummer as an "ander natuurlijk persoon".
    const json::object person = package_.bsn.empty() ? json::object{{"anpIdentificatie", package_.vnummer}}
                                                     : json::object{{"inpBsn", package_.bsn}};
    const json::object rol{{"zaak", made("zaak")},
                           {"betrokkeneType", "natuurlijk_persoon"},
                           {"roltype", target_.roltype},
                           {"roltoelichting", "inburgeringsplichtige"},
                           {"betrokkeneIdentificatie", person}};
    post("rol", target_.zaken, "rollen", rol, [self = shared_from_this()](unsigned status, const json::value& a) {
      if (status != 201) return self->refused("rol", status, a);
      auto url = urlOf(a);
      if (!url) return self->fail("zgw-rol-answer-invalid");
      self->done("rol", *url);
    });
  }

  void postDocument(std::string_view step, std::string_view suffix, const std::string& content, std::string_view format,
                    std::string_view extension) {
    const std::string identificatie = package_.identificatie + std::string(suffix);
    const bool readable = suffix == "-L";
    const std::string name = identificatie + std::string(extension);
    const json::object document{
        {"identificatie", identificatie},
        {"bronorganisatie", target_.rsin},
        {"creatiedatum", formatIsoDate(clock_.today())},
        {"titel", package_.titel.substr(0, 180) + (readable ? " (leesbaar)" : " (gegevens, JSON)")},
        {"auteur", "ketenpoort"},
        {"taal", "nld"},
        {"informatieobjecttype", target_.informatieobjecttype},
        {"vertrouwelijkheidaanduiding", package_.vertrouwelijkheidaanduiding},
        {"bestandsnaam", name},
        {"formaat", format},
        {"inhoud", base64Encode(content)}};
    post(step, target_.documenten, "enkelvoudiginformatieobjecten", document,
         [self = shared_from_this(), step = std::string(step), identificatie](unsigned status, const json::value& a) {
           if (status == 201) {
             auto url = urlOf(a);
             if (!url) return self->fail("zgw-" + step + "-answer-invalid");
             return self->done(step, *url);
           }
           if (status == 400 && hasInvalidParam(a, "identificatie-niet-uniek")) {
             return self->findByIdentificatie(step, self->target_.documenten, "enkelvoudiginformatieobjecten",
                                              identificatie);
           }
           self->refused(step, status, a);
         });
  }

  void postLink(std::string_view step, std::string_view document_step) {
    const json::object link{{"zaak", made("zaak")}, {"informatieobject", made(document_step)}};
    post(step, target_.zaken, "zaakinformatieobjecten", link,
         [self = shared_from_this(), step = std::string(step)](unsigned status, const json::value& a) {
           if (status == 201) {
             auto url = urlOf(a);
             if (!url) return self->fail("zgw-" + step + "-answer-invalid");
             return self->done(step, *url);
           }
           // The case system has this link already (an earlier attempt made it): done.
           if (status == 400 && hasInvalidParam(a, "unique")) return self->done(step, "linked-before");
           self->refused(step, status, a);
         });
  }

  void fail(std::string error) { finish({false, std::move(error), Reason::kRecipientFailed}); }
  void finish(DeliveryAttempt attempt) {
    if (!done_) return;
    auto done = std::move(done_);
    done_ = nullptr;
    done(std::move(attempt));
  }

  HttpsConnectionPool& pool_;
  const TimeSource& clock_;
  const std::int64_t deadline_ms_;
  const ZgwTarget target_;
  const ZgwPackage package_;
  const std::string transaction_id_;
  CaseSystemChannel::RecordStep record_step_;
  CaseSystemChannel::Done done_;
  json::object state_;
  bool zaak_made_now_ = false;  // this attempt made the zaak: it has no rol yet
};

}  // namespace

ZgwDeliveryChannel::ZgwDeliveryChannel(std::chrono::milliseconds timeout, const TimeSource& clock)
    : timeout_(timeout), clock_(clock) {}

ZgwDeliveryChannel::~ZgwDeliveryChannel() { close(); }

void ZgwDeliveryChannel::open(boost::asio::io_context& network, const std::shared_ptr<const ClientTls>& gateway_tls) {
  pool_ = std::make_unique<HttpsConnectionPool>(network, gateway_tls, timeout_, kIdlePerServer);
}

void ZgwDeliveryChannel::close() {
  if (pool_) pool_->close();
}

void ZgwDeliveryChannel::deliver(const ZgwTarget& target, const OutboxEntry& entry,
                                 std::shared_ptr<const std::string> body, RecordStep record_step, Done done) {
  if (!pool_) return done({false, "channel-not-open", Reason::kRecipientFailed});
  auto package = parseZgwPackage(*body);
  // Not a package this gateway made: no attempt can deliver it.
  if (!package || package->transaction_id != entry.transaction_id) {
    return done({false, "zgw-package-invalid", Reason::kPayloadMissing});
  }
  std::make_shared<ZgwDelivery>(*pool_, clock_, timeout_, target, std::move(*package), entry, std::move(record_step),
                                std::move(done))
      ->next();
}

}  // namespace ketenpoort
