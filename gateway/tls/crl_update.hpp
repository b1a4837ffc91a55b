#pragma once

#include <filesystem>
#include <string>
#include <string_view>

namespace ketenpoort {

// What became of a CRL a CA published, offered for one file of the CRL directory.
struct CrlUpdate {
  enum class Outcome {
    kInstalled,  // newer than the file held (or there was none): written in its place
    kUnchanged,  // the file holds this CRL, or a newer one of the same CA
    kRefused,    // not a CRL, not signed by a CA of the bundle, another CA's than the file's
    kFailed,     // could not be fetched or written
  };
  Outcome outcome = Outcome::kRefused;
  std::string detail;  // why refused; or the issuer and thisUpdate taken (organisations, never persons)
};
std::string_view toString(CrlUpdate::Outcome outcome);

// Takes `body` (a CRL, DER or PEM, as the CA's distribution point serves it) for `target`
// in the CRL directory when it is one the gateway can trust and newer than what `target`
// holds: parsed, its signature checked against the CA of `ca_bundle` that issued it, its
// issuer the same as the current file's, its thisUpdate later. Written as PEM next to
// `target` under a name the directory's reader skips, flushed, then renamed over it (the
// file watch sees a whole file or the old one, never half of one). An attacker who can
// answer for a plain-HTTP distribution point can offer only CRLs the CA signed, and an
// older one (to hide a revocation) is never taken over a newer one. Blocking file I/O.
CrlUpdate installCrl(std::string_view body, const std::filesystem::path& ca_bundle,
                     const std::filesystem::path& target);

}  // namespace ketenpoort
