#pragma once

#include <string>

#include "gateway/store/registry_store.hpp"

namespace ketenpoort {

class PgExchangeLog;

// The registries in PostgreSQL (RegistryStore): the snapshot is the log writer's, which it
// keeps current with its own commits and catches up when another node changed the
// registries (ADR 0016: the version every commit compares, and a notification that wakes
// an idle node).
class PgRegistryStore final : public RegistryStore {
 public:
  PgRegistryStore(const std::string& dsn, const SubjectReferencer& referencer, PgExchangeLog& log);

 private:
  const RegistrySnapshot& current() const override;

  PgExchangeLog& log_;
};

}  // namespace ketenpoort
