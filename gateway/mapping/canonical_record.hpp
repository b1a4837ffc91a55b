#pragma once

#include <string>
#include <vector>

#include "gateway/mapping/field_dictionary.hpp"

namespace ketenpoort {

// One value in canonical form: "gezin.leden[1].relatie" = "kind", with its field.
struct CanonicalValue {
  const FieldDefinition* field = nullptr;
  std::string path;  // the field id with indices filled in
  std::string value;
};

// A document after mapping: the canonical values, plus the source paths that carried a
// value the mapping does not know. Those are never passed on; they are reported as
// withheld ("not-mapped") so a privacy officer can see that something was dropped.
struct CanonicalRecord {
  std::vector<CanonicalValue> values;
  std::vector<std::string> unmapped_paths;

  const CanonicalValue* first(const FieldDefinition* field) const {
    for (const auto& v : values) {
      if (v.field == field) return &v;
    }
    return nullptr;
  }
};

}  // namespace ketenpoort
