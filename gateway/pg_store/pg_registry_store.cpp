#include "gateway/pg_store/pg_registry_store.hpp"

#include "gateway/pg_store/pg_exchange_log.hpp"
#include "gateway/pg_store/pg_session.hpp"

namespace ketenpoort {

PgRegistryStore::PgRegistryStore(const std::string& dsn, const SubjectReferencer& referencer, PgExchangeLog& log)
    : RegistryStore(referencer, log, PgSession::forReads(dsn), log.timeSource()), log_(log) {}

// The log's writer keeps it current with this node's commits and catches up when another
// node's change is seen (each group compares versions; a notification wakes the watcher).
const RegistrySnapshot& PgRegistryStore::current() const { return log_.registrySnapshot(); }

}  // namespace ketenpoort
