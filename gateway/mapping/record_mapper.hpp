#pragma once

#include <string>
#include <vector>

#include "gateway/mapping/canonical_record.hpp"
#include "gateway/mapping/flow_definition.hpp"
#include "gateway/mapping/source_document.hpp"

namespace ketenpoort {

struct MappingOutcome {
  CanonicalRecord record;
  // Why the document is not a valid message for the flow: wrong root, a single element
  // given twice, a value of the wrong type (a BSN failing the elfproef, a bad date).
  // Messages name paths and fields, never values.
  std::vector<std::string> errors;

  bool ok() const { return errors.empty(); }
};

MappingOutcome mapSourceDocument(const FlowDefinition& flow, const SourceNode& document);

}  // namespace ketenpoort
