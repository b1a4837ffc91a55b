#include "adapters/zgw/readable_document.hpp"

#include "gateway/calendar/civil_date.hpp"
#include "gateway/markup/markup.hpp"

namespace ketenpoort {
namespace {

using html::Markup;
using html::text;

// Plain and printable: the case system shows it in a browser or prints it; no font, image
// or script from elsewhere.
constexpr html::Tags kStyle =
    "<style>"
    "body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,Arial,sans-serif;color:#1a1a1a;"
    "max-width:46rem;margin:2rem auto;padding:0 1rem;line-height:1.45}"
    "h1{font-size:1.5rem;margin:0 0 .25rem}h2{font-size:1.1rem;margin:2rem 0 .5rem}"
    ".meta{color:#4a4a4a;margin:0 0 1.5rem}"
    "table{border-collapse:collapse;width:100%}"
    "th,td{text-align:left;vertical-align:top;padding:.4rem .6rem;border-bottom:1px solid #d0d0d0}"
    "th{width:40%;font-weight:600}"
    ".withheld td{color:#4a4a4a}"
    "footer{margin-top:2rem;font-size:.85rem;color:#4a4a4a}"
    "@media print{body{margin:0;max-width:none}}"
    "</style>";

// Values as a consulent reads them: ISO dates in Dutch, true/false as ja/nee.
std::string shown(const std::string& value) {
  if (value == "true") return "ja";
  if (value == "false") return "nee";
  if (value.size() == 10 && parseIsoDate(value)) return dutchDateTime(value);
  return value;
}

}  // namespace

std::string renderReadableDocument(const ReadableDocument& d) {
  Markup page;
  page << "<!DOCTYPE html><html lang=\"nl\"><head><meta charset=\"utf-8\">"
       << "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>" << text(d.title)
       << "</title>" << kStyle << "</head><body><main><h1>" << text(d.title) << "</h1><p class=\"meta\">Van "
       << text(d.sender) << ", ontvangen " << text(dutchDateTime(d.sent_at)) << ".<br>Doel: " << text(d.purpose)
       << ".<br>Grondslag: " << text(d.legal_basis) << ".</p>";
  page << "<h2>Gegevens</h2>";
  if (d.delivered.empty()) {
    page << "<p>Dit bericht bevat geen gegevens.</p>";
  } else {
    page << "<table><tbody>";
    for (const auto& field : d.delivered) {
      page << "<tr><th scope=\"row\">" << text(field.label) << "</th><td>" << text(shown(field.value)) << "</td></tr>";
    }
    page << "</tbody></table>";
  }
  if (!d.withheld.empty()) {
    page << "<h2>Niet doorgegeven</h2><p>Deze gegevens had de afzender wel, maar ze zijn niet aan de gemeente "
            "doorgegeven. Vraag er niet opnieuw naar.</p><table class=\"withheld\"><tbody>";
    for (const auto& field : d.withheld) {
      page << "<tr><th scope=\"row\">" << text(field.label) << "</th><td>" << text(field.reason) << "</td></tr>";
    }
    page << "</tbody></table>";
  }
  page << "</main><footer>Doorgegeven via de ketenpoort inburgering. Kenmerk " << text(d.transaction_id)
       << ": onder dit kenmerk kent de functionaris gegevensbescherming deze uitwisseling.</footer></body></html>";
  return std::move(page).str();
}

}  // namespace ketenpoort
