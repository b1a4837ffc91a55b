#pragma once
// The registry half of a record's transaction and an entry's withdrawal, written once
// for both stores (issue 26):
// each change writes its tables, raises the registries' version, keeps a change row under
// the new version (for other processes and nodes to apply) and remembers the change for
// the writer to apply to its snapshot once the transaction has committed.

#include <cstdint>
#include <vector>

#include "gateway/calendar/time_source.hpp"
#include "gateway/store/registry_snapshot.hpp"
#include "gateway/store/sql_session.hpp"
#include "gateway/store/store_transaction.hpp"

namespace ketenpoort {

// The registry changes of one item, or of a group of them once committed.
struct RegistryChanges {
  std::vector<RegistrySnapshot::Change> changes;
  std::uint64_t version = 0;  // what the last change raised the version to
  std::size_t raises = 0;

  void clear() { *this = RegistryChanges{}; }
  // An item's changes join the group's (after the item's savepoint was released).
  void add(RegistryChanges& item);
};

class SqlStoreTransaction : public StoreTransaction {
 public:
  // `changes`: the item's, cleared by the caller before the item runs.
  // `clock` stamps what the change writes.
  SqlStoreTransaction(sql::Session& session, RegistryChanges& changes, const TimeSource& clock)
      : session_(session), clock_(clock), changes_(changes) {}

  ChangeVerdict recordKoppeling(const KoppelingEntry& koppeling) final;
  void insertConsent(const ConsentEntry& consent) final;
  void withdrawConsent(const std::string& consent_id, const CivilDate& date) final;
  void upsertAgreement(const AgreementEntry& agreement) final;
  void linkIdentities(const IdentityLinkEntry& link) final;
  RegistryHistoryRemoved removeRegistryHistory(const CivilDate& ended_before) final;
  void withdrawDelivery(const std::string& transaction_id, Reason reason) final;

 protected:
  sql::Session& session_;
  const TimeSource& clock_;

 private:
  void changed(RegistrySnapshot::Change change, const std::string& encoded);

  RegistryChanges& changes_;
};

}  // namespace ketenpoort
