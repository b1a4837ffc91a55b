#pragma once

// Internal to the console: what its pages share. Each page is three parts — its
// parameters (parsed and checked, a Problem otherwise), its handler (the view recorded
// in the log first, then read) and its rendering (a pure function of what was read,
// through html::Markup, so no text reaches the markup unescaped).

#include <atomic>
#include <chrono>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "gateway/api/router.hpp"
#include "gateway/console/console_routes.hpp"
#include "gateway/console/form_guard.hpp"
#include "gateway/console/html.hpp"
#include "gateway/store/exchange_record.hpp"
#include "gateway/store/pseudonym_keys.hpp"
#include "gateway/vocabulary/reason.hpp"

namespace ketenpoort::console {

// A list page shows this many rows; the inzage at most this many exchanges of one person.
inline constexpr std::size_t kPageRows = 50;
inline constexpr std::size_t kInzageMax = 1000;
// A form's token lasts a working day.
inline constexpr std::chrono::hours kFormLifetime{10};

struct Officer {
  const Party& person;
  const Party& organisation;
};

// What a verification found, kept for the overview and the verify page.
struct VerificationSeen {
  std::string at;  // RFC 3339
  std::string by;  // the officer's name
  bool intact = false;
  std::uint64_t records = 0;
  std::string summary;  // one line per chain
};

struct ConsoleState {
  explicit ConsoleState(const ConsoleContext& c)
      : context(c), forms(c.store.referencer().derivedKeyHex("console-form-token"), kFormLifetime) {}

  ConsoleContext context;
  FormGuard forms;
  std::atomic<bool> verifying{false};
  std::mutex seen_mutex;
  std::optional<VerificationSeen> last_verification;
};

// A page: its content, or the Problem it answers with. `frame` takes its title.
using Page = Result<html::Markup>(ConsoleState&, const ApiRequest&, const Officer&, html::Frame&);

Page overviewPage;
Page searchPage;
Page exchangePage;
Page inzageFormPage;
Page inzagePage;
Page consentsPage;
Page verifyFormPage;
Page verifyPage;
Page accessTrailPage;

// ---- shared by the pages

// The party's name for an OIN ("OIN …" when none is configured).
std::string partyName(const GatewayConfig& config, const std::string& oin);
// Records the view in the exchange log; nothing is shown if this fails.
// `subject_ref_filed`: the reference is a log record's own (ExchangeRecord::subject_ref_filed).
bool recorded(ConsoleState& s, const Officer& officer, const std::string& page, const std::string& subject_ref,
              std::vector<std::string> description, bool subject_ref_filed = false);
// The hidden field with a fresh token of the FormGuard.
html::Markup formToken(ConsoleState& s, const Officer& officer);
// A person's reference, shortened ("geen" without one).
html::Markup pseudonym(const std::string& subject_ref);
// The fields' labels; the withheld fields with their reasons (repeated groups counted).
html::Markup fieldList(const std::vector<std::string>& fields);
html::Markup withheldList(const std::vector<WithheldField>& fields);
// The signed heads to keep and the pseudonym keys per year, as read for the verify pages
// (nullopt: unreadable), and how they are shown.
struct LogKeeping {
  std::optional<std::string> witness;  // the heads as JSON lines, "" when there are none
  std::optional<std::vector<PseudonymKeyring::PeriodStatus>> keys;
};
LogKeeping readLogKeeping(ConsoleState& s);
html::Markup renderLogKeeping(const LogKeeping& keeping);

}  // namespace ketenpoort::console
