#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

#include <fstream>
#include <regex>
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
  std::map<std::string, unsigned> documented;
  const std::regex row(R"(\n\| `([a-z-]+)` \| (\d{3}) \|)");
  for (auto it = std::sregex_iterator(doc.begin(), doc.end(), row); it != std::sregex_iterator(); ++it) {
    documented.emplace((*it)[1].str(), static_cast<unsigned>(std::stoul((*it)[2].str())));
  }
  for (const ProblemType& type : problemCatalogue()) {
    const auto doc_entry = documented.find(std::string(type.name));
    ASSERT_NE(doc_entry, documented.end()) << type.name << " is not in docs/api/problems.md";
    EXPECT_EQ(doc_entry->second, type.status) << type.name;
    documented.erase(doc_entry);
  }
  for (const auto& [name, status] : documented) ADD_FAILURE() << name << " is documented but not in the catalogue";
}

TEST(ProblemCatalogue, NamesAreUniqueAndFoundAgain) {
  for (const ProblemType& type : problemCatalogue()) {
    EXPECT_EQ(problemCodeNamed(type.name), type.code) << type.name;
    EXPECT_EQ(&problemType(type.code), &type);
  }
  EXPECT_EQ(problemCodeNamed("no-such-code"), std::nullopt);
}

// Every reason the policy engine refuses with is an answer the catalogue has.
TEST(ProblemCatalogue, EveryRefusalReasonIsACode) {
  for (std::string_view reason : {reasons::kFlowNotAllowed, reasons::kPurposeMismatch, reasons::kInvalidMessage,
                                  reasons::kNoAgreement, reasons::kLawRegime, reasons::kNoKoppeling,
                                  reasons::kNoConsent, reasons::kIdentityConflict,
                                  reasons::kTransactionConflict}) {
    const Problem p = problems::refused(reason, "detail");
    EXPECT_EQ(p.name(), reason);
    EXPECT_NE(p.status(), 500u) << reason;
  }
  // A reason the catalogue lacks is a bug, never an improvised code.
  EXPECT_EQ(problems::refused("made-up", "detail").code, ProblemCode::kInternalError);
}

TEST(ProblemCatalogue, RendersOnceAsProblemJson) {
  const auto json = boost::json::parse(renderProblemJson(problems::refused(reasons::kNoConsent, "why"), "/v1/x"));
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
  EXPECT_EQ(failed.problem().code, ProblemCode::kInvalidQuery);
  EXPECT_EQ(failed.problem().status(), 400u);
}

}  // namespace
}  // namespace ketenpoort
