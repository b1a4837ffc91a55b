#include "gateway/config/config_loader.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <charconv>
#include <fstream>
#include <initializer_list>
#include <map>
#include <set>
#include <sstream>

#include <pugixml.hpp>

namespace ketenpoort {
namespace {

using Names = std::initializer_list<std::string_view>;

bool allDigits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

bool isIdentifier(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_';
  });
}

bool isIpAddress(const std::string& s) {
  unsigned char buffer[16];
  return inet_pton(AF_INET, s.c_str(), buffer) == 1 || inet_pton(AF_INET6, s.c_str(), buffer) == 1;
}

bool isLoopbackAddress(const std::string& s) { return s.starts_with("127.") || s == "::1"; }

class ConfigReader {
 public:
  ConfigReader(std::string_view xml, std::string file_label, std::filesystem::path base_dir)
      : xml_(xml), file_(std::move(file_label)), base_dir_(std::move(base_dir)) {
    for (std::size_t i = 0; i < xml_.size(); ++i) {
      if (xml_[i] == '\n') newline_offsets_.push_back(i);
    }
  }

  ConfigLoadResult read() {
    GatewayConfig config;
    config.source = file_;
    pugi::xml_document doc;
    // parse_doctype keeps a DOCTYPE in the tree so it can be refused; pugixml never
    // expands entities other than the predefined ones, so no XXE either way.
    const auto parsed = doc.load_buffer(xml_.data(), xml_.size(),
                                        pugi::parse_default | pugi::parse_doctype);
    if (!parsed) {
      problem(static_cast<std::ptrdiff_t>(parsed.offset),
              std::string("not well-formed XML: ") + parsed.description());
      return finish(std::move(config));
    }
    for (auto child : doc.children()) {
      if (child.type() == pugi::node_doctype) problem(child, "DOCTYPE is not allowed");
    }
    auto root = doc.document_element();
    if (std::string_view(root.name()) != "ketenpoort") {
      problem(root, "root element must be <ketenpoort>, found <" + std::string(root.name()) + ">");
      return finish(std::move(config));
    }
    checkElement(root, {}, {"mode"}, {"listeners", "tls", "storage", "limits", "parties"});
    if (auto mode = root.attribute("mode")) {
      const std::string_view value = mode.value();
      if (value == "test") {
        config.mode = GatewayMode::kTest;
      } else if (value != "production") {
        problem(root, "mode must be \"production\" or \"test\", found \"" + std::string(value) + "\"");
      }
    }
    readListeners(single(root, "listeners", false), config);
    readTls(single(root, "tls", true), config.tls);
    if (auto storage = single(root, "storage", true)) {
      checkElement(storage, {"path"}, {}, {});
      config.storage_path = resolvePath(storage.attribute("path").value());
    }
    readLimits(single(root, "limits", false), config.limits);
    readParties(single(root, "parties", true), config);
    return finish(std::move(config));
  }

 private:
  int lineAt(std::ptrdiff_t offset) const {
    const auto it = std::lower_bound(newline_offsets_.begin(), newline_offsets_.end(),
                                     static_cast<std::size_t>(std::max<std::ptrdiff_t>(offset, 0)));
    return static_cast<int>(it - newline_offsets_.begin()) + 1;
  }
  void problem(std::ptrdiff_t offset, std::string message) {
    problems_.push_back({file_, lineAt(offset), std::move(message)});
  }
  void problem(const pugi::xml_node& node, std::string message) {
    problem(node.offset_debug(), std::move(message));
  }

  ConfigLoadResult finish(GatewayConfig config) {
    ConfigLoadResult result;
    std::stable_sort(problems_.begin(), problems_.end(),
                     [](const auto& a, const auto& b) { return a.line < b.line; });
    result.problems = std::move(problems_);
    if (result.problems.empty()) result.config = std::move(config);
    return result;
  }

