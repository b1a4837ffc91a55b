#pragma once

#include <optional>

#include "gateway/api/api_message.hpp"
#include "gateway/api/problem.hpp"

namespace ketenpoort {

// The audit listener's check of every request before its route runs (issue 25). A browser
// sends the officer's client certificate with any request to the listener, also one that
// another site's page makes (an <img> of a console page, a text/plain POST to the audit
// API), and every audit route records an access in the officer's name. So a request is
// refused, before anything is recorded, when
//  - the browser says it came from elsewhere: `Sec-Fetch-Site` other than `same-origin`
//    or `none` (the officer typed the address or opened a bookmark), or an `Origin` other
//    than this listener's own (`https://` + `Host`); `Origin: null` included;
//  - it is a POST outside the console whose body is not `application/json`: the only
//    types a page elsewhere can send without the browser asking first (CORS) are form and
//    text types.
// A client that is no browser (the officer's own scripts, curl) sends none of these headers
// and a JSON body, and passes.
std::optional<Problem> crossSiteProblem(const ApiRequest& request);

// Whether `content_type` (a header's value, parameters allowed) names `media_type`.
bool hasMediaType(std::string_view content_type, std::string_view media_type);

}  // namespace ketenpoort
