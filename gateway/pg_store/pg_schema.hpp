#pragma once

#include <string>

#include "gateway/pg_store/pg_connection.hpp"

namespace ketenpoort::pg {

// The schema's versions, each a migration applied in one transaction and recorded in
// ketenpoort_schema. `ketenpoort db migrate` brings a database to the version this
// gateway writes; a node refuses to start on any other version (older: migrate first;
// newer or unknown: the database belongs to a newer gateway).
inline constexpr int kSchemaVersion = 6;

// The version a database is at: 0 when it holds no ketenpoort schema.
int schemaVersion(Connection& connection);
// Creates the schema in an empty database, or applies every upgrade an older one lacks,
// under an advisory lock (two nodes migrating at once do it once). Returns how many
// versions the database moved forward. Throws when the database is newer than this gateway.
int migrate(Connection& connection);
// Throws, saying what to do, unless the database is at kSchemaVersion.
void requireCurrentSchema(Connection& connection);

}  // namespace ketenpoort::pg
