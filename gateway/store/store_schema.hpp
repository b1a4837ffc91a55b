#pragma once

#include <string>
#include <string_view>

namespace ketenpoort::store_schema {

// What a dialect spells its own way in a CREATE statement; everything else about the
// tables both stores hold is written once (store_schema.cpp).
struct Dialect {
  std::string_view integer;       // a 64-bit integer column
  std::string_view bytes;         // a byte-string column
  std::string_view numbered_key;  // an integer key the database numbers on insert
  std::string_view chain_column;  // the column naming the chain (node) a row belongs to
  std::string_view log_key;       // the exchange log's key and sequence columns
  std::string_view log_unique;    // what else makes an exchange log row unique ("" or ", …")
  std::string_view log_order;     // appended to an index on the log: what orders its records
};

// Every table and index the SQLite and the PostgreSQL store both hold, in the shape this
// version writes, in the dialect's words. Every statement is CREATE … IF NOT EXISTS, so
// running them again changes nothing; bringing an older database to this shape is each
// store's own upgrade step (they differ in history, not in the result).
std::string tables(const Dialect& dialect);

}  // namespace ketenpoort::store_schema
