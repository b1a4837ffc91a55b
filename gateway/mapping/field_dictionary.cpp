#include "gateway/mapping/field_dictionary.hpp"

#include <algorithm>
#include <array>

#include "gateway/calendar/civil_date.hpp"
#include "gateway/identity/bsn.hpp"
#include "gateway/vocabulary/enum_names.hpp"

namespace ketenpoort {
namespace {

constexpr std::array<EnumName<FieldType>, 10> kTypeNames{{
    {FieldType::kString, "string"},
    {FieldType::kText, "text"},
    {FieldType::kDate, "date"},
    {FieldType::kInteger, "integer"},
    {FieldType::kDecimal, "decimal"},
    {FieldType::kBoolean, "boolean"},
    {FieldType::kBsn, "bsn"},
    {FieldType::kVnummer, "vnummer"},
    {FieldType::kCbsCode, "cbs-code"},
    {FieldType::kEnum, "enum"},
}};

constexpr std::array<std::string_view, 14> kCategories{
    "identity",         "household",         "voorinburgering",  "inburgering", "financial",
    "contact",          "education",         "signal",           "free-text",   "special:health",
    "special:religion", "special:ethnicity", "special:criminal", "procedure"};

bool allDigits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

bool isInteger(std::string_view s) {
  if (!s.empty() && s[0] == '-') s.remove_prefix(1);
  return allDigits(s) && s.size() <= 18;
}

bool isDecimal(std::string_view s) {
  if (!s.empty() && s[0] == '-') s.remove_prefix(1);
  const auto dot = s.find('.');
  if (dot == std::string_view::npos) return allDigits(s) && s.size() <= 15;
  return allDigits(s.substr(0, dot)) && allDigits(s.substr(dot + 1)) && dot <= 15 && s.size() - dot - 1 <= 6;
}

}  // namespace

std::optional<FieldType> parseFieldType(std::string_view text) { return valueIn(kTypeNames, text); }

std::string_view toString(FieldType type) { return nameIn(kTypeNames, type); }

bool isKnownCategory(std::string_view category) {
  return std::find(kCategories.begin(), kCategories.end(), category) != kCategories.end();
}

std::optional<std::string> checkFieldValue(const FieldDefinition& field, std::string_view value) {
  switch (field.type) {
    case FieldType::kString:
    case FieldType::kText:
      return std::nullopt;
    case FieldType::kDate:
      if (parseIsoDate(value)) return std::nullopt;
      return "not a date (YYYY-MM-DD)";
    case FieldType::kInteger:
      if (isInteger(value)) return std::nullopt;
      return "not a whole number";
    case FieldType::kDecimal:
      if (isDecimal(value)) return std::nullopt;
      return "not a decimal number";
    case FieldType::kBoolean:
      if (value == "true" || value == "false") return std::nullopt;
      return "not true or false";
    case FieldType::kBsn:
      // The value itself is never repeated in the message: it would end up in logs.
      if (isValidBsn(value)) return std::nullopt;
      return "not a valid BSN (9 digits, elfproef)";
    case FieldType::kVnummer:
      if (value.size() == 10 && allDigits(value)) return std::nullopt;
      return "not a V-nummer (10 digits)";
    case FieldType::kCbsCode:
      if (value.size() == 4 && allDigits(value)) return std::nullopt;
      return "not a CBS gemeentecode (4 digits)";
    case FieldType::kEnum:
      if (std::find(field.enum_values.begin(), field.enum_values.end(), value) != field.enum_values.end()) {
        return std::nullopt;
      }
      return "not one of the allowed values";
  }
  return "unknown type";
}

bool FieldDictionary::add(FieldDefinition field) {
  if (by_id_.contains(field.id)) return false;
  field.index = fields_.size();
  by_id_.emplace(field.id, field.index);
  fields_.push_back(std::move(field));
  return true;
}

const FieldDefinition* FieldDictionary::find(std::string_view id) const {
  const auto it = by_id_.find(std::string(id));
  return it == by_id_.end() ? nullptr : &fields_[it->second];
}

}  // namespace ketenpoort
