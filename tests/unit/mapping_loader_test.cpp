#include <gmock/gmock.h>

#include "tests/support/mapping_fixture.hpp"

namespace ketenpoort::testing {
namespace {

using ::testing::HasSubstr;

class MappingLoaderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::filesystem::copy(shippedMappings(), dir_.path() / "m", std::filesystem::copy_options::recursive);
  }
  std::filesystem::path flowFile(const std::string& id) const { return dir_.path() / "m" / "flows" / (id + ".xml"); }
  std::vector<std::string> problems() const {
    std::vector<std::string> out;
    for (const auto& p : loadMappings(dir_.path() / "m").problems) out.push_back(p.str());
    return out;
  }
  // The line on which `text` first appears in a file.
  int lineOf(const std::filesystem::path& file, const std::string& text) const {
    const std::string content = readText(file);
    const auto at = content.find(text);
    EXPECT_NE(at, std::string::npos);
    return 1 + static_cast<int>(std::count(content.begin(), content.begin() + static_cast<long>(at), '\n'));
  }

  TempDir dir_;
};

TEST_F(MappingLoaderTest, ShippedMappingsLoadWithEveryFlowOfTheChain) {
  const auto& catalogue = shippedCatalogue();
  for (const char* id : {"coa.klantprofiel", "coa.nareisprofiel", "duo.inburgeringsstatus", "duo.elip-signaal",
                         "taalschool.elip-aanmelding", "taalschool.aanwezigheid", "toeslagen.status",
                         "coa.toeslagaanvraag", "coa.herkoppeling"}) {
    const FlowDefinition* flow = catalogue.findFlow(id);
    ASSERT_NE(flow, nullptr) << id;
    EXPECT_FALSE(flow->purpose_id.empty()) << id;
    EXPECT_FALSE(flow->basis_article.empty()) << id;
    EXPECT_FALSE(flow->recipients.empty()) << id;
    EXPECT_FALSE(flow->version.empty()) << id;
  }
  EXPECT_EQ(catalogue.flows.size(), 9u);
  EXPECT_TRUE(catalogue.findFlow("coa.herkoppeling")->koppeling_moves);
  EXPECT_EQ(catalogue.fields.find("medisch.diagnosen[]")->category, "special:health");
}

TEST_F(MappingLoaderTest, NoShippedFlowGivesAnySpecialCategoryFieldToAnyone) {
  for (const auto& flow : shippedCatalogue().flows) {
    for (const auto& rule : flow->recipients) {
      for (const auto& allowed : rule.allowed) {
        EXPECT_FALSE(allowed.field->isSpecial()) << flow->id << " gives " << allowed.field->id;
      }
    }
  }
}

TEST_F(MappingLoaderTest, MedicalFieldAllowedToTheGemeenteIsAProblemWithFileAndLine) {
  const auto file = flowFile("coa.klantprofiel");
  editFile(file, R"(    <allow field="procedure.profiel_versie"/>)", R"(    <allow field="medisch.diagnosen[]"/>)");
  const int line = lineOf(file, R"(<allow field="medisch.diagnosen[]"/>)");
  EXPECT_THAT(problems(),
              ::testing::Contains(HasSubstr(file.string() + ":" + std::to_string(line) +
                                            ": field \"medisch.diagnosen[]\" is special:health (AVG art. 9)")));
}

TEST_F(MappingLoaderTest, SpecialFieldWithACitedExceptionLoads) {
  editFile(flowFile("coa.klantprofiel"), R"(    <allow field="procedure.profiel_versie"/>)",
           R"(    <allow field="procedure.profiel_versie"/>
    <allow field="medisch.beperking" art9-exception="AVG art. 9 lid 2 sub a: uitdrukkelijke toestemming"/>)");
  EXPECT_THAT(problems(), ::testing::IsEmpty());
}

TEST_F(MappingLoaderTest, FieldNotInTheDictionaryIsAProblem) {
  editFile(flowFile("coa.nareisprofiel"), R"(to="nareis.aankomstdatum")", R"(to="nareis.vertrekdatum")");
  EXPECT_THAT(problems(),
              ::testing::Contains(HasSubstr("field \"nareis.vertrekdatum\" is not in the field dictionary")));
}

