#include "scan/ports.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <utility>

#include "core/text.h"

namespace portatlas::scan {
namespace {

std::optional<int> ParsePort(std::string_view s) {
  auto v = ParseUint(s, 65535);
  if (!v) return std::nullopt;
  return static_cast<int>(*v);
}

void SortUnique(std::vector<uint16_t>* v) {
  std::sort(v->begin(), v->end());
  v->erase(std::unique(v->begin(), v->end()), v->end());
}

}  // namespace

Result<PortLists> ParsePortSpec(std::string_view spec) {
  PortLists out;
  if (spec.empty()) return InvalidArgument("port list is empty");
  std::vector<uint16_t>* list = &out.any;
  size_t begin = 0;
  while (begin <= spec.size()) {
    const size_t comma = spec.find(',', begin);
    std::string_view item =
        spec.substr(begin, comma == std::string_view::npos ? spec.npos : comma - begin);
    begin = comma == std::string_view::npos ? spec.size() + 1 : comma + 1;
    if (item.size() >= 2 && item[1] == ':') {
      if (item[0] == 'T' || item[0] == 't') {
        list = &out.tcp;
      } else if (item[0] == 'U' || item[0] == 'u') {
        list = &out.udp;
      } else {
        return InvalidArgument(fmt::format("port list: unknown protocol prefix in '{}'", item));
      }
      item.remove_prefix(2);
    }
    if (item.empty()) return InvalidArgument(fmt::format("port list '{}': empty element", spec));
    int lo = 0;
    int hi = 0;
    if (const size_t dash = item.find('-'); dash != std::string_view::npos) {
      const std::string_view a = item.substr(0, dash);
      const std::string_view b = item.substr(dash + 1);
      auto from = a.empty() ? std::optional<int>(1) : ParsePort(a);
      auto to = b.empty() ? std::optional<int>(65535) : ParsePort(b);
      if (!from || !to || *to < *from) {
        return InvalidArgument(fmt::format("port list: bad range '{}' (ports are 0-65535)", item));
      }
      lo = *from;
      hi = *to;
    } else {
      auto p = ParsePort(item);
      if (!p) return InvalidArgument(fmt::format("port list: bad port '{}' (0-65535)", item));
      lo = hi = *p;
    }
    for (int p = lo; p <= hi; ++p) list->push_back(static_cast<uint16_t>(p));
  }
  SortUnique(&out.any);
  SortUnique(&out.tcp);
  SortUnique(&out.udp);
  return out;
}

std::vector<uint16_t> TopPorts(std::string_view nmap_services, std::string_view proto, int n) {
  std::vector<std::pair<double, uint16_t>> ranked;  // (frequency, port)
  ForEachLine(nmap_services, [&](std::string_view line) {
    if (line.empty() || line[0] == '#') return;
    // name <ws> port/proto <ws> frequency [<ws> # comment]
    const std::vector<std::string_view> f = SplitFields(line);
    if (f.size() < 3) return;
    const size_t slash = f[1].find('/');
    if (slash == std::string_view::npos || f[1].substr(slash + 1) != proto) return;
    auto port = ParsePort(f[1].substr(0, slash));
    double freq = 0;
    const auto [end, ec] = std::from_chars(f[2].data(), f[2].data() + f[2].size(), freq);
    if (!port || *port == 0 || ec != std::errc() || end != f[2].data() + f[2].size() ||
        !(freq >= 0)) {
      return;
    }
    ranked.emplace_back(freq, static_cast<uint16_t>(*port));
  });
  std::stable_sort(ranked.begin(), ranked.end(),
                   [](const auto& a, const auto& b) { return a.first > b.first; });
  std::vector<uint16_t> out;
  for (const auto& [freq, port] : ranked) {
    if (static_cast<int>(out.size()) >= n) break;
    out.push_back(port);
  }
  SortUnique(&out);
  return out;
}

std::vector<std::string> ServiceNames(std::string_view nmap_services, std::string_view proto) {
  std::vector<std::string> names(65536);
  ForEachLine(nmap_services, [&](std::string_view line) {
    if (line.empty() || line[0] == '#') return;
    const std::vector<std::string_view> f = SplitFields(line);
    if (f.size() < 2) return;
    const size_t slash = f[1].find('/');
    if (slash == std::string_view::npos || f[1].substr(slash + 1) != proto) return;
    auto port = ParsePort(f[1].substr(0, slash));
    if (!port || f[0].size() > 64) return;
    std::string& name = names[static_cast<size_t>(*port)];
    if (name.empty()) name = std::string(f[0]);  // the first line for a port wins
  });
  return names;
}

}  // namespace portatlas::scan
