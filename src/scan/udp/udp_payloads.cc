#include "scan/udp/udp_payloads.h"

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <unordered_map>
#include <utility>

#include "core/file.h"
#include "scan/udp/builtin_payloads.h"
#include "scan/udp/nmap_payloads_parser.h"

namespace portatlas::scan {

UdpPayloads::UdpPayloads() : set_of_port_(65536, kNoSet) {}

std::span<const std::vector<uint8_t>> UdpPayloads::ForPort(uint16_t port) const {
  static const PayloadSet kEmptyDatagram(1);
  const uint32_t set = set_of_port_[port];
  return set == kNoSet ? std::span<const std::vector<uint8_t>>(kEmptyDatagram)
                       : std::span<const std::vector<uint8_t>>(sets_[set]);
}

size_t UdpPayloads::SetBytes(uint32_t set) const {
  if (set == kNoSet) return 0;
  size_t n = 0;
  for (const std::vector<uint8_t>& p : sets_[set]) n += p.size() + sizeof(p);
  return n;
}

void UdpPayloads::Warn(std::string warning) {
  if (warnings_.size() < kMaxWarnings) {
    warnings_.push_back(std::move(warning));
    return;
  }
  if (++unreported_warnings_ == 1) warnings_.emplace_back();
  warnings_.back() = fmt::format("... and {} more", unreported_warnings_);
}

bool UdpPayloads::Add(std::span<const uint16_t> ports, const std::vector<uint8_t>& payload,
                      std::string* why) {
  // Ports that share a set move to one new set, so a range costs one copy, not one per port.
  // Neighbouring ports mostly share one: the last lookup is remembered.
  std::unordered_map<uint32_t, uint32_t> new_set_of;
  uint32_t last = kNoSet - 1;  // no set has this number
  size_t new_bytes = 0;
  for (const uint16_t port : ports) {
    const uint32_t set = set_of_port_[port];
    if (set == last) continue;
    last = set;
    if (set != kNoSet && sets_[set].size() >= kMaxPayloadsPerPort) {
      *why = fmt::format("port {} already has {} payloads", port, kMaxPayloadsPerPort);
      return false;
    }
    if (new_set_of.emplace(set, kNoSet).second) {
      new_bytes += SetBytes(set) + payload.size() + sizeof(payload);
    }
  }
  if (stored_bytes_ + new_bytes > kMaxStoredBytes) {
    *why = fmt::format("the payload table would outgrow {} bytes", kMaxStoredBytes);
    return false;
  }
  for (auto& [old_set, new_set] : new_set_of) {
    PayloadSet set = old_set == kNoSet ? PayloadSet() : sets_[old_set];
    set.push_back(payload);
    new_set = static_cast<uint32_t>(sets_.size());
    sets_.push_back(std::move(set));
  }
  last = kNoSet - 1;
  uint32_t last_new = kNoSet;
  for (const uint16_t port : ports) {
    uint32_t& set = set_of_port_[port];
    if (set != last) {
      last = set;
      last_new = new_set_of.at(set);
    }
    set = last_new;
  }
  stored_bytes_ += new_bytes;
  return true;
}

void UdpPayloads::Fill(const UdpPayloads& fallback) {
  std::unordered_map<uint32_t, uint32_t> copied;  // fallback's set -> ours
  for (size_t port = 0; port < set_of_port_.size(); ++port) {
    const uint32_t theirs = fallback.set_of_port_[port];
    if (set_of_port_[port] != kNoSet || theirs == kNoSet) continue;
    auto [it, fresh] = copied.emplace(theirs, static_cast<uint32_t>(sets_.size()));
    if (fresh) {
      sets_.push_back(fallback.sets_[theirs]);
      stored_bytes_ += fallback.SetBytes(theirs);
    }
    set_of_port_[port] = it->second;
  }
}

void UdpPayloads::Compact() {
  std::vector<uint32_t> renumber(sets_.size(), kNoSet);
  std::vector<PayloadSet> kept;
  for (uint32_t& set : set_of_port_) {
    if (set == kNoSet) continue;
    if (renumber[set] == kNoSet) {
      renumber[set] = static_cast<uint32_t>(kept.size());
      kept.push_back(std::move(sets_[set]));
    }
    set = renumber[set];
  }
  sets_ = std::move(kept);
  stored_bytes_ = 0;
  for (uint32_t s = 0; s < sets_.size(); ++s) stored_bytes_ += SetBytes(s);
}

UdpPayloads UdpPayloads::BuiltIn() {
  UdpPayloads out;
  for (const BuiltinPayload& p : BuiltinPayloads()) {
    std::string why;
    const uint16_t port[] = {p.port};
    PA_CHECK(out.Add(port, p.bytes, &why)) << why;
  }
  return out;
}

Result<UdpPayloads> UdpPayloads::FromNmapPayloads(std::string_view text) {
  if (text.size() > kMaxFileBytes) {
    return InvalidArgument(fmt::format("nmap-payloads: {} bytes, more than the limit of {}",
                                       text.size(), kMaxFileBytes));
  }
  UdpPayloads out;
  ParseNmapPayloads(
      text, {.max_line_length = kMaxLineLength, .max_payload_bytes = kMaxPayloadBytes},
      [&](const NmapPayloadEntry& e) {
        std::string why;
        if (!out.Add(e.ports, e.payload, &why)) {
          out.Warn(fmt::format("line {}: {}; entry skipped", e.line, why));
        }
      },
      [&](size_t line, std::string_view message) {
        out.Warn(fmt::format("line {}: {}", line, message));
      });
  out.Compact();
  return out;
}

UdpPayloads UdpPayloads::Load(const std::string& path) {
  UdpPayloads builtin = BuiltIn();
  auto text = ReadFileCapped(path, kMaxFileBytes);
  if (!text) {
    builtin.Warn(fmt::format("{}; using the built-in payloads only", text.error().message()));
    return builtin;
  }
  auto parsed = FromNmapPayloads(*text);
  if (!parsed) {
    builtin.Warn(
        fmt::format("{}: {}; using the built-in payloads only", path, parsed.error().message()));
    return builtin;
  }
  UdpPayloads out = std::move(*parsed);
  for (std::string& w : out.warnings_) w = fmt::format("{}: {}", path, w);
  out.Fill(builtin);
  return out;
}

}  // namespace portatlas::scan