TEST_F(MappingLoaderTest, UnknownElementsAndAttributesAreProblems) {
  editFile(flowFile("duo.elip-signaal"), R"(<retention period="P2Y"/>)",
           R"(<retention period="P2Y" archive="yes"/><owner>DUO</owner>)");
  EXPECT_THAT(problems(), ::testing::Contains(HasSubstr("unknown attribute \"archive\" on <retention>")));
  EXPECT_THAT(problems(), ::testing::Contains(HasSubstr("unknown element <owner> in <flow>")));
}

TEST_F(MappingLoaderTest, TwoFlowsWithOneIdAreAProblem) {
  // A copy under another name still says id="duo.elip-signaal".
  std::filesystem::copy(flowFile("duo.elip-signaal"), flowFile("kopie"));
  EXPECT_THAT(problems(), ::testing::Contains(HasSubstr("flow \"duo.elip-signaal\" is also defined in")));
  EXPECT_THAT(problems(), ::testing::Contains(HasSubstr("must live in a file named duo.elip-signaal.xml")));
}

// The console says a purpose in the mappings' words: each flow says it (nl), and two flows
// of one purpose say it alike.
TEST_F(MappingLoaderTest, APurposeIsSaidInDutchAndOneWayOnly) {
  EXPECT_EQ(*shippedCatalogue().purposeInDutch("elip"),
            "het signaal dat de lening of de tijd voor inburgering bijna op is (ELIP)");
  EXPECT_EQ(shippedCatalogue().purposeInDutch("bewaartermijn"), nullptr);
  editFile(flowFile("taalschool.aanwezigheid"), R"(nl="het signaal dat de lening)",
           R"(nl="het ELIP-signaal dat de lening)");
  EXPECT_THAT(problems(), ::testing::Contains(HasSubstr("purpose \"elip\" is said otherwise (nl) by flow")));
  editFile(flowFile("taalschool.aanwezigheid"),
           R"x(nl="het ELIP-signaal dat de lening of de tijd voor inburgering bijna op is (ELIP)")x", "");
  EXPECT_THAT(problems(), ::testing::Contains(HasSubstr("<purpose> lacks required attribute \"nl\"")));
}

TEST_F(MappingLoaderTest, RepetitionMustMatchOnBothSides) {
  editFile(flowFile("coa.klantprofiel"), R"(<map from="gezin/lid[]/relatie")", R"(<map from="gezin/lid/relatie")");
  EXPECT_THAT(problems(), ::testing::Contains(HasSubstr("must repeat (\"[]\") the same number of times")));
}

TEST_F(MappingLoaderTest, AllowedFieldThatNoMapFillsIsAProblem) {
  editFile(flowFile("duo.elip-signaal"), R"(<allow field="elip.kandidaat"/>)",
           R"(<allow field="elip.kandidaat"/><allow field="persoon.voornamen"/>)");
  EXPECT_THAT(problems(), ::testing::Contains(HasSubstr("\"persoon.voornamen\" is allowed but no <map> fills it")));
}

TEST_F(MappingLoaderTest, ConsentBasisNeedsConsentCondition) {
  editFile(flowFile("coa.toeslagaanvraag"), R"(consent="required"/>)", R"(consent="none"/>)");
  EXPECT_THAT(problems(), ::testing::Contains(HasSubstr("basis is toestemming needs consent=\"required\"")));
}

TEST_F(MappingLoaderTest, TheKoppelingDateIsAFieldTheMappingNames) {
  EXPECT_EQ(shippedCatalogue().findFlow("coa.klantprofiel")->koppeling_date_field->id, "procedure.koppeling_datum");
  editFile(flowFile("coa.klantprofiel"), R"(koppeling-date-field="procedure.koppeling_datum")",
           R"(koppeling-date-field="procedure.koppeling_gemeentecode")");
  EXPECT_THAT(problems(), ::testing::Contains(HasSubstr("koppeling-date-field must be of type date")));
}

TEST_F(MappingLoaderTest, DictionaryProblemsAreReported) {
  editFile(dir_.path() / "m" / "fields.xml", R"(category="identity" description="Burgerservicenummer")",
           R"(category="identiteit" description="Burgerservicenummer")");
  EXPECT_THAT(problems(), ::testing::Contains(HasSubstr("unknown AVG category \"identiteit\"")));
}