  // Reports attributes and child elements the schema does not know, missing required
  // attributes and stray text.
  void checkElement(const pugi::xml_node& node, Names required, Names optional, Names children) {
    const auto contains = [](Names names, std::string_view n) {
      return std::find(names.begin(), names.end(), n) != names.end();
    };
    for (auto attr : node.attributes()) {
      if (!contains(required, attr.name()) && !contains(optional, attr.name())) {
        problem(node, "unknown attribute \"" + std::string(attr.name()) + "\" on <" +
                          node.name() + ">");
      }
    }
    for (auto name : required) {
      const auto attr = node.attribute(std::string(name).c_str());
      if (!attr) {
        problem(node, "<" + std::string(node.name()) + "> lacks required attribute \"" +
                          std::string(name) + "\"");
      } else if (std::string_view(attr.value()).empty()) {
        problem(node, "attribute \"" + std::string(name) + "\" on <" + node.name() +
                          "> must not be empty");
      }
    }
    for (auto child : node.children()) {
      if (child.type() == pugi::node_element) {
        if (!contains(children, child.name())) {
          problem(child, "unknown element <" + std::string(child.name()) + "> in <" +
                             node.name() + ">");
        }
      } else if (child.type() == pugi::node_pcdata || child.type() == pugi::node_cdata) {
        problem(child, "unexpected text in <" + std::string(node.name()) + ">");
      }
    }
  }

  pugi::xml_node single(const pugi::xml_node& parent, const char* name, bool required) {
    pugi::xml_node found;
    for (auto child : parent.children(name)) {
      if (found) {
        problem(child, "<" + std::string(name) + "> may appear only once");
      } else {
        found = child;
      }
    }
    if (!found && required) problem(parent, "missing required element <" + std::string(name) + ">");
    return found;
  }

