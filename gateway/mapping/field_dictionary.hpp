#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace ketenpoort {

enum class FieldType {
  kString,   // a short value
  kText,     // free text, as written by a person
  kDate,     // YYYY-MM-DD
  kInteger,  // whole number, may be negative
  kDecimal,  // e.g. 1234.50
  kBoolean,  // true | false
  kBsn,      // 9 digits passing the elfproef
  kVnummer,  // vreemdelingennummer, 10 digits
  kCbsCode,  // 4-digit gemeentecode
  kEnum,     // one of the listed values
};

std::optional<FieldType> parseFieldType(std::string_view text);
std::string_view toString(FieldType type);

// The AVG categories a field can have; "special:*" are the art. 9 (and art. 10) ones.
bool isKnownCategory(std::string_view category);
inline bool isSpecialCategory(std::string_view category) { return category.starts_with("special:"); }

// One canonical field: the unit in which the gateway reasons about personal data.
// Repeated groups are written with "[]": "gezin.leden[].relatie".
struct FieldDefinition {
  std::string id;
  std::string label;  // in Dutch, as a consulent reads it (the ZGW channel's readable document)
  FieldType type = FieldType::kString;
  std::string category;
  std::vector<std::string> enum_values;
  std::string description;
  std::size_t index = 0;  // position in the dictionary, for dense per-field tables
  int line = 0;

  bool isSpecial() const { return isSpecialCategory(category); }
};

// Why a value does not fit its field, or nullopt when it does.
std::optional<std::string> checkFieldValue(const FieldDefinition& field, std::string_view value);

class FieldDictionary {
 public:
  // Returns false when the id is taken.
  bool add(FieldDefinition field);
  const FieldDefinition* find(std::string_view id) const;
  const FieldDefinition& at(std::size_t index) const { return fields_[index]; }
  std::size_t size() const { return fields_.size(); }
  const std::vector<FieldDefinition>& all() const { return fields_; }

 private:
  std::vector<FieldDefinition> fields_;
  std::unordered_map<std::string, std::size_t> by_id_;
};

}  // namespace ketenpoort
