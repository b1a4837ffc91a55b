#include "adapters/gemeente/gemeente_json_format.hpp"

#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <charconv>

namespace ketenpoort {

namespace {

boost::json::value typedValue(const CanonicalValue& v) {
  if (v.field) {
    if (v.field->type == FieldType::kBoolean) return boost::json::value(v.value == "true");
    if (v.field->type == FieldType::kInteger) {
      std::int64_t n = 0;
      const auto [end, ec] = std::from_chars(v.value.data(), v.value.data() + v.value.size(), n);
      if (ec == std::errc() && end == v.value.data() + v.value.size()) return boost::json::value(n);
    }
  }
  return boost::json::value(v.value);
}

// Walks "a.b[2].c" into `root`, creating objects and arrays on the way, and sets the leaf.
void place(boost::json::object& root, std::string_view path, boost::json::value value) {
  boost::json::value* at = nullptr;
  boost::json::object* object = &root;
  while (!path.empty()) {
    const auto dot = path.find('.');
    std::string_view segment = path.substr(0, dot);
    path = dot == std::string_view::npos ? std::string_view() : path.substr(dot + 1);
    std::size_t index = 0;
    bool indexed = false;
    if (const auto bracket = segment.find('['); bracket != std::string_view::npos) {
      std::from_chars(segment.data() + bracket + 1, segment.data() + segment.size() - 1, index);
      indexed = true;
      segment = segment.substr(0, bracket);
    }
    at = &(*object)[segment];
    if (indexed) {
      if (!at->is_array()) *at = boost::json::array();
      auto& array = at->as_array();
      while (array.size() <= index) array.emplace_back(boost::json::object());
      at = &array[index];
    }
    if (!path.empty()) {
      if (!at->is_object()) *at = boost::json::object();
      object = &at->as_object();
    }
  }
  if (at) *at = std::move(value);
}

}  // namespace

std::string GemeenteJsonFormat::render(const OutboundMessage& m) const {
  boost::json::object gegevens;
  for (const CanonicalValue* v : m.delivered) place(gegevens, v->path, typedValue(*v));
  boost::json::object document{{"transactie_id", m.transaction_id},
                               {"flow", m.flow.id},
                               {"doelbinding", m.flow.purpose_id},
                               {"grondslag", m.legal_basis},
                               {"gegevens", std::move(gegevens)}};
  return boost::json::serialize(document);
}

}  // namespace ketenpoort
