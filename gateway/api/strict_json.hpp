#pragma once

#include <boost/json/value.hpp>

#include <string_view>

#include "gateway/api/problem.hpp"

namespace ketenpoort {

// Parses a request's JSON body as the gateway takes it: one value, valid UTF-8, no comments,
// no trailing commas, and no key given twice in any object. Boost.JSON keeps the last of
// two equal keys; a body that says two things about one parameter is refused rather than
// read as the last (as the exchange API refuses a header sent twice). The problem
// (invalid-query) never repeats a key or a value of the body.
Result<boost::json::value> parseStrictJson(std::string_view body);

}  // namespace ketenpoort
