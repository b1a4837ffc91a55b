#include "gateway/pg_store/pg_registry_store.hpp"

#include "gateway/calendar/civil_date.hpp"
#include "gateway/pg_store/pg_exchange_log.hpp"
#include "gateway/pg_store/pg_session.hpp"
#include "gateway/store/registry_tables.hpp"
#include "gateway/store/record_codec.hpp"

namespace ketenpoort {



PgRegistryStore::PgRegistryStore(const std::string& dsn, const SubjectReferencer& referencer, PgExchangeLog& log)
    : RegistryStore(referencer, log), log_(log), read_(dsn) {}

const RegistrySnapshot& PgRegistryStore::current() const { return log_.registrySnapshot(); }

std::optional<KoppelingInForce> PgRegistryStore::koppelingOf(const SubjectKey& subject, const CivilDate& date) const {
  return current().koppelingOfReference(referencer_.reference(subject), date);
}

std::optional<std::string> PgRegistryStore::gemeenteOfReference(const std::string& ref, const CivilDate& date) const {
  return current().gemeenteOfReference(ref, date);
}

IdentityRegistry::Link PgRegistryStore::linkOf(const std::string& bsn, const std::string& vnummer) const {
  return current().linkOf(referencer_.reference({SubjectKey::Kind::kBsn, bsn}),
                          referencer_.reference({SubjectKey::Kind::kVnummer, vnummer}));
}

std::optional<std::string> PgRegistryStore::findValid(std::string_view party_id, std::string_view purpose_id,
                                                      std::string_view gemeente_cbs_code,
                                                      const CivilDate& date) const {
  return current().findAgreement(party_id, purpose_id, gemeente_cbs_code, date);
}

std::optional<std::string> PgRegistryStore::findActive(const SubjectKey& subject, std::string_view purpose_id,
                                                       const Oin& recipient, const CivilDate& date) const {
  return current().findConsent(referencer_.reference(subject), purpose_id, recipient.str(), date);
}

std::vector<ConsentEntry> PgRegistryStore::listConsentsByReference(const std::optional<std::string>& subject) const {
  std::lock_guard lock(read_mutex_);
  if (!read_.alive()) read_.reconnect();
  PgSession session(read_);
  try {
    return registry_tables::listConsents(session, subject);
  } catch (const pg::PgError&) {
    if (read_.alive()) throw;
    read_.reconnect();  // the server went away (a restart, a failover): once more
    return registry_tables::listConsents(session, subject);
  }
}

std::optional<ConsentEntry> PgRegistryStore::consent(const std::string& id) const { return current().consent(id); }

std::optional<AgreementEntry> PgRegistryStore::agreement(const std::string& id) const {
  return current().agreement(id);
}

}  // namespace ketenpoort
