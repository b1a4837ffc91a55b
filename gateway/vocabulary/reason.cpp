#include "gateway/vocabulary/reason.hpp"

#include <array>
#include <ostream>

namespace ketenpoort {

namespace {
using R = Reason;
// In the enum's order (checked at compile time below).
constexpr std::array kCatalogue{
    ReasonType{R::kBadRequest, "bad-request", 400, "The request is not valid HTTP",
               "het verzoek was geen geldig HTTP-verzoek"},
    ReasonType{R::kDuplicateHeader, "duplicate-header", 400, "A header that may appear once was sent more than once",
               "een kopregel die één keer mag voorkomen, stond er vaker in"},
    ReasonType{R::kNotFound, "not-found", 404, "No such resource", "dit bestaat niet"},
    ReasonType{R::kMethodNotAllowed, "method-not-allowed", 405, "Method not allowed on this resource",
               "deze handeling kan hier niet"},
    ReasonType{R::kPayloadTooLarge, "payload-too-large", 413, "The request body is too large",
               "het bericht was te groot"},
    ReasonType{R::kHeaderTooLarge, "header-too-large", 431, "The request header is too large",
               "de kop van het verzoek was te groot"},
    ReasonType{R::kInvalidClientCertificate, "invalid-client-certificate", 403,
               "The client certificate does not carry exactly one 20-digit OIN",
               "het certificaat van de organisatie had geen geldig OIN"},
    ReasonType{R::kUnknownParty, "unknown-party", 403, "The calling organisation is not a known party",
               "de organisatie is niet aangesloten"},
    ReasonType{R::kTestPartyRefused, "test-party-refused", 403, "Test OINs are accepted only by a gateway in test mode",
               "een testorganisatie kan alleen bij een testgateway terecht"},
    ReasonType{R::kRoleNotAllowed, "role-not-allowed", 403, "The calling party's role may not use this listener",
               "deze organisatie mag dit deel van de gateway niet gebruiken"},
    ReasonType{R::kInvalidQuery, "invalid-query", 400, "The query parameters are not valid",
               "de zoekvraag was niet juist"},
    ReasonType{R::kBsnInUrl, "bsn-in-url", 400, "A BSN does not belong in a URL", "een BSN hoort niet in een webadres"},
    ReasonType{R::kFormNotTrusted, "form-not-trusted", 403, "The form did not come from this console",
               "het formulier kwam niet van deze console"},
    ReasonType{R::kCrossSiteRequest, "cross-site-request", 403, "The browser says this request came from another site",
               "het verzoek kwam van een andere website"},
    ReasonType{R::kUnsupportedMediaType, "unsupported-media-type", 415,
               "The request body is not of the type this resource takes",
               "het bericht had een soort die hier niet past"},
    ReasonType{R::kInvalidTransactionId, "invalid-transaction-id", 400, "X-Transaction-Id must be a UUID",
               "het berichtnummer was niet geldig"},
    ReasonType{R::kTransactionInProgress, "transaction-in-progress", 409, "This transaction is being processed",
               "dit bericht werd nog verwerkt"},
    ReasonType{R::kInvalidMessage, "invalid-message", 400, "The message is not valid for this flow",
               "het bericht was niet volledig of niet juist"},
    ReasonType{R::kTransactionConflict, "transaction-conflict", 409, "This transaction id belongs to another exchange",
               "het berichtnummer hoorde al bij een ander bericht"},
    ReasonType{R::kIdentityConflict, "identity-conflict", 403, "The message's identifiers belong to different persons",
               "de nummers in het bericht hoorden bij verschillende personen"},
    ReasonType{R::kFlowNotAllowed, "flow-not-allowed", 403, "This party may not send this flow",
               "deze organisatie mag dit soort bericht niet sturen of ontvangen"},
    ReasonType{R::kPurposeMismatch, "purpose-mismatch", 403, "The stated purpose is not the flow's purpose",
               "het opgegeven doel past niet bij dit bericht"},
    ReasonType{R::kNoKoppeling, "no-koppeling", 403, "The person is not gekoppeld to the recipient",
               "de persoon is niet aan deze gemeente gekoppeld"},
    ReasonType{R::kLawRegime, "law-regime", 403, "The person's law regime gives no basis",
               "voor deze persoon geldt de oude wet (Wet inburgering 2013): er is geen grondslag"},
    ReasonType{R::kNoAgreement, "no-agreement", 403, "No valid agreement covers this exchange",
               "er was geen geldige overeenkomst tussen de organisaties"},
    ReasonType{R::kNoConsent, "no-consent", 403, "No active consent covers this exchange",
               "mag alleen met toestemming van de persoon, en die was er niet"},
    ReasonType{R::kKoppelingConflict, "koppeling-conflict", 409,
               "The herkoppeling is dated before the koppeling in force began",
               "de herkoppeling lag vóór het begin van de koppeling die gold: er veranderde niets"},
    ReasonType{R::kSubjectUnknown, "subject-unknown", 404, "The source system does not know this person",
               "de bron kende deze persoon niet"},
    ReasonType{R::kSourceUnreachable, "source-unreachable", 502, "The source system could not be reached",
               "de bron was niet bereikbaar"},
    ReasonType{R::kSourceInvalidAnswer, "source-invalid-answer", 502, "The source system's answer is not usable",
               "het antwoord van de bron was niet bruikbaar"},
    ReasonType{R::kSourceTimeout, "source-timeout", 504, "The source system did not answer in time",
               "de bron antwoordde niet op tijd"},
    ReasonType{R::kLogUnavailable, "log-unavailable", 503, "The exchange log cannot be written",
               "het logboek kon niet worden geschreven"},
    ReasonType{R::kInternalError, "internal-error", 500, "Internal error", "een fout in de gateway"},
    ReasonType{R::kNotPermitted, "not-permitted", 0, "The recipient does not need the field for the purpose",
               "de ontvanger heeft dit gegeven niet nodig voor het doel"},
    ReasonType{R::kSpecialCategory, "special-category", 0, "A special category of personal data is never passed on",
               "bijzonder persoonsgegeven (zoals gezondheid): wordt nooit doorgegeven"},
    ReasonType{R::kNotMapped, "not-mapped", 0, "Source content the flow's mapping does not know",
               "geen bekend gegeven voor dit doel: niet doorgegeven"},
    ReasonType{R::kTransactionKnown, "transaction-known", 0, "The transaction id is logged already",
               "dit bericht was al eerder ontvangen"},
    ReasonType{R::kBasisWithdrawnConsent, "basis-withdrawn:consent", 0,
               "Not delivered: the consent ended before the message left",
               "niet afgeleverd: de toestemming verviel voordat het bericht vertrok"},
    ReasonType{R::kBasisWithdrawnAgreement, "basis-withdrawn:agreement", 0,
               "Not delivered: the agreement ended before the message left",
               "niet afgeleverd: de overeenkomst eindigde voordat het bericht vertrok"},
    ReasonType{R::kBasisWithdrawnKoppeling, "basis-withdrawn:koppeling", 0,
               "Not delivered: the person was gekoppeld to another gemeente before the message left",
               "niet afgeleverd: de persoon werd intussen aan een andere gemeente gekoppeld"},
    ReasonType{R::kBasisEndedDuringDeliveryConsent, "basis-ended-during-delivery:consent", 0,
               "Delivered, but the consent ended during the attempt",
               "afgeleverd, maar de toestemming verviel terwijl het bericht onderweg was"},
    ReasonType{R::kBasisEndedDuringDeliveryAgreement, "basis-ended-during-delivery:agreement", 0,
               "Delivered, but the agreement ended during the attempt",
               "afgeleverd, maar de overeenkomst eindigde terwijl het bericht onderweg was"},
    ReasonType{R::kBasisEndedDuringDeliveryKoppeling, "basis-ended-during-delivery:koppeling", 0,
               "Delivered, but the person was gekoppeld to another gemeente during the attempt",
               "afgeleverd, maar de persoon werd intussen aan een andere gemeente gekoppeld"},
    ReasonType{R::kRecipientFailed, "recipient-failed", 0, "The recipient's endpoint failed or answered an error",
               "het systeem van de ontvanger nam het bericht niet aan"},
    ReasonType{R::kPayloadMissing, "payload-missing", 0, "The outbox holds no body for the entry",
               "het bericht zelf ontbrak: het kon niet worden afgeleverd"},
    ReasonType{R::kRecipientEndpointGone, "recipient-endpoint-gone", 0,
               "The configuration no longer holds the recipient's endpoint",
               "de ontvanger heeft geen adres meer voor dit bericht in de configuratie"},
    ReasonType{R::kAuditQuery, "audit-query", 0, "A query of the privacy officer",
               "raadpleging door de functionaris gegevensbescherming"},
    ReasonType{R::kConsentGranted, "consent-granted", 0, "A consent registered", "toestemming vastgelegd"},
    ReasonType{R::kConsentWithdrawn, "consent-withdrawn", 0, "A consent withdrawn", "toestemming ingetrokken"},
    ReasonType{R::kAgreementRegistered, "agreement-registered", 0, "An agreement registered",
               "overeenkomst vastgelegd"},
    ReasonType{R::kAgreementEnded, "agreement-ended", 0, "An agreement the configuration no longer holds ended",
               "de overeenkomst is beëindigd: ze staat niet meer in de configuratie"},
    ReasonType{R::kKoppelingRegistered, "koppeling-registered", 0, "A koppeling registered",
               "koppeling aan een gemeente vastgelegd"},
    ReasonType{R::kRegistryHistoryPurged, "registry-history-purged", 0,
               "Ended koppelingen and consents removed after their retention",
               "beëindigde koppelingen en toestemmingen verwijderd na hun bewaartermijn"},
    ReasonType{R::kRetentionEnded, "retention-ended", 0, "Records removed after their retention",
               "records verwijderd na hun bewaartermijn"},
};

constexpr bool inEnumOrder() {
  for (std::size_t i = 0; i < kCatalogue.size(); ++i) {
    if (static_cast<std::size_t>(kCatalogue[i].reason) != i) return false;
    // The answers come first and only they have a status.
    const bool answer = i <= static_cast<std::size_t>(R::kInternalError);
    if (answer != (kCatalogue[i].status != 0)) return false;
  }
  return static_cast<std::size_t>(R::kRetentionEnded) + 1 == kCatalogue.size();
}
static_assert(inEnumOrder(), "one catalogue entry per Reason, in the enum's order, answers first");
}  // namespace

std::span<const ReasonType> reasonCatalogue() { return kCatalogue; }

const ReasonType& reasonType(Reason reason) { return kCatalogue.at(static_cast<std::size_t>(reason)); }

std::optional<Reason> reasonNamed(std::string_view name) {
  for (const ReasonType& type : kCatalogue) {
    if (type.name == name) return type.reason;
  }
  return std::nullopt;
}

std::ostream& operator<<(std::ostream& out, Reason reason) { return out << reasonName(reason); }

}  // namespace ketenpoort
