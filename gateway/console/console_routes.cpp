#include "gateway/console/console_routes.hpp"

#include <memory>

#include "gateway/api/request_task.hpp"
#include "gateway/audit/audit_queries.hpp"
#include "gateway/console/console_pages.hpp"

namespace ketenpoort {

// The stylesheet, embedded at build time from console.css (console_assets.cpp).
extern const std::string_view kConsoleStylesheet;

namespace {

using console::ConsoleState;
using console::Officer;
using html::Markup;
using html::text;

ApiResponse htmlResponse(unsigned status, std::string body) {
  ApiResponse response;
  response.status = status;
  response.content_type = "text/html; charset=utf-8";
  response.body = std::move(body);
  return response;
}

// A problem as a page: the catalogue's status, and its code shown, so a person can quote it.
ApiResponse problemPage(const Problem& problem, const html::Frame& frame) {
  html::Frame f = frame;
  f.title = problem.status() == 403   ? "Geen toegang"
            : problem.status() >= 500 ? "Tijdelijk niet beschikbaar"
                                      : "Dit verzoek kan niet worden uitgevoerd";
  f.letter_head = Markup();
  Markup body;
  body << "<div class=\"error\" role=\"alert\"><p>" << text(reasonType(problem.code).title) << "</p><p>"
       << text(problem.detail) << "</p><p>Code: <code>" << text(problem.name())
       << "</code></p></div><p><a href=\"/console\">Terug naar het overzicht</a></p>";
  return htmlResponse(problem.status(), html::page(f, body));
}

// One console request: on the blocking pool (pages read the database and wait for their
// record), with the officer's organisation, the security headers on every answer.
RequestTask consoleRequest(std::shared_ptr<ConsoleState> state, std::string current, console::Page* page,
                           ApiRequest request) {
  ConsoleState& s = *state;
  co_await ResumeOn(s.context.run_blocking);
  html::Frame frame;
  frame.current = current;
  frame.officer = request.caller->name;
  const Party* organisation = s.context.config.findPartyById(request.caller->organisation.value_or(""));
  ApiResponse response;
  if (!organisation) {
    response = problemPage(problems::roleNotAllowed("the caller serves no configured organisation"), frame);
  } else {
    frame.organisation = organisation->name;
    const Officer officer{*request.caller, *organisation};
    try {
      const Result<Markup> content = page(s, request, officer, frame);
      response = content.ok() ? htmlResponse(200, html::page(frame, *content)) : problemPage(content.problem(), frame);
    } catch (const std::runtime_error&) {
      // The store could not be read (the error is the store's; it names no person).
      response = problemPage(problems::logUnavailable(), frame);
    }
  }
  addConsoleSecurityHeaders(response);
  co_return response;
}

void addPage(Router& router, const std::shared_ptr<ConsoleState>& state, const std::string& method,
             const std::string& path, const std::string& current, console::Page* page) {
  router.addAsync(method, path, [state, current, page](ApiRequest request, Router::Respond respond) {
    consoleRequest(state, current, page, std::move(request)).start(std::move(respond));
  });
}

}  // namespace

void addConsoleRoutes(Router& router, const ConsoleContext& context) {
  const auto state = std::make_shared<ConsoleState>(context);
  router.add("GET", "/", [](const ApiRequest&) {
    ApiResponse r;
    r.status = 303;
    r.content_type = "text/plain; charset=utf-8";
    r.headers.emplace_back("Location", "/console");
    addConsoleSecurityHeaders(r);
    return r;
  });
  router.add("GET", "/console/console.css", [](const ApiRequest&) {
    ApiResponse r;
    r.content_type = "text/css; charset=utf-8";
    r.body = std::string(kConsoleStylesheet);
    addConsoleSecurityHeaders(r);
    return r;
  });
  using namespace console;  // the pages
  addPage(router, state, "GET", "/console", "/console", overviewPage);
  addPage(router, state, "GET", "/console/", "/console", overviewPage);
  addPage(router, state, "GET", "/console/uitwisselingen", "/console/uitwisselingen", searchPage);
  addPage(router, state, "GET", "/console/uitwisselingen/{volgnummer}", "/console/uitwisselingen", exchangePage);
  addPage(router, state, "GET", "/console/inzage", "/console/inzage", inzageFormPage);
  addPage(router, state, "POST", "/console/inzage", "/console/inzage", inzagePage);
  addPage(router, state, "GET", "/console/toestemmingen", "/console/toestemmingen", consentsPage);
  addPage(router, state, "GET", "/console/controle", "/console/controle", verifyFormPage);
  addPage(router, state, "POST", "/console/controle", "/console/controle", verifyPage);
  addPage(router, state, "GET", "/console/toegang", "/console/toegang", accessTrailPage);
}

}  // namespace ketenpoort
