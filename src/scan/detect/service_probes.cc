#include "scan/detect/service_probes.h"

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <utility>

#include "core/file.h"
#include "core/text.h"
#include "scan/detect/builtin_probes.h"
#include "scan/detect/probe_file_parser.h"
#include "scan/detect/regex.h"
#include "scan/detect/version_template.h"

namespace portatlas::scan {
namespace {

bool Contains(const std::vector<uint16_t>& sorted, uint16_t port) {
  return std::binary_search(sorted.begin(), sorted.end(), port);
}

ServiceMatch Expand(const MatchRule& rule, const std::string& probe, const Captures& groups) {
  ServiceMatch m;
  m.service = rule.service;
  m.product = ExpandTemplate(rule.product, groups, false);
  m.version = ExpandTemplate(rule.version, groups, false);
  m.info = ExpandTemplate(rule.info, groups, false);
  m.hostname = ExpandTemplate(rule.hostname, groups, false);
  m.os = ExpandTemplate(rule.os, groups, false);
  m.device = ExpandTemplate(rule.device, groups, false);
  for (const std::string& cpe : rule.cpes) m.cpes.push_back(ExpandTemplate(cpe, groups, true));
  m.soft = rule.soft;
  m.probe = probe;
  m.line = rule.line;
  return m;
}

}  // namespace

bool Probe::ListsPort(uint16_t port, bool tls) const {
  return Contains(tls ? sslports : ports, port);
}

bool Probe::MayDetect(std::string_view service) const {
  return std::any_of(matches.begin(), matches.end(),
                     [&](const MatchRule& r) { return r.service == service; });
}

Result<ProbeDb> ProbeDb::Parse(std::string_view text) {
  if (text.size() > kMaxFileBytes) {
    return InvalidArgument(fmt::format("nmap-service-probes: {} bytes, more than the limit of {}",
                                       text.size(), kMaxFileBytes));
  }
  ProbeDb db;
  ProbeFileParser parser(&db);
  size_t line_no = 0;
  ForEachLine(text, [&](std::string_view line) { parser.Line(++line_no, line); });
  parser.Finish();
  return db;
}

Result<ProbeDb> ParseServiceProbes(std::string_view text) { return ProbeDb::Parse(text); }

ProbeDb ProbeDb::BuiltIn() {
  static const ProbeDb kBuiltIn = [] {
    auto db = Parse(BuiltinServiceProbes());
    PA_CHECK(db && db->warnings().empty())
        << "built-in probes: " << (db ? db->warnings().front() : db.error().ToString());
    return std::move(*db);
  }();
  return kBuiltIn;  // copies share the compiled regexes
}

ProbeDb ProbeDb::Load(const std::string& path) {
  auto text = ReadFileCapped(path, kMaxFileBytes);
  if (!text) {
    ProbeDb builtin = BuiltIn();
    builtin.warnings_.push_back(
        fmt::format("{}; using the built-in probes", text.error().message()));
    return builtin;
  }
  // portatlas's additions follow nmap's probes, so nmap's line numbers stay true in warnings.
  text->append("\n").append(ExtraServiceProbes());
  auto parsed = Parse(*text);
  if (!parsed) {
    ProbeDb builtin = BuiltIn();
    builtin.warnings_.push_back(
        fmt::format("{}: {}; using the built-in probes", path, parsed.error().message()));
    return builtin;
  }
  for (std::string& w : parsed->warnings_) w = fmt::format("{}: {}", path, w);
  return std::move(*parsed);
}

void ProbeDb::Warn(std::string warning) {
  if (warnings_.size() < kMaxWarnings) {
    warnings_.push_back(std::move(warning));
  } else {
    ++unreported_warnings_;
  }
}

size_t ProbeDb::IndexOf(const Probe& probe) const {
  PA_CHECK(!probes_.empty() && &probe >= probes_.data() && &probe < probes_.data() + probes_.size())
      << "probe '" << probe.name << "' is not from this ProbeDb";
  return static_cast<size_t>(&probe - probes_.data());
}

const Probe* ProbeDb::FindProbe(std::string_view name, bool tcp) const {
  for (const Probe& p : probes_) {
    if (p.tcp == tcp && p.name == name) return &p;
  }
  return nullptr;
}

const Probe* ProbeDb::null_probe() const {
  for (const Probe& p : probes_) {
    if (p.IsNull()) return &p;
  }
  return nullptr;
}

size_t ProbeDb::match_count() const {
  size_t n = 0;
  for (const Probe& p : probes_) {
    n += static_cast<size_t>(std::count_if(p.matches.begin(), p.matches.end(),
                                           [](const MatchRule& r) { return !r.soft; }));
  }
  return n;
}

size_t ProbeDb::softmatch_count() const {
  size_t n = 0;
  for (const Probe& p : probes_) n += p.matches.size();
  return n - match_count();
}

bool ProbeDb::IsExcluded(uint16_t port, bool tcp) const {
  return Contains(tcp ? excluded_tcp_ : excluded_udp_, port);
}

std::optional<ServiceMatch> ProbeDb::Match(const Probe& probe, std::span<const uint8_t> response,
                                           MatchStats* stats) const {
  const size_t index = IndexOf(probe);
  response = response.first(std::min(response.size(), kMaxResponseBytes));
  MatchStats counts;
  Captures groups;
  std::optional<ServiceMatch> result;
  for (const size_t p : chain_[index]) {
    for (const MatchRule& rule : probes_[p].matches) {
      if (result && rule.soft) continue;  // after a softmatch only a hard match can do better
      ++counts.tried;
      const Regex::Outcome outcome = rule.regex->Match(response, &groups);
      if (outcome == Regex::Outcome::kLimit) ++counts.limit_hits;
      if (outcome != Regex::Outcome::kMatch) continue;
      result = Expand(rule, probes_[p].name, groups);
      if (!rule.soft) break;
    }
    if (result && !result->soft) break;
  }
  if (stats != nullptr) {
    stats->tried += counts.tried;
    stats->limit_hits += counts.limit_hits;
  }
  return result;
}

std::vector<const Probe*> ProbeDb::ProbesFor(uint16_t port, bool tcp, bool tls,
                                             int intensity) const {
  std::vector<const Probe*> out;
  if (tcp && null_probe() != nullptr) out.push_back(null_probe());
  for (const Probe& p : probes_) {
    if (p.tcp == tcp && !p.IsNull() && p.ListsPort(port, tls)) out.push_back(&p);
  }
  for (const Probe& p : probes_) {
    if (p.tcp == tcp && !p.IsNull() && !p.ListsPort(port, tls) && p.rarity <= intensity) {
      out.push_back(&p);
    }
  }
  return out;
}

}  // namespace portatlas::scan
