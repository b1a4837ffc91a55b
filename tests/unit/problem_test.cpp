#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "gateway/api/problem.hpp"
#include "gateway/policy/policy_engine.hpp"

namespace ketenpoort {
namespace {

std::string readDoc(const std::string& relative) {
  std::ifstream in(std::string(KETENPOORT_SOURCE_DIR) + "/" + relative);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// The catalogue and docs/api/problems.md say the same: every code documented with its
// status, and no documented code the gateway cannot answer.
TEST(ProblemCatalogue, MatchesTheDocumentedCodes) {
  const std::string doc = readDoc("docs/api/problems.md");
  ASSERT_FALSE(doc.empty());
  // Rows of the table: "| `code` | status | when |".
  std::map<std::string, unsigned> documented;
  std::istringstream lines(doc);
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind("| `", 0) != 0) continue;
    const auto code_end = line.find("` | ", 3);
    if (line.find('`', 3) != code_end) continue;  // a row that qualifies its code ("`not-found` on …")
    if (code_end == std::string::npos || code_end + 7 > line.size()) continue;
    const std::string status = line.substr(code_end + 4, 3);
    if (status.find_first_not_of("0123456789") != std::string::npos) continue;
    documented.emplace(line.substr(3, code_end - 3), static_cast<unsigned>(std::stoul(status)));
  }
  for (const ReasonType& type : problemCatalogue()) {
    const auto doc_entry = documented.find(std::string(type.name));
    ASSERT_NE(doc_entry, documented.end()) << type.name << " is not in docs/api/problems.md";
    EXPECT_EQ(doc_entry->second, type.status) << type.name;
    documented.erase(doc_entry);
  }
  for (const auto& [name, status] : documented) ADD_FAILURE() << name << " is documented but not in the catalogue";
}

// One vocabulary: every reason has its own name, found again by it, and words in plain
// Dutch for the console; the answers are exactly those with a status.
TEST(ReasonCatalogue, NamesAreUniqueFoundAgainAndSaidInDutch) {
  std::set<std::string_view> names;
  for (const ReasonType& type : reasonCatalogue()) {
    EXPECT_TRUE(names.insert(type.name).second) << type.name << " twice";
    EXPECT_EQ(reasonNamed(type.name), type.reason) << type.name;
    EXPECT_EQ(&reasonType(type.reason), &type);
    EXPECT_FALSE(type.dutch.empty()) << type.name;
    EXPECT_FALSE(type.title.empty()) << type.name;
  }
  EXPECT_EQ(reasonNamed("no-such-code"), std::nullopt);
  EXPECT_EQ(problemCatalogue().size(), static_cast<std::size_t>(Reason::kInternalError) + 1);
  for (const ReasonType& type : problemCatalogue()) EXPECT_NE(type.status, 0u) << type.name;
}

// Every reason the policy engine refuses with is an answer the catalogue has.
TEST(ProblemCatalogue, EveryRefusalReasonIsAnAnswer) {
  for (Reason reason : {Reason::kFlowNotAllowed, Reason::kPurposeMismatch, Reason::kInvalidMessage,
                        Reason::kNoAgreement, Reason::kLawRegime, Reason::kNoKoppeling, Reason::kNoConsent,
                        Reason::kIdentityConflict, Reason::kTransactionConflict, Reason::kKoppelingConflict}) {
    const Problem p = problems::refused(reason, "detail");
    EXPECT_EQ(p.code, reason);
    EXPECT_NE(p.status(), 500u) << reasonName(reason);
  }
  // A reason that is never an answer (a withheld field's) is a bug when refused with.
  EXPECT_EQ(problems::refused(Reason::kNotPermitted, "detail").code, Reason::kInternalError);
}

TEST(ProblemCatalogue, RendersOnceAsProblemJson) {
  const auto json = boost::json::parse(renderProblemJson(problems::refused(Reason::kNoConsent, "why"), "/v1/x"));
  EXPECT_EQ(json.at("type"), "urn:ketenpoort:problem:no-consent");
  EXPECT_EQ(json.at("code"), "no-consent");
  EXPECT_EQ(json.at("status"), 403);
  EXPECT_EQ(json.at("title"), "No active consent covers this exchange");
  EXPECT_EQ(json.at("detail"), "why");
  EXPECT_EQ(json.at("instance"), "/v1/x");
}

TEST(Result, CarriesAValueOrAProblem) {
  const Result<int> ok = 7;
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(*ok, 7);
  const Result<int> failed = problems::invalidQuery("no");
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.problem().code, Reason::kInvalidQuery);
  EXPECT_EQ(failed.problem().status(), 400u);
}

}  // namespace
}  // namespace ketenpoort
