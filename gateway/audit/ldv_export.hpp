#pragma once

// The exchange log in the shape of Logius' Logboek Dataverwerkingen (LDV): each flow's
// purpose is a processing activity with a stable id, and each exchange about a person is
// one record per data subject, an OpenTelemetry-style span (docs/ldv.md, its JSON Schema
// docs/ldv/ldv-record.schema.json). The data subject is the keyed reference, never a BSN.
#include <optional>
#include <string>
#include <vector>

#include <boost/json/object.hpp>

#include "gateway/mapping/flow_definition.hpp"
#include "gateway/store/exchange_query.hpp"

namespace ketenpoort {

// One entry of the register of processing activities (AVG art. 30): what a flow does,
// for which purpose, on which basis, with which categories of data, kept how long, to whom.
struct ProcessingActivity {
  std::string id;  // stable: a UUID derived from the flow's id
  std::string flow;
  std::string purpose;
  std::string purpose_description;
  std::string legal_basis;              // kind and article
  std::vector<std::string> categories;  // of the fields any recipient may receive
  std::string retention;                // ISO 8601 period, as the mapping states it
  std::vector<std::string> recipients;  // roles
  std::vector<std::string> senders;     // roles
};

// The activities of every flow in the catalogue, and the gateway's own (the privacy
// officer's queries, the registries' changes), in a stable order.
std::vector<ProcessingActivity> processingActivities(const MappingCatalogue& catalogue);
boost::json::object activityJson(const ProcessingActivity& activity);

// The LDV record of one logged exchange about a person; nullopt when it names no person
// (nothing to log of a data subject). `activities` as processingActivities returned.
std::optional<boost::json::object> ldvRecord(const LoggedExchange& exchange,
                                             const std::vector<ProcessingActivity>& activities);

}  // namespace ketenpoort
