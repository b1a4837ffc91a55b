#pragma once

#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

#include "gateway/markup/markup.hpp"

namespace ketenpoort::html {

// The console's pages, one frame: header with the officer's name, the navigation (the
// current page marked), the content, the footer. `title` goes into <title> and <h1>: it
// never holds personal data.
struct Frame {
  std::string title;
  std::string current;       // the navigation entry's path, e.g. "/console/inzage"
  std::string officer;       // the officer's party name
  std::string organisation;  // the organisation's name
  Markup letter_head;        // printed only (inzage)
};
std::string page(const Frame& frame, const Markup& content);

// "/console/uitwisselingen?van=2026-01-01&stroom=x": the query's values percent-encoded.
std::string link(std::string_view path, std::initializer_list<std::pair<std::string_view, std::string_view>> query);

}  // namespace ketenpoort::html
