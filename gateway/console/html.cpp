#include "gateway/console/html.hpp"

#include <array>
#include <boost/url/encode.hpp>
#include <boost/url/rfc/unreserved_chars.hpp>

namespace ketenpoort::html {

std::string link(std::string_view path, std::initializer_list<std::pair<std::string_view, std::string_view>> query) {
  std::string out(path);
  char separator = '?';
  for (const auto& [name, value] : query) {
    if (value.empty()) continue;
    out += separator;
    out += boost::urls::encode(name, boost::urls::unreserved_chars);
    out += '=';
    out += boost::urls::encode(value, boost::urls::unreserved_chars);
    separator = '&';
  }
  return out;
}

std::string page(const Frame& frame, const Markup& content) {
  struct NavigationEntry {
    Tags path;
    Tags label;
  };
  static constexpr std::array<NavigationEntry, 6> kNavigation{{
      {"/console", "Overzicht"},
      {"/console/uitwisselingen", "Uitwisselingen"},
      {"/console/inzage", "Inzage"},
      {"/console/toestemmingen", "Toestemmingen en overeenkomsten"},
      {"/console/controle", "Controle van het logboek"},
      {"/console/toegang", "Wie keek wat in"},
  }};
  Markup out;
  out << "<!DOCTYPE html>\n<html lang=\"nl\">\n<head>\n<meta charset=\"utf-8\">\n"
         "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
         "<meta name=\"referrer\" content=\"same-origin\">\n<title>"
      << text(frame.title)
      << " — ketenpoort</title>\n<link rel=\"stylesheet\" href=\"/console/console.css\">\n</head>\n<body>\n"
         "<a class=\"skip-link\" href=\"#inhoud\">Naar de inhoud</a>\n"
         "<header class=\"site-header\"><div class=\"inner\"><div class=\"ribbon\" aria-hidden=\"true\"></div>"
         "<div><p class=\"brand\">ketenpoort</p><p class=\"brand-sub\">Verantwoording van gegevensuitwisseling</p>"
         "</div><p class=\"officer\">Ingelogd als "
      << text(frame.officer) << "<br>Functionaris gegevensbescherming van " << text(frame.organisation)
      << "</p></div></header>\n<nav class=\"site-nav\" aria-label=\"Hoofdmenu\"><ul>";
  for (const auto& [path, label] : kNavigation) {
    out << "<li><a href=\"" << path << "\"";
    if (path.view() == frame.current) out << " aria-current=\"page\"";
    out << ">" << label << "</a></li>";
  }
  out << "</ul></nav>\n<main id=\"inhoud\">\n";
  if (!frame.letter_head.str().empty()) out << "<div class=\"letter-head\">" << frame.letter_head << "</div>\n";
  out << "<h1>" << text(frame.title) << "</h1>\n"
      << content
      << "\n</main>\n<footer class=\"site-footer\"><div class=\"inner\">ketenpoort — elke raadpleging in deze "
         "console wordt eerst in het logboek vastgelegd.</div></footer>\n</body>\n</html>\n";
  return std::move(out).str();
}

}  // namespace ketenpoort::html
