#include "gateway/api/strict_json.hpp"

#include <boost/json/basic_parser_impl.hpp>
#include <boost/json/parse.hpp>

#include <set>
#include <string>
#include <vector>

namespace ketenpoort {

namespace {

// Only watches the keys of each open object; the value itself is built by
// boost::json::parse once the body passed.
struct DuplicateKeyHandler {
  static constexpr std::size_t max_array_size = static_cast<std::size_t>(-1);
  static constexpr std::size_t max_object_size = static_cast<std::size_t>(-1);
  static constexpr std::size_t max_string_size = static_cast<std::size_t>(-1);
  static constexpr std::size_t max_key_size = static_cast<std::size_t>(-1);

  std::vector<std::set<std::string>> open_objects;
  std::string key;
  bool duplicate = false;

  using ec_t = boost::system::error_code;
  bool on_document_begin(ec_t&) { return true; }
  bool on_document_end(ec_t&) { return true; }
  bool on_array_begin(ec_t&) { return true; }
  bool on_array_end(std::size_t, ec_t&) { return true; }
  bool on_object_begin(ec_t&) {
    open_objects.emplace_back();
    return true;
  }
  bool on_object_end(std::size_t, ec_t&) {
    open_objects.pop_back();
    return true;
  }
  bool on_string_part(boost::json::string_view, std::size_t, ec_t&) { return true; }
  bool on_string(boost::json::string_view, std::size_t, ec_t&) { return true; }
  bool on_key_part(boost::json::string_view s, std::size_t, ec_t&) {
    key.append(s.data(), s.size());
    return true;
  }
  bool on_key(boost::json::string_view s, std::size_t, ec_t& ec) {
    key.append(s.data(), s.size());
    const bool inserted = open_objects.back().insert(std::move(key)).second;
    key.clear();
    if (!inserted) {
      duplicate = true;
      ec = boost::json::error::syntax;  // stops the parser here
      return false;
    }
    return true;
  }
  bool on_number_part(boost::json::string_view, ec_t&) { return true; }
  bool on_int64(std::int64_t, boost::json::string_view, ec_t&) { return true; }
  bool on_uint64(std::uint64_t, boost::json::string_view, ec_t&) { return true; }
  bool on_double(double, boost::json::string_view, ec_t&) { return true; }
  bool on_bool(bool, ec_t&) { return true; }
  bool on_null(ec_t&) { return true; }
  bool on_comment_part(boost::json::string_view, ec_t&) { return true; }
  bool on_comment(boost::json::string_view, ec_t&) { return true; }
};

}  // namespace

Result<boost::json::value> parseStrictJson(std::string_view body) {
  boost::json::basic_parser<DuplicateKeyHandler> watcher(boost::json::parse_options{});
  boost::system::error_code ec;
  watcher.write_some(false, body.data(), body.size(), ec);
  if (watcher.handler().duplicate) return problems::invalidQuery("the body names a key twice in one object");
  if (ec) return problems::invalidQuery("the body is not valid JSON");
  boost::json::value value = boost::json::parse(body, ec);
  if (ec) return problems::invalidQuery("the body is not valid JSON");
  return value;
}

}  // namespace ketenpoort
