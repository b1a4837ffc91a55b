#pragma once
// The registries' tables (koppeling, consents, agreements, identity_links, the version and
// the change rows), each statement written once for both stores (issue 26). Writes run on
// the log writer's session inside a record's transaction (SqlStoreTransaction); loads and
// listings on a session of their own.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "gateway/store/registry_snapshot.hpp"
#include "gateway/store/sql_session.hpp"
#include "gateway/store/store_transaction.hpp"

namespace ketenpoort::registry_tables {

// Ends the open koppeling of the person (under either linked reference) on the new one's
// day and inserts the new one; declines with kKoppelingConflict (nothing changed, once
// the caller rolls back) when an open one begins after that day.
[[nodiscard]] ChangeVerdict recordKoppeling(sql::Session& s, const KoppelingEntry& koppeling);
void insertConsent(sql::Session& s, const ConsentEntry& consent);
// Throws when there is no such consent or it is withdrawn already.
void withdrawConsent(sql::Session& s, const std::string& consent_id, const CivilDate& date);
void upsertAgreement(sql::Session& s, const AgreementEntry& agreement);
// Throws when either number is linked to another already.
void linkIdentities(sql::Session& s, const IdentityLinkEntry& link, std::string_view linked_utc);
RegistryHistoryRemoved removeHistory(sql::Session& s, const CivilDate& ended_before);

// The registries' version: raised by one with every change, by whichever process or node.
std::uint64_t version(sql::Session& s);
// Raises it by one and returns the new one (the row stays locked until the transaction
// ends, so two writers' changes are numbered one after the other).
std::uint64_t raiseVersion(sql::Session& s);

// Everything at one version, in one read transaction of its own.
RegistrySnapshot::Contents load(sql::Session& s);
// The consents of one person's reference (all, when none), by grant date and id.
std::vector<ConsentEntry> listConsents(sql::Session& s, const std::optional<std::string>& subject_ref);

// A change as its registry_changes row keeps it (JSON: what the change wrote; keyed
// references, never a number, and no transaction id), and back. Written with the version
// it raised to, so other processes and nodes apply what they missed in order.
std::string encodeKoppeling(const KoppelingEntry& koppeling);
std::string encodeConsentInserted(const ConsentEntry& consent);
std::string encodeConsentWithdrawn(const std::string& consent_id, const CivilDate& date);
std::string encodeAgreement(const AgreementEntry& agreement);
std::string encodeIdentityLink(const IdentityLinkEntry& link);
std::string encodeHistoryRemoved(const CivilDate& ended_before);
// Throws std::runtime_error for a row this version cannot read.
RegistrySnapshot::Change decodeChange(std::string_view encoded);
void recordChange(sql::Session& s, std::uint64_t version, const std::string& encoded);
// Removes the change rows before `version`: after a purge of the history they would still
// name what it removed. A reader behind them loads the registries anew.
void forgetChangesBefore(sql::Session& s, std::uint64_t version);

// Brings `snapshot` to the database's current version: the missed changes applied in
// order when the change rows are all there, otherwise everything loaded anew. Outside a
// transaction.
void catchUp(sql::Session& s, RegistrySnapshot& snapshot);

}  // namespace ketenpoort::registry_tables
