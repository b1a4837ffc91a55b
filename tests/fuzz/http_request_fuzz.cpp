// Any bytes as an HTTP/1.1 request head and body, through the listener's own reading
// code: Beast's parser with the listener's limits, then the framing check and the
// conversion to an ApiRequest. No crash; a request that passes the framing check has
// at most one of each singleton header and unambiguous framing.
#include <boost/beast/http.hpp>

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "gateway/http/http_io.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  namespace http = boost::beast::http;
  using namespace ketenpoort::http_internal;
  http::request_parser<http::string_body> parser;
  parser.header_limit(16 * 1024);
  parser.body_limit(64 * 1024);
  parser.eager(true);
  boost::beast::error_code ec;
  parser.put(boost::asio::buffer(data, size), ec);
  if (ec || !parser.is_header_done()) return 0;
  const auto problem = framingProblem(parser.get().base());
  if (problem) {
    if (problem->status() != 400 || problem->name().empty()) __builtin_trap();
    return 0;
  }
  const auto& header = parser.get();
  std::size_t te = 0;
  std::size_t cl = 0;
  for (const auto& field : header) {
    if (field.name() == http::field::transfer_encoding) ++te;
    if (field.name() == http::field::content_length) ++cl;
  }
  if (te > 1 || cl > 1 || (te == 1 && cl == 1)) __builtin_trap();
  if (parser.is_done()) {
    ketenpoort::ApiRequest api = toApiRequest(parser.get(), nullptr);
    if (!api.path.empty() && api.path.find('?') != std::string::npos) __builtin_trap();
  }
  return 0;
}