  template <typename T>
  void readNumber(const pugi::xml_node& node, const char* attr_name, T min, T max, T& out) {
    const auto attr = node.attribute(attr_name);
    if (!attr) return;
    const std::string_view text = attr.value();
    std::uint64_t value = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc() || end != text.data() + text.size() || value < static_cast<std::uint64_t>(min) ||
        value > static_cast<std::uint64_t>(max)) {
      problem(node, std::string("attribute \"") + attr_name + "\" must be a whole number from " +
                        std::to_string(min) + " to " + std::to_string(max) + ", found \"" +
                        std::string(text) + "\"");
      return;
    }
    out = static_cast<T>(value);
  }

  void readMillis(const pugi::xml_node& node, const char* attr_name,
                  std::chrono::milliseconds& out) {
    std::uint64_t ms = static_cast<std::uint64_t>(out.count());
    readNumber<std::uint64_t>(node, attr_name, 1, 3'600'000, ms);
    out = std::chrono::milliseconds(ms);
  }

  std::filesystem::path resolvePath(const std::string& value) const {
    std::filesystem::path p(value);
    return p.is_absolute() ? p : (base_dir_ / p).lexically_normal();
  }

  void readListener(const pugi::xml_node& parent, const char* name, ListenerConfig& out,
                    bool loopback_only) {
    auto node = single(parent, name, false);
    if (!node) return;
    checkElement(node, {}, {"address", "port"}, {});
    if (auto address = node.attribute("address")) {
      out.address = address.value();
      if (!isIpAddress(out.address)) {
        problem(node, "address must be an IPv4 or IPv6 address, found \"" + out.address + "\"");
      } else if (loopback_only && !isLoopbackAddress(out.address)) {
        problem(node, "the ops listener speaks plain HTTP and must bind a loopback address");
      }
    }
    readNumber<std::uint16_t>(node, "port", 0, 65535, out.port);
  }

  void readListeners(const pugi::xml_node& node, GatewayConfig& config) {
    if (!node) return;
    checkElement(node, {}, {}, {"exchange", "audit", "ops"});
    readListener(node, "exchange", config.exchange, false);
    readListener(node, "audit", config.audit, false);
    readListener(node, "ops", config.ops, true);
  }

  void readTls(const pugi::xml_node& node, TlsFiles& tls) {
    if (!node) return;
    checkElement(node, {"ca-bundle", "certificate", "private-key"}, {}, {});
    tls.ca_bundle = resolvePath(node.attribute("ca-bundle").value());
    tls.certificate = resolvePath(node.attribute("certificate").value());
    tls.private_key = resolvePath(node.attribute("private-key").value());
    tls.line = lineAt(node.offset_debug());
  }

  void readLimits(const pugi::xml_node& node, Limits& limits) {
    if (!node) return;
    checkElement(node, {},
                 {"threads", "max-connections", "max-header-bytes", "max-body-bytes",
                  "handshake-timeout-ms", "header-timeout-ms", "body-timeout-ms",
                  "idle-timeout-ms", "drain-timeout-ms"},
                 {});
    readNumber<unsigned>(node, "threads", 0, 256, limits.threads);
    readNumber<std::size_t>(node, "max-connections", 1, 1'000'000, limits.max_connections);
    readNumber<std::size_t>(node, "max-header-bytes", 1024, 1024 * 1024, limits.max_header_bytes);
    readNumber<std::size_t>(node, "max-body-bytes", 1, 1024ull * 1024 * 1024,
                            limits.max_body_bytes);
    readMillis(node, "handshake-timeout-ms", limits.handshake_timeout);
    readMillis(node, "header-timeout-ms", limits.header_timeout);
    readMillis(node, "body-timeout-ms", limits.body_timeout);
    readMillis(node, "idle-timeout-ms", limits.idle_timeout);
    readMillis(node, "drain-timeout-ms", limits.drain_timeout);
  }

  void readParties(const pugi::xml_node& node, GatewayConfig& config) {
    if (!node) return;
    checkElement(node, {}, {}, {"party"});
    std::map<std::string, int> ids, oins, cbs_codes;
    std::vector<std::pair<pugi::xml_node, std::string>> organisation_refs;
    for (auto element : node.children("party")) {
      checkElement(element, {"id", "oin", "name", "role"}, {"cbs-code", "organisation"},
                   {"endpoint"});
      const int line = lineAt(element.offset_debug());
      const std::string id = element.attribute("id").value();
      const std::string oin_text = element.attribute("oin").value();
      const std::string role_text = element.attribute("role").value();
      bool ok = true;

      if (!id.empty() && !isIdentifier(id)) {
        problem(element, "party id \"" + id + "\" may hold only a-z, 0-9, '-', '.', '_'");
        ok = false;
      }
      if (auto [it, fresh] = ids.emplace(id, line); !fresh && !id.empty()) {
        problem(element, "duplicate party id \"" + id + "\" (first at line " +
                             std::to_string(it->second) + ")");
        ok = false;
      }
      const auto oin = Oin::parse(oin_text);
      if (!oin_text.empty() && !oin) {
        problem(element, "oin must be exactly 20 digits, found \"" + oin_text + "\"");
      }
      if (oin) {
        if (auto [it, fresh] = oins.emplace(oin_text, line); !fresh) {
          problem(element, "duplicate OIN " + oin_text + " (first at line " +
                               std::to_string(it->second) + ")");
          ok = false;
        }
        if (oin->isTest() && config.mode != GatewayMode::kTest) {
          problem(element, "party \"" + id + "\" has a test OIN (prefix " +
                               std::string(Oin::kTestPrefix) +
                               "), which only a gateway in mode=\"test\" accepts");
          ok = false;
        }
      }
      const auto role = parsePartyRole(role_text);
      if (!role_text.empty() && !role) {
        problem(element, "unknown role \"" + role_text +
                             "\"; one of coa, duo, toeslagen, gemeente, taalschool, "
                             "privacy-officer");
      }
      std::optional<std::string> cbs_code;
      if (auto attr = element.attribute("cbs-code")) {
        cbs_code = attr.value();
        if (cbs_code->size() != 4 || !allDigits(*cbs_code)) {
          problem(element, "cbs-code must be 4 digits, found \"" + *cbs_code + "\"");
          ok = false;
        } else if (auto [it, fresh] = cbs_codes.emplace(*cbs_code, line); !fresh) {
          problem(element, "duplicate cbs-code " + *cbs_code + " (first at line " +
                               std::to_string(it->second) + ")");
          ok = false;
        }
      }
      if (role == PartyRole::kGemeente && !cbs_code) {
        problem(element, "a party with role gemeente needs a cbs-code");
        ok = false;
      } else if (role && role != PartyRole::kGemeente && cbs_code) {
        problem(element, "only a party with role gemeente has a cbs-code");
        ok = false;
      }
      std::optional<std::string> organisation;
      if (auto attr = element.attribute("organisation")) organisation = attr.value();
      if (role == PartyRole::kPrivacyOfficer && !organisation) {
        problem(element, "a privacy-officer party needs organisation=\"<party id>\"");
        ok = false;
      } else if (role && role != PartyRole::kPrivacyOfficer && organisation) {
        problem(element, "only a privacy-officer party has an organisation");
        ok = false;
      } else if (organisation) {
        organisation_refs.emplace_back(element, *organisation);
      }

      std::vector<Endpoint> endpoints;
      std::set<std::string> endpoint_flows;
      for (auto endpoint : element.children("endpoint")) {
        checkElement(endpoint, {"flow", "url"}, {}, {});
        Endpoint e{endpoint.attribute("flow").value(), endpoint.attribute("url").value()};
        if (!e.flow.empty() && e.flow != "*" && !isIdentifier(e.flow)) {
          problem(endpoint, "flow must be \"*\" or a flow id, found \"" + e.flow + "\"");
        }
        if (!e.url.empty() && !e.url.starts_with("https://")) {
          problem(endpoint, "endpoint url must start with https://, found \"" + e.url + "\"");
        }
        if (!endpoint_flows.insert(e.flow).second) {
          problem(endpoint, "party \"" + id + "\" has two endpoints for flow \"" + e.flow + "\"");
        }
        endpoints.push_back(std::move(e));
      }
      if (ok && oin && role && !id.empty()) {
        config.parties.push_back(Party{id, *oin, element.attribute("name").value(), *role,
                                       cbs_code, organisation, std::move(endpoints)});
      }
    }
    for (const auto& [element, organisation] : organisation_refs) {
      const Party* served = config.findPartyById(organisation);
      if (served == nullptr) {
        problem(element, "organisation \"" + organisation + "\" is not a configured party");
      } else if (served->role == PartyRole::kPrivacyOfficer) {
        problem(element, "organisation \"" + organisation + "\" is itself a privacy officer");
      }
    }
    if (node.children("party").begin() == node.children("party").end()) {
      problem(node, "<parties> holds no <party>; the gateway would refuse every caller");
    }
  }

  std::string_view xml_;
  std::string file_;
  std::filesystem::path base_dir_;
  std::vector<std::size_t> newline_offsets_;
  std::vector<ConfigProblem> problems_;
};

}  // namespace

ConfigLoadResult parseGatewayConfig(std::string_view xml, const std::string& file_label,
                                    const std::filesystem::path& base_dir) {
  return ConfigReader(xml, file_label, base_dir).read();
}

ConfigLoadResult loadGatewayConfig(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    ConfigLoadResult result;
    result.problems.push_back({file.string(), 0, "cannot open config file"});
    return result;
  }
  std::ostringstream content;
  content << in.rdbuf();
  const auto base = std::filesystem::absolute(file).parent_path();
  return parseGatewayConfig(content.str(), file.string(), base);
}

}  // namespace ketenpoort
