// The risk knowledge base: which ports and services are dangerous, normal or unknown.
//
// Loaded from TOML (data/risk_kb.toml is built into the binary; an operator file overlays or
// replaces it, see that file's header). Lookup is by (proto, port) first, then by service
// name. Immutable after loading; thread-safe to read.
#ifndef PORTATLAS_INVENTORY_RISK_KB_H_
#define PORTATLAS_INVENTORY_RISK_KB_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/status.h"
#include "core/types.h"

namespace portatlas::inventory {

using portatlas::ParseRiskStatus;
using portatlas::RiskStatus;
using portatlas::RiskStatusName;

struct RiskRule {
  std::string service;
  RiskStatus status = RiskStatus::kUnknow;
  int risk_level = 0;     // Cloud Firewall RiskLevel 0..3
  int suggest_level = 0;  // Cloud Firewall SuggestLevel 0/10/20/30
  std::string reason_en;
  std::string reason_zh;
};

class RiskKb {
 public:
  // The knowledge base compiled into the binary (data/risk_kb.toml).
  static Result<RiskKb> BuiltIn();

  // Parses a TOML document. kParse with the line and cause on malformed input;
  // kInvalidArgument for well-formed TOML with bad values (unknown status, port 0 or > 65535,
  // a range whose end precedes its start).
  static Result<RiskKb> Parse(std::string_view toml_text, std::string_view source_name);

  // Applies an operator's file on top: its rules win for the ports and services they name;
  // with `replace = true` in it, this base's rules are dropped first.
  Status Overlay(std::string_view toml_text, std::string_view source_name);

  // The rule for (proto, port), else for `service` (case-insensitive), else nullptr.
  const RiskRule* Lookup(Proto proto, uint16_t port, std::string_view service) const;

  // Lookup's status, kUnknow when nothing matches.
  RiskStatus StatusOf(Proto proto, uint16_t port, std::string_view service) const;

  size_t rule_count() const { return rules_.size(); }

 private:
  static uint32_t Key(Proto proto, uint16_t port) {
    return (static_cast<uint32_t>(proto) << 16) | port;
  }

  std::vector<RiskRule> rules_;
  std::unordered_map<uint32_t, size_t> by_port_;
  std::unordered_map<std::string, size_t> by_service_;  // lower-case names
};

}  // namespace portatlas::inventory

#endif  // PORTATLAS_INVENTORY_RISK_KB_H_
