#include "scan/detect/probe_file_parser.h"

#include <fmt/format.h>

#include <algorithm>
#include <optional>
#include <utility>

#include "core/text.h"
#include "scan/detect/escapes.h"
#include "scan/detect/regex.h"

namespace portatlas::scan {
namespace {

bool IsBlank(char c) { return c == ' ' || c == '\t'; }
bool IsAlpha(char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'); }
bool IsAlnum(char c) { return IsAlpha(c) || (c >= '0' && c <= '9'); }

// At most this much of a bad token goes into a warning.
std::string_view Clip(std::string_view s) { return s.substr(0, 40); }

std::string_view SkipBlanks(std::string_view s) {
  while (!s.empty() && IsBlank(s.front())) s.remove_prefix(1);
  return s;
}

// Splits "word rest" at the first blank; rest starts at its first non-blank.
std::pair<std::string_view, std::string_view> SplitWord(std::string_view s) {
  size_t end = 0;
  while (end < s.size() && !IsBlank(s[end])) ++end;
  return {s.substr(0, end), SkipBlanks(s.substr(end))};
}

void SortUnique(std::vector<uint16_t>* v) {
  std::sort(v->begin(), v->end());
  v->erase(std::unique(v->begin(), v->end()), v->end());
}

// Adds lo..hi to *out, from one item of a port list ("80", "8000-8010"; with `open_ranges`,
// also "-1024", "60000-" and "-"). Returns "" or what is wrong.
std::string AddPortItem(std::string_view item, bool open_ranges, std::vector<uint16_t>* out) {
  item = Trim(item);
  const size_t dash = item.find('-');
  const std::string_view a = item.substr(0, dash);
  const std::string_view b = dash == std::string_view::npos ? a : item.substr(dash + 1);
  std::optional<uint64_t> lo = ParseUint(Trim(a), 65535);
  std::optional<uint64_t> hi = ParseUint(Trim(b), 65535);
  if (open_ranges && dash != std::string_view::npos) {
    if (Trim(a).empty()) lo = 1;
    if (Trim(b).empty()) hi = 65535;
  }
  if (!lo || !hi || *hi < *lo) {
    return fmt::format("bad port or range '{}' (ports 0-65535, as in 21-25,53,80)", Clip(item));
  }
  for (uint64_t p = *lo; p <= *hi; ++p) out->push_back(static_cast<uint16_t>(p));
  return "";
}

// A ports/sslports list: "21-25,53,80". Returns "" or what is wrong.
std::string ParsePortList(std::string_view list, std::vector<uint16_t>* out) {
  if (Trim(list).empty()) return "empty port list";
  std::vector<uint16_t> ports;
  for (size_t begin = 0; begin <= list.size();) {
    const size_t comma = std::min(list.find(',', begin), list.size());
    std::string error = AddPortItem(list.substr(begin, comma - begin), false, &ports);
    if (!error.empty()) return error;
    begin = comma + 1;
  }
  out->insert(out->end(), ports.begin(), ports.end());
  SortUnique(out);
  return "";
}

// An Exclude list, nmap's -p syntax: items after T: are TCP, after U: UDP, after S: (SCTP) or
// P: (IP protocols) ignored; items before any prefix are both TCP and UDP.
std::string ParseExcludeList(std::string_view list, std::vector<uint16_t>* tcp,
                             std::vector<uint16_t>* udp) {
  if (Trim(list).empty()) return "empty port list";
  enum class Target { kBoth, kTcp, kUdp, kNone } target = Target::kBoth;
  std::vector<uint16_t> ports;
  for (size_t begin = 0; begin <= list.size();) {
    const size_t comma = std::min(list.find(',', begin), list.size());
    std::string_view item = Trim(list.substr(begin, comma - begin));
    begin = comma + 1;
    if (item.size() >= 2 && item[1] == ':') {
      switch (item[0]) {
        case 'T':
          target = Target::kTcp;
          break;
        case 'U':
          target = Target::kUdp;
          break;
        case 'S':
        case 'P':
          target = Target::kNone;
          break;
        default:
          return fmt::format("unknown protocol prefix in '{}'", Clip(item));
      }
      item.remove_prefix(2);
    }
    ports.clear();
    std::string error = AddPortItem(item, true, &ports);
    if (!error.empty()) return error;
    if (target == Target::kBoth || target == Target::kTcp) {
      tcp->insert(tcp->end(), ports.begin(), ports.end());
    }
    if (target == Target::kBoth || target == Target::kUdp) {
      udp->insert(udp->end(), ports.begin(), ports.end());
    }
  }
  SortUnique(tcp);
  SortUnique(udp);
  return "";
}

// Reads the text between s[*pos] (the delimiter) and the next occurrence of that delimiter,
// and moves *pos past the closing one. False when there is none.
bool ReadDelimited(std::string_view s, size_t* pos, std::string_view* out) {
  const char delim = s[*pos];
  const size_t close = s.find(delim, *pos + 1);
  if (close == std::string_view::npos) return false;
  *out = s.substr(*pos + 1, close - *pos - 1);
  *pos = close + 1;
  return true;
}

// "TCP GetRequest q|GET / HTTP/1.0\r\n\r\n| [no-payload]". Returns "" or what is wrong.
std::string ParseProbeLine(std::string_view rest, Probe* probe) {
  auto [proto, after_proto] = SplitWord(rest);
  if (proto != "TCP" && proto != "UDP") {
    return fmt::format("bad protocol '{}' (TCP or UDP)", Clip(proto));
  }
  probe->tcp = proto == "TCP";
  auto [name, spec] = SplitWord(after_proto);
  if (name.empty() || !IsAlnum(name[0])) return "missing or bad probe name";
  probe->name = std::string(name);
  if (spec.size() < 2 || spec[0] != 'q' || IsBlank(spec[1])) {
    return "expected the probe string q|...| after the name";
  }
  size_t pos = 1;
  std::string_view raw;
  if (!ReadDelimited(spec, &pos, &raw)) {
    return fmt::format("no closing '{}' after the probe string", spec[1]);
  }
  auto payload = UnescapeC(raw);
  if (!payload) return fmt::format("probe string: {}", payload.error().message());
  probe->payload.assign(payload->begin(), payload->end());
  const std::string_view tail = Trim(spec.substr(pos));
  if (tail == "no-payload") {
    probe->no_payload = true;
  } else if (!tail.empty()) {
    return fmt::format("unexpected '{}' after the probe string", Clip(tail));
  }
  return "";
}

// One "x/template/flags" of a match line at s[*pos]; moves *pos past it.
std::string ReadTemplate(std::string_view s, size_t* pos, std::string_view* mode,
                         std::string_view* text) {
  size_t i = *pos;
  while (i < s.size() && (IsAlpha(s[i]) || s[i] == ':')) ++i;
  *mode = s.substr(*pos, i - *pos);
  if (mode->empty() || i >= s.size() || IsBlank(s[i])) {
    return fmt::format("malformed version field at '{}'", Clip(s.substr(*pos)));
  }
  if (!ReadDelimited(s, &i, text)) {
    return fmt::format("no closing '{}' in the {} field", s[i], *mode);
  }
  while (i < s.size() && IsAlpha(s[i])) ++i;  // flags, such as the "a" of a cpe
  if (i < s.size() && !IsBlank(s[i])) {
    return fmt::format("unexpected '{}' after the {} field", Clip(s.substr(i)), *mode);
  }
  *pos = i;
  return "";
}

// The version fields of a match line, from spec[pos] to its end, into *rule. Returns "" or
// what is wrong.
std::string ReadTemplates(std::string_view spec, size_t pos, MatchRule* rule) {
  while (true) {
    while (pos < spec.size() && IsBlank(spec[pos])) ++pos;
    if (pos >= spec.size()) break;
    std::string_view mode;
    std::string_view text;
    const std::string error = ReadTemplate(spec, &pos, &mode, &text);
    if (!error.empty()) return error;
    std::string* field = mode == "p"   ? &rule->product
                         : mode == "v" ? &rule->version
                         : mode == "i" ? &rule->info
                         : mode == "h" ? &rule->hostname
                         : mode == "o" ? &rule->os
                         : mode == "d" ? &rule->device
                                       : nullptr;
    if (field != nullptr) {
      *field = std::string(text);  // a repeated field replaces the earlier one, as in nmap
    } else if (mode == "cpe:") {
      if (text.empty() || (text[0] != 'a' && text[0] != 'h' && text[0] != 'o')) {
        return fmt::format("cpe:/{}/: the part must be a, h or o", Clip(text));
      }
      rule->cpes.push_back(fmt::format("cpe:/{}", text));
    } else {
      return fmt::format("unknown version field '{}' (p v i h o d cpe:)", Clip(mode));
    }
  }
  return "";
}

// "service m|regex|flags templates...". Returns "" or what is wrong.
std::string ParseMatchLine(std::string_view rest, MatchRule* rule) {
  auto [service, spec] = SplitWord(rest);
  if (service.empty()) return "missing service name";
  rule->service = std::string(service);
  if (spec.size() < 2 || spec[0] != 'm' || IsAlpha(spec[1]) || IsBlank(spec[1]) || spec[1] == ':') {
    return "expected the regex m|...| after the service name";
  }
  size_t pos = 1;
  std::string_view pattern;
  if (!ReadDelimited(spec, &pos, &pattern)) {
    return fmt::format("no closing '{}' after the regex", spec[1]);
  }
  rule->pattern = std::string(pattern);
  for (; pos < spec.size() && !IsBlank(spec[pos]); ++pos) {
    if (spec[pos] == 'i') {
      rule->caseless = true;
    } else if (spec[pos] == 's') {
      rule->dotall = true;
    } else {
      return fmt::format("unknown regex flag '{}' (i or s)", spec[pos]);
    }
  }
  std::string error = ReadTemplates(spec, pos, rule);
  if (!error.empty()) return error;
  auto regex = Regex::Compile(rule->pattern, rule->caseless, rule->dotall);
  if (!regex) return regex.error().message();
  rule->regex = std::move(*regex);
  return "";
}

std::optional<int> ParseNumber(std::string_view s, int lo, int hi) {
  const auto v = ParseUint(Trim(s), static_cast<uint64_t>(hi));
  if (!v || *v < static_cast<uint64_t>(lo)) return std::nullopt;
  return static_cast<int>(*v);
}

}  // namespace

void ProbeFileParser::Skip(size_t line_no, std::string_view what) {
  db_->Warn(fmt::format("line {}: {}; line skipped", line_no, what));
}

void ProbeFileParser::Line(size_t line_no, std::string_view line) {
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  const std::string_view t = Trim(line);
  if (t.empty() || t[0] == '#') return;
  const auto [directive, rest] = SplitWord(t);
  if (line.size() > ProbeDb::kMaxLineLength) {
    if (directive == "Probe") {
      skipping_probe_ = true;
      db_->Warn(
          fmt::format("line {}: longer than {} characters; probe skipped up to the next "
                      "Probe line",
                      line_no, ProbeDb::kMaxLineLength));
    } else if (!skipping_probe_) {
      Skip(line_no, fmt::format("longer than {} characters", ProbeDb::kMaxLineLength));
    }
    return;
  }
  if (directive == "Probe") {
    StartProbe(line_no, rest);
  } else if (directive == "Exclude") {
    Exclude(line_no, rest);
  } else if (!skipping_probe_) {
    Directive(line_no, directive, rest);
  }
}

void ProbeFileParser::StartProbe(size_t line_no, std::string_view rest) {
  Probe probe;
  probe.line = line_no;
  std::string error = ParseProbeLine(rest, &probe);
  if (error.empty() && db_->FindProbe(probe.name, probe.tcp) != nullptr) {
    error = fmt::format("a {} probe named '{}' exists already", probe.tcp ? "TCP" : "UDP",
                        Clip(probe.name));
  }
  if (error.empty() && probe.IsNull() && db_->null_probe() != nullptr) {
    error = "a second TCP probe with an empty probe string (the NULL probe exists already)";
  }
  skipping_probe_ = !error.empty();
  if (skipping_probe_) {
    db_->Warn(fmt::format("line {}: {}; probe skipped up to the next Probe line", line_no, error));
    return;
  }
  db_->probes_.push_back(std::move(probe));
  fallback_line_.push_back(0);
}

void ProbeFileParser::Exclude(size_t line_no, std::string_view rest) {
  if (!db_->probes_.empty() || skipping_probe_) {
    Skip(line_no, "Exclude must come before the first Probe");
  } else if (exclude_seen_) {
    Skip(line_no, "only one Exclude line is allowed");
  } else {
    std::vector<uint16_t> tcp;
    std::vector<uint16_t> udp;
    const std::string error = ParseExcludeList(rest, &tcp, &udp);
    if (!error.empty()) {
      Skip(line_no, fmt::format("Exclude: {}", error));
      return;
    }
    exclude_seen_ = true;
    db_->excluded_tcp_ = std::move(tcp);
    db_->excluded_udp_ = std::move(udp);
  }
}

void ProbeFileParser::Directive(size_t line_no, std::string_view directive, std::string_view rest) {
  static constexpr std::string_view kKnown[] = {"match",        "softmatch", "ports",
                                                "sslports",     "rarity",    "totalwaitms",
                                                "tcpwrappedms", "fallback"};
  if (std::find(std::begin(kKnown), std::end(kKnown), directive) == std::end(kKnown)) {
    Skip(line_no, fmt::format("unknown directive '{}'", Clip(directive)));
    return;
  }
  if (db_->probes_.empty()) {
    Skip(line_no, fmt::format("'{}' before the first Probe line", directive));
    return;
  }
  Probe& probe = db_->probes_.back();
  std::string error;
  if (directive == "match" || directive == "softmatch") {
    AddMatch(line_no, rest, directive == "softmatch");
    return;
  } else if (directive == "ports" || directive == "sslports") {
    error = ParsePortList(rest, directive == "ports" ? &probe.ports : &probe.sslports);
  } else if (directive == "rarity") {
    if (const auto v = ParseNumber(rest, 1, 9)) {
      probe.rarity = *v;
    } else {
      error = fmt::format("rarity must be 1-9, not '{}'", Clip(rest));
    }
  } else if (directive == "totalwaitms" || directive == "tcpwrappedms") {
    if (const auto v = ParseNumber(rest, 100, 300000)) {
      (directive == "totalwaitms" ? probe.totalwaitms : probe.tcpwrappedms) = *v;
    } else {
      error = fmt::format("{} must be 100-300000, not '{}'", directive, Clip(rest));
    }
  } else {  // fallback
    std::vector<std::string> names;
    for (size_t begin = 0; begin < rest.size();) {
      size_t end = rest.find_first_of(", \t", begin);
      if (end == std::string_view::npos) end = rest.size();
      if (end > begin) names.emplace_back(rest.substr(begin, end - begin));
      begin = end + 1;
    }
    if (names.empty()) {
      error = "fallback names no probe";
    } else {
      probe.fallback = std::move(names);
      fallback_line_.back() = line_no;
    }
  }
  if (!error.empty()) Skip(line_no, fmt::format("{}: {}", directive, error));
}

void ProbeFileParser::AddMatch(size_t line_no, std::string_view rest, bool soft) {
  MatchRule rule;
  rule.soft = soft;
  rule.line = line_no;
  const std::string error = ParseMatchLine(rest, &rule);
  if (!error.empty()) {
    Skip(line_no, fmt::format("{}: {}", soft ? "softmatch" : "match", error));
    return;
  }
  db_->probes_.back().matches.push_back(std::move(rule));
}

void ProbeFileParser::Finish() {
  std::vector<Probe>& probes = db_->probes_;
  const Probe* null = db_->null_probe();
  const size_t null_index = null == nullptr ? probes.size() : db_->IndexOf(*null);
  db_->chain_.assign(probes.size(), {});
  for (size_t i = 0; i < probes.size(); ++i) {
    std::vector<size_t>& chain = db_->chain_[i];
    chain.push_back(i);
    for (const std::string& name : probes[i].fallback) {
      // The probe of the same protocol, else for a TCP probe a UDP one: nmap 7.x lets
      // DNSVersionBindReqTCP fall back to the UDP DNSVersionBindReq, whose match lines allow
      // for TCP's length field.
      const Probe* fb = db_->FindProbe(name, probes[i].tcp);
      if (fb == nullptr && probes[i].tcp) fb = db_->FindProbe(name, false);
      if (fb == nullptr) {
        db_->Warn(fmt::format("line {}: fallback: no {} probe named '{}'; name ignored",
                              fallback_line_[i], probes[i].tcp ? "TCP or UDP" : "UDP", Clip(name)));
        continue;
      }
      if (chain.size() > ProbeDb::kMaxFallbacks) {
        db_->Warn(fmt::format("line {}: fallback: more than {} probes; the rest ignored",
                              fallback_line_[i], ProbeDb::kMaxFallbacks));
        break;
      }
      const size_t index = db_->IndexOf(*fb);
      if (std::find(chain.begin(), chain.end(), index) == chain.end()) chain.push_back(index);
    }
    // UDP probes never fall back to the NULL probe (it is TCP).
    if (probes[i].tcp && null_index < probes.size() &&
        std::find(chain.begin(), chain.end(), null_index) == chain.end()) {
      chain.push_back(null_index);
    }
  }
  if (db_->unreported_warnings_ > 0) {
    db_->warnings_.push_back(fmt::format("{} more warnings not shown", db_->unreported_warnings_));
    db_->unreported_warnings_ = 0;
  }
}

}  // namespace portatlas::scan
