#pragma once

#include <string>
#include <string_view>

namespace ketenpoort::html {

// Text for HTML content and quoted attribute values: & < > " ' escaped, and bytes that
// are not UTF-8 replaced (a value from the log or a form is never trusted to be text).
std::string escape(std::string_view text);

// The console's pages, one frame: header with the officer's name, the navigation (the
// current page marked), the content, the footer. `title` goes into <title> and <h1>: it
// never holds personal data.
struct Frame {
  std::string title;
  std::string current;       // the navigation entry's path, e.g. "/console/inzage"
  std::string officer;       // the officer's party name
  std::string organisation;  // the organisation's name
  std::string letter_head;   // printed only (inzage): already HTML
};
std::string page(const Frame& frame, std::string_view content_html);

// "/console/uitwisselingen?van=2026-01-01&stroom=x": the query's values percent-encoded.
std::string link(std::string_view path, std::initializer_list<std::pair<std::string_view, std::string_view>> query);

}  // namespace ketenpoort::html
