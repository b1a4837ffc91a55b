#include "adapters/zgw/zgw_package.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "adapters/zgw/zgw_token.hpp"
#include "gateway/store/identifiers.hpp"

namespace ketenpoort {
namespace {

namespace json = boost::json;

bool readText(const json::object& o, std::string_view name, std::string& out) {
  const auto* v = o.if_contains(name);
  if (v == nullptr || !v->is_string()) return false;
  out = std::string(v->as_string());
  return true;
}

}  // namespace

std::optional<std::string> zgwIdentificatie(std::string_view transaction_id) {
  const auto canonical = canonicalUuid(transaction_id);
  if (!canonical) return std::nullopt;
  std::string out = "KTP-";
  for (const char c : *canonical) {
    if (c != '-') out += c;
  }
  return out;
}

std::string serializeZgwPackage(const ZgwPackage& p) {
  return json::serialize(json::object{{"version", 1},
                                      {"transaction_id", p.transaction_id},
                                      {"identificatie", p.identificatie},
                                      {"titel", p.titel},
                                      {"vertrouwelijkheidaanduiding", p.vertrouwelijkheidaanduiding},
                                      {"bsn", p.bsn},
                                      {"vnummer", p.vnummer},
                                      {"readable_html", base64Encode(p.readable_html)},
                                      {"machine_json", base64Encode(p.machine_json)}});
}

std::optional<ZgwPackage> parseZgwPackage(std::string_view text) {
  boost::system::error_code ec;
  const json::value parsed = json::parse(text, ec);
  if (ec || !parsed.is_object()) return std::nullopt;
  const json::object& o = parsed.as_object();
  const auto* version = o.if_contains("version");
  if (version == nullptr || !version->is_int64() || version->as_int64() != 1) return std::nullopt;
  ZgwPackage p;
  std::string readable;
  std::string machine;
  if (!readText(o, "transaction_id", p.transaction_id) || !readText(o, "identificatie", p.identificatie) ||
      !readText(o, "titel", p.titel) || !readText(o, "vertrouwelijkheidaanduiding", p.vertrouwelijkheidaanduiding) ||
      !readText(o, "bsn", p.bsn) || !readText(o, "vnummer", p.vnummer) || !readText(o, "readable_html", readable) ||
      !readText(o, "machine_json", machine) || !base64Decode(readable, p.readable_html) ||
      !base64Decode(machine, p.machine_json)) {
    return std::nullopt;
  }
  // A package names one person, by exactly one of the two.
  if (p.bsn.empty() == p.vnummer.empty() || p.identificatie != zgwIdentificatie(p.transaction_id)) return std::nullopt;
  return p;
}

}  // namespace ketenpoort
