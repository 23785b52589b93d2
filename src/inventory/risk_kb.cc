#include "inventory/risk_kb.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <sstream>
#include <toml.hpp>

#include "core/text.h"

namespace portatlas::inventory {

extern const std::string_view kBuiltinRiskKbToml;  // generated from data/risk_kb.toml

namespace {

std::string Lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

struct PortSpec {
  bool tcp = false;
  bool udp = false;
  uint16_t lo = 0;
  uint16_t hi = 0;
};

// "tcp/22", "udp/137-138", "any/53".
Result<PortSpec> ParsePortSpec(std::string_view text) {
  const size_t slash = text.find('/');
  if (slash == std::string_view::npos) {
    return InvalidArgument(fmt::format("port '{}': expected proto/port", text));
  }
  PortSpec spec;
  const std::string_view proto = text.substr(0, slash);
  if (proto == "tcp") {
    spec.tcp = true;
  } else if (proto == "udp") {
    spec.udp = true;
  } else if (proto == "any") {
    spec.tcp = spec.udp = true;
  } else {
    return InvalidArgument(fmt::format("port '{}': proto must be tcp, udp or any", text));
  }
  std::string_view range = text.substr(slash + 1);
  const size_t dash = range.find('-');
  auto lo = ParseUint(range.substr(0, dash), 65535);
  auto hi = dash == std::string_view::npos ? lo : ParseUint(range.substr(dash + 1), 65535);
  if (!lo || !hi || *lo == 0 || *hi < *lo) {
    return InvalidArgument(fmt::format("port '{}': expected 1-65535 or an ascending range", text));
  }
  spec.lo = static_cast<uint16_t>(*lo);
  spec.hi = static_cast<uint16_t>(*hi);
  return spec;
}

struct ParsedRule {
  RiskRule rule;
  std::vector<PortSpec> ports;
};

struct ParsedDoc {
  std::vector<ParsedRule> rules;
  bool replace = false;
};

Result<ParsedDoc> ParseDoc(std::string_view text, std::string_view source_name) {
  ParsedDoc doc;
  // TOML is UTF-8 by definition, and toml11 3.7 overreads on some invalid sequences.
  if (!IsValidUtf8(text)) return ParseError(fmt::format("{}: not valid UTF-8", source_name));
  try {
    std::istringstream in{std::string(text)};
    const toml::value root = toml::parse(in, std::string(source_name));
    doc.replace = toml::find_or<bool>(root, "replace", false);
    if (!root.contains("rule")) return doc;
    const auto& rules = toml::find(root, "rule").as_array();
    for (size_t i = 0; i < rules.size(); ++i) {
      const toml::value& r = rules[i];
      ParsedRule pr;
      pr.rule.service = Lower(toml::find_or<std::string>(r, "service", ""));
      const std::string status = toml::find<std::string>(r, "status");
      auto st = ParseRiskStatus(status);
      if (!st) {
        return InvalidArgument(
            fmt::format("{}: rule {}: status '{}' is not danger, normal or "
                        "unknow",
                        source_name, i + 1, status));
      }
      pr.rule.status = *st;
      pr.rule.risk_level = toml::find_or<int>(r, "risk_level", 0);
      pr.rule.suggest_level = toml::find_or<int>(r, "suggest_level", 0);
      if (pr.rule.risk_level < 0 || pr.rule.risk_level > 3) {
        return InvalidArgument(
            fmt::format("{}: rule {}: risk_level must be 0..3", source_name, i + 1));
      }
      pr.rule.reason_en = toml::find_or<std::string>(r, "reason_en", "");
      pr.rule.reason_zh = toml::find_or<std::string>(r, "reason_zh", "");
      for (const std::string& p : toml::find_or<std::vector<std::string>>(r, "ports", {})) {
        auto spec = ParsePortSpec(p);
        if (!spec) return spec.error().WithContext(fmt::format("{}: rule {}", source_name, i + 1));
        pr.ports.push_back(*spec);
      }
      if (pr.ports.empty() && pr.rule.service.empty()) {
        return InvalidArgument(
            fmt::format("{}: rule {}: needs ports or a service", source_name, i + 1));
      }
      doc.rules.push_back(std::move(pr));
    }
  } catch (const toml::exception& e) {
    return ParseError(fmt::format("{}: {}", source_name, e.what()));
  } catch (const std::exception& e) {  // toml11 also throws std::out_of_range and bad casts
    return ParseError(fmt::format("{}: {}", source_name, e.what()));
  }
  return doc;
}

}  // namespace

Result<RiskKb> RiskKb::BuiltIn() { return Parse(kBuiltinRiskKbToml, "built-in risk_kb.toml"); }

Result<RiskKb> RiskKb::Parse(std::string_view toml_text, std::string_view source_name) {
  RiskKb kb;
  PA_RETURN_IF_ERROR(kb.Overlay(toml_text, source_name));
  return kb;
}

Status RiskKb::Overlay(std::string_view toml_text, std::string_view source_name) {
  auto doc = ParseDoc(toml_text, source_name);
  if (!doc) return doc.error();  // nothing applied: the base stays as it was
  if (doc->replace) {
    rules_.clear();
    by_port_.clear();
    by_service_.clear();
  }
  for (ParsedRule& pr : doc->rules) {
    const size_t idx = rules_.size();
    for (const PortSpec& p : pr.ports) {
      for (uint32_t port = p.lo; port <= p.hi; ++port) {
        if (p.tcp) by_port_[Key(Proto::kTcp, static_cast<uint16_t>(port))] = idx;
        if (p.udp) by_port_[Key(Proto::kUdp, static_cast<uint16_t>(port))] = idx;
      }
    }
    if (!pr.rule.service.empty()) by_service_[pr.rule.service] = idx;
    rules_.push_back(std::move(pr.rule));
  }
  return Status::Ok();
}

const RiskRule* RiskKb::Lookup(Proto proto, uint16_t port, std::string_view service) const {
  if (auto it = by_port_.find(Key(proto, port)); it != by_port_.end()) return &rules_[it->second];
  if (!service.empty()) {
    if (auto it = by_service_.find(Lower(service)); it != by_service_.end()) {
      return &rules_[it->second];
    }
  }
  return nullptr;
}

RiskStatus RiskKb::StatusOf(Proto proto, uint16_t port, std::string_view service) const {
  const RiskRule* r = Lookup(proto, port, service);
  return r == nullptr ? RiskStatus::kUnknow : r->status;
}

}  // namespace portatlas::inventory