// Issue 28: every field has the Dutch label a consulent reads in the case system.
TEST_F(MappingLoaderTest, EveryFieldHasADutchLabel) {
  for (const auto& field : shippedCatalogue().fields.all()) EXPECT_FALSE(field.label.empty()) << field.id;
  EXPECT_EQ(shippedCatalogue().fields.find("persoon.bsn")->label, "Burgerservicenummer");
  editFile(dir_.path() / "m" / "fields.xml", R"(label="Burgerservicenummer" )", "");
  EXPECT_THAT(problems(), ::testing::Contains(HasSubstr("lacks required attribute \"label\"")));
}

// Issue 28: the message as a document in the case system, at least vertrouwelijk.
TEST_F(MappingLoaderTest, EveryFlowNamesItsDocumentAndItIsAtLeastVertrouwelijk) {
  for (const auto& flow : shippedCatalogue().flows) {
    EXPECT_FALSE(flow->document_title.empty()) << flow->id;
    EXPECT_EQ(flow->confidentiality, "vertrouwelijk") << flow->id;
  }
  EXPECT_EQ(shippedCatalogue().findFlow("coa.klantprofiel")->document_title, "Klantprofiel van COA");
  editFile(flowFile("coa.klantprofiel"), R"(confidentiality="vertrouwelijk")", R"(confidentiality="intern")");
  EXPECT_THAT(problems(), ::testing::Contains(HasSubstr("confidentiality must be at least vertrouwelijk")));
  editFile(flowFile("coa.klantprofiel"), R"(confidentiality="intern")", R"(confidentiality="geheimpje")");
  EXPECT_THAT(problems(), ::testing::Contains(HasSubstr("must be a ZGW vertrouwelijkheidaanduiding")));
}

TEST_F(MappingLoaderTest, MalformedRetentionIsAProblem) {
  editFile(flowFile("duo.elip-signaal"), R"(period="P2Y")", R"(period="2 jaar")");
  EXPECT_THAT(problems(), ::testing::Contains(HasSubstr("retention period must be ISO 8601")));
}

// The registries keep an ended consent or koppeling seven years (ADR 0020): a record kept
// longer could outlive the basis it names.
TEST_F(MappingLoaderTest, ARetentionLongerThanTheRegistriesKeepTheirHistoryIsAProblem) {
  editFile(flowFile("duo.elip-signaal"), R"(period="P2Y")", R"(period="P7Y1D")");
  EXPECT_THAT(problems(), ::testing::Contains(HasSubstr("retention period P7Y1D is longer than the registries keep")));
  editFile(flowFile("duo.elip-signaal"), R"(period="P7Y1D")", R"(period="P84M")");
  EXPECT_THAT(problems(), ::testing::Not(::testing::Contains(HasSubstr("is longer than the registries keep"))));
}

}  // namespace
}  // namespace ketenpoort::testing

#include "gateway/mapping/privacy_model_report.hpp"

namespace ketenpoort::testing {
namespace {

TEST(PrivacyModel, TheCommittedDocumentIsWhatTheMappingsSay) {
  const std::string generated = renderPrivacyModel(shippedCatalogue());
  const std::string committed = readText(KETENPOORT_SOURCE_DIR "/docs/privacy-model.md");
  EXPECT_TRUE(generated == committed) << "docs/privacy-model.md is out of date; regenerate it with\n"
                                         "  build/ketenpoort privacy-model --mappings mappings > docs/privacy-model.md";
}

TEST(PrivacyModel, WithheldMedicalFieldsAreExplained) {
  const std::string doc = renderPrivacyModel(shippedCatalogue());
  EXPECT_NE(doc.find("| `medisch.diagnosen[]` | special:health | Special category"), std::string::npos);
  EXPECT_NE(doc.find("| `duo.ontheffing.grond` | special:health |"), std::string::npos);
  EXPECT_NE(doc.find("only with the person's consent for `elip`"), std::string::npos);
}

}  // namespace
}  // namespace ketenpoort::testing
