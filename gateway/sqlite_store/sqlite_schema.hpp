#pragma once

#include "gateway/store/sql_session.hpp"

namespace ketenpoort::sqlite_schema {

// The layout this code writes (PRAGMA user_version). Layout 2 to 5 files are brought to it;
// an older one is refused rather than mixed (its records would not verify under the new
// encoding).
inline constexpr int kLayout = 7;

// Creates the tables (gateway/store/store_schema.cpp, in SQLite's words), or brings a file
// of an older layout to this one, under the write lock: two processes opening one file for
// the first time do it once. A file of this layout needs no write.
void prepare(sql::Session& s);

}  // namespace ketenpoort::sqlite_schema
