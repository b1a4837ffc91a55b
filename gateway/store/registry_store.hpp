#pragma once

#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "gateway/policy/registries.hpp"
#include "gateway/store/exchange_log.hpp"
#include "gateway/store/subject_reference.hpp"

struct sqlite3;

namespace ketenpoort {

struct ConsentGrant {
  SubjectKey subject;
  std::string purpose_id;
  Oin recipient;
  std::string evidence_ref;  // where the signed consent is kept (document id, not the document)
  CivilDate granted;
  std::optional<CivilDate> expires;
};

struct ConsentEntry {
  std::string id;
  std::string subject_ref;
  std::string purpose_id;
  std::string recipient_oin;
  std::string evidence_ref;
  std::string granted;
  std::string expires;    // "" when open-ended
  std::string withdrawn;  // "" when not withdrawn

  // active, expired or withdrawn on `date`
  std::string statusOn(const CivilDate& date) const;
};

struct AgreementEntry {
  std::string id;
  std::string party_id;
  std::string purpose_id;
  std::string gemeente_cbs_code;
  CivilDate valid_from;
  CivilDate valid_until;  // inclusive
  std::string document_ref;
};

// The registries the policy engine consults, in the gateway's database. Lookups are
// SQLite reads (indexed, microseconds) and belong on a worker thread, not a network
// thread. Every change is written together with its own exchange-log record, in one
// transaction: a change that cannot be logged does not happen.
class RegistryStore final : public KoppelingRegistry,
                            public AgreementRegistry,
                            public ConsentRegistry {
 public:
  RegistryStore(const std::filesystem::path& database, const SubjectReferencer& referencer,
                ExchangeLog& log);
  ~RegistryStore() override;

  std::optional<std::string> gemeenteOf(const SubjectKey& subject,
                                        const CivilDate& date) const override;
  std::optional<std::string> findValid(std::string_view party_id, std::string_view purpose_id,
                                       std::string_view gemeente_cbs_code,
                                       const CivilDate& date) const override;
  std::optional<std::string> findActive(const SubjectKey& subject, std::string_view purpose_id,
                                        const Oin& recipient,
                                        const CivilDate& date) const override;

  // Registers a consent; the result names the consent id in `error` on failure only.
  struct Change {
    bool ok = false;
    std::string id;     // of the consent or agreement
    std::string error;  // when !ok
    std::uint64_t log_sequence = 0;
  };
  Change grantConsent(const ConsentGrant& grant);
  Change withdrawConsent(const std::string& consent_id, const CivilDate& date);
  // Inserts or updates an agreement (seeded from the config); unchanged ones are not
  // rewritten, so a restart does not log anything.
  Change upsertAgreement(const AgreementEntry& agreement);
  // The effect that records a koppeling, to be written with the exchange that taught it.
  ExchangeLog::Effect koppelingEffect(const SubjectKey& subject, std::string gemeente_cbs_code,
                                      CivilDate from, std::string source_transaction_id) const;

  // Consents of one person (all when subject is nullopt).
  std::vector<ConsentEntry> listConsents(const std::optional<SubjectKey>& subject) const;
  std::vector<ConsentEntry> listConsentsByReference(const std::optional<std::string>& subject_ref) const;

  Registries view() const { return Registries{*this, *this, *this}; }

 private:
  struct Lookups;  // the policy engine's three queries, prepared once

  const SubjectReferencer& referencer_;
  ExchangeLog& log_;
  mutable std::mutex read_mutex_;
  sqlite3* read_ = nullptr;
  std::unique_ptr<Lookups> lookups_;  // used under read_mutex_
};

}  // namespace ketenpoort
