#include "adapters/taalschool/taalschool_json_format.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <charconv>

namespace ketenpoort {

namespace {

// Returns false with `error` set when the value cannot become a source tree.
bool convert(const boost::json::value& value, SourceNode& out, int depth, std::string& error) {
  if (depth > kMaxSourceDepth) {
    error = "document nested deeper than " + std::to_string(kMaxSourceDepth) + " levels";
    return false;
  }
  switch (value.kind()) {
    case boost::json::kind::object:
      for (const auto& member : value.as_object()) {
        const std::string name(member.key());
        if (member.value().is_array()) {
          // "a[]": each element is a child named "a", in order.
          for (const auto& element : member.value().as_array()) {
            out.children.push_back({name, {}, {}});
            if (!convert(element, out.children.back(), depth + 1, error)) return false;
          }
          continue;
        }
        out.children.push_back({name, {}, {}});
        if (!convert(member.value(), out.children.back(), depth + 1, error)) return false;
      }
      return true;
    case boost::json::kind::array:
      error = "an array directly inside an array cannot be mapped";
      return false;
    case boost::json::kind::string:
      out.text = std::string(value.as_string());
      return true;
    case boost::json::kind::bool_:
      out.text = value.as_bool() ? "true" : "false";
      return true;
    case boost::json::kind::null:
      return true;  // an absent value: the mapper sees no text
    default:
      // Numbers as written would lose "12.50" → 12.5 only in formatting, never in value;
      // serialize gives the shortest exact form.
      out.text = boost::json::serialize(value);
      return true;
  }
}

std::optional<std::int32_t> wholeNumber(const SourceNode& root, std::string_view name) {
  for (const SourceNode& child : root.children) {
    if (child.name != name) continue;
    std::int32_t n = 0;
    const auto [end, ec] = std::from_chars(child.text.data(), child.text.data() + child.text.size(), n);
    if (ec != std::errc() || end != child.text.data() + child.text.size()) return std::nullopt;
    return n;
  }
  return std::nullopt;
}

void setChild(SourceNode& root, const std::string& name, std::string text) {
  std::erase_if(root.children, [&](const SourceNode& c) { return c.name == name; });
  root.children.push_back({name, std::move(text), {}});
}

}  // namespace

std::variant<SourceNode, std::string> sourceFromJson(std::string_view json, const std::string& root_name) {
  boost::system::error_code ec;
  boost::json::parse_options options;
  options.max_depth = kMaxSourceDepth + 1;
  const boost::json::value value = boost::json::parse(json, ec, {}, options);
  if (ec) return "not valid JSON: " + ec.message();
  if (!value.is_object()) return std::string("the document must be a JSON object");
  SourceNode root{root_name, {}, {}};
  std::string error;
  if (!convert(value, root, 0, error)) return error;
  return root;
}

std::variant<SourceNode, std::string> TaalschoolJsonFormat::decode(const FlowDefinition& flow,
                                                                   std::string_view body) const {
  if (body.empty()) return std::string("the body is empty; expected a JSON object");
  auto parsed = sourceFromJson(body, flow.source_root);
  if (std::holds_alternative<std::string>(parsed)) return parsed;
  if (flow.source_root != "aanwezigheid") return parsed;

  SourceNode& root = std::get<SourceNode>(parsed);
  const auto planned = wholeNumber(root, "lessen_gepland");
  const auto attended = wholeNumber(root, "lessen_bijgewoond");
  if (!planned || !attended) {
    return std::string("lessen_gepland and lessen_bijgewoond must be whole numbers");
  }
  try {
    const AttendanceAssessment a = assessAttendance(*planned, *attended, thresholds_);
    if (a.basis_points) {
      setChild(root, "percentage", formatHundredths(*a.basis_points));
      setChild(root, "onder_norm", a.under_norm ? "true" : "false");
    } else {
      // No lessons planned: no percentage and no norm flag, not even the sender's own.
      std::erase_if(root.children,
                    [](const SourceNode& c) { return c.name == "percentage" || c.name == "onder_norm"; });
    }
  } catch (const std::invalid_argument&) {
    return std::string("lessen_bijgewoond must be between 0 and lessen_gepland");
  }
  return parsed;
}

}  // namespace ketenpoort
