#include "collect/container.h"

#include <array>
#include <vector>

#include "core/text.h"

namespace portatlas::collect {
namespace {

constexpr size_t kIdHexLength = 64;

struct Prefix {
  std::string_view text;
  std::string_view runtime;  // "" = not a container (a monitor process)
};

// Longer prefixes first so "crio-conmon-" wins over "crio-".
constexpr std::array<Prefix, 8> kPrefixes = {{
    {"cri-containerd-", "containerd"},
    {"crio-conmon-", ""},
    {"libpod-conmon-", ""},
    {"containerd-", "containerd"},
    {"docker-", "docker"},
    {"libpod-", "podman"},
    {"crio-", "cri-o"},
    {"cri-o-", "cri-o"},
}};

bool StartsWith(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }

std::string_view StripSuffix(std::string_view s, std::string_view suffix) {
  if (s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix) {
    s.remove_suffix(suffix.size());
  }
  return s;
}

// Runtime implied by the directories above a bare 64-hex component.
std::string_view RuntimeFromAncestors(const std::vector<std::string_view>& parts, size_t idx) {
  for (size_t i = idx; i-- > 0;) {
    const std::string_view p = parts[i];
    if (p == "docker" || p == "actions_job") return "docker";
    if (p == "libpod_parent" || StartsWith(p, "machine.slice")) return "podman";
    if (p.find("kubepods") != std::string_view::npos) return "kubepods";
    if (p == "crio") return "cri-o";
    if (p.find("containerd") != std::string_view::npos) return "containerd";
  }
  return "";
}

}  // namespace

std::optional<ContainerRef> ContainerFromCgroupPath(std::string_view path) {
  std::vector<std::string_view> parts;
  for (size_t b = 0; b <= path.size();) {
    size_t e = path.find('/', b);
    if (e == std::string_view::npos) e = path.size();
    if (e > b) parts.push_back(path.substr(b, e - b));
    b = e + 1;
  }
  // The innermost container wins; sub-cgroups a container makes for itself sit below it.
  for (size_t i = parts.size(); i-- > 0;) {
    const std::string_view part = StripSuffix(parts[i], ".scope");
    if (part.empty()) continue;  // a bare ".scope" names nothing
    if (StartsWith(part, "lxc.payload.") && part.size() > 12) {
      return ContainerRef{std::string(part.substr(12)), "lxc"};
    }
    if (i > 0 && parts[i - 1] == "lxc") return ContainerRef{std::string(part), "lxc"};
    bool monitor = false;
    for (const Prefix& p : kPrefixes) {
      if (!StartsWith(part, p.text)) continue;
      const std::string_view rest = part.substr(p.text.size());
      if (p.runtime.empty()) {
        monitor = true;
      } else if (IsHexOfLength(rest, kIdHexLength)) {
        return ContainerRef{std::string(rest), std::string(p.runtime)};
      }
      break;
    }
    if (monitor) return std::nullopt;
    if (IsHexOfLength(part, kIdHexLength)) {
      return ContainerRef{std::string(part), std::string(RuntimeFromAncestors(parts, i))};
    }
  }
  return std::nullopt;
}

std::optional<ContainerRef> ContainerFromCgroupFile(std::string_view content) {
  std::optional<ContainerRef> v1;
  std::optional<ContainerRef> v2;
  ForEachLine(content, [&](std::string_view line) {
    const size_t c1 = line.find(':');
    if (c1 == std::string_view::npos) return;
    const size_t c2 = line.find(':', c1 + 1);
    if (c2 == std::string_view::npos) return;
    const std::string_view hierarchy = line.substr(0, c1);
    auto ref = ContainerFromCgroupPath(line.substr(c2 + 1));
    if (!ref) return;
    if (hierarchy == "0" && c2 == c1 + 1) {
      if (!v2) v2 = std::move(ref);
    } else if (!v1) {
      v1 = std::move(ref);
    }
  });
  return v2 ? v2 : v1;
}

}  // namespace portatlas::collect
