#include "scan/netpath.h"

#include <arpa/inet.h>
#include <fmt/format.h>
#include <linux/neighbour.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <thread>
#include <vector>

#include "net/fd.h"

namespace portatlas::scan {
namespace {

int Af(Family f) { return f == Family::kIpv4 ? AF_INET : AF_INET6; }
size_t AddrLen(Family f) { return f == Family::kIpv4 ? 4 : 16; }

// Sends one rtnetlink request and calls `on_msg` for each answer until the kernel is done.
template <typename OnMsg>
Status NetlinkExchange(const void* req, size_t len, OnMsg on_msg) {
  net::Fd fd(socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE));
  if (fd.get() < 0) return ErrnoStatus(errno, "netlink socket");
  sockaddr_nl kernel{};
  kernel.nl_family = AF_NETLINK;
  if (sendto(fd.get(), req, len, 0, reinterpret_cast<sockaddr*>(&kernel), sizeof kernel) < 0) {
    return ErrnoStatus(errno, "netlink send");
  }
  std::vector<char> buf(1 << 16);
  for (;;) {
    const ssize_t n = recv(fd.get(), buf.data(), buf.size(), 0);
    if (n < 0) return ErrnoStatus(errno, "netlink recv");
    size_t left = static_cast<size_t>(n);
    for (auto* h = reinterpret_cast<nlmsghdr*>(buf.data()); NLMSG_OK(h, left);
         h = NLMSG_NEXT(h, left)) {
      if (h->nlmsg_type == NLMSG_DONE) return Status::Ok();
      if (h->nlmsg_type == NLMSG_ERROR) {
        const auto* e = static_cast<const nlmsgerr*>(NLMSG_DATA(h));
        if (e->error == 0) return Status::Ok();
        return ErrnoStatus(-e->error, "netlink");
      }
      if (!on_msg(h)) return Status::Ok();
    }
  }
}

struct Route {
  int oif = 0;
  std::optional<IpAddr> gateway;
  std::optional<IpAddr> prefsrc;
};

Result<Route> GetRoute(const IpAddr& dst) {
  struct {
    nlmsghdr nh;
    rtmsg rt;
    char attrs[64];
  } req{};
  const size_t alen = AddrLen(dst.family);
  req.nh.nlmsg_len = NLMSG_LENGTH(sizeof(rtmsg));
  req.nh.nlmsg_type = RTM_GETROUTE;
  req.nh.nlmsg_flags = NLM_F_REQUEST;
  req.rt.rtm_family = static_cast<unsigned char>(Af(dst.family));
  req.rt.rtm_dst_len = static_cast<unsigned char>(alen * 8);
  auto* rta =
      reinterpret_cast<rtattr*>(reinterpret_cast<char*>(&req) + NLMSG_ALIGN(req.nh.nlmsg_len));
  rta->rta_type = RTA_DST;
  rta->rta_len = static_cast<unsigned short>(RTA_LENGTH(alen));
  std::memcpy(RTA_DATA(rta), dst.bytes.data(), alen);
  req.nh.nlmsg_len = NLMSG_ALIGN(req.nh.nlmsg_len) + RTA_ALIGN(rta->rta_len);
  Route route;
  bool found = false;
  Status st = NetlinkExchange(&req, req.nh.nlmsg_len, [&](nlmsghdr* h) {
    if (h->nlmsg_type != RTM_NEWROUTE) return true;
    auto* rt = static_cast<rtmsg*>(NLMSG_DATA(h));
    int len = static_cast<int>(RTM_PAYLOAD(h));
    for (rtattr* a = RTM_RTA(rt); RTA_OK(a, len); a = RTA_NEXT(a, len)) {
      const size_t plen = RTA_PAYLOAD(a);
      if (a->rta_type == RTA_OIF && plen >= sizeof(int)) {
        std::memcpy(&route.oif, RTA_DATA(a), sizeof(int));
      } else if ((a->rta_type == RTA_GATEWAY || a->rta_type == RTA_PREFSRC) && plen == alen) {
        IpAddr ip;
        ip.family = dst.family;
        std::memcpy(ip.bytes.data(), RTA_DATA(a), alen);
        (a->rta_type == RTA_GATEWAY ? route.gateway : route.prefsrc) = ip;
      }
    }
    found = true;
    return false;
  });
  if (!st.ok()) {
    return st.WithContext(fmt::format("no route to {}", dst.ToString()));
  }
  if (!found || route.oif == 0) return NotFound(fmt::format("no route to {}", dst.ToString()));
  return route;
}

std::optional<MacAddr> LookupNeighbour(int ifindex, const IpAddr& ip) {
  struct {
    nlmsghdr nh;
    ndmsg nd;
  } req{};
  req.nh.nlmsg_len = NLMSG_LENGTH(sizeof(ndmsg));
  req.nh.nlmsg_type = RTM_GETNEIGH;
  req.nh.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
  req.nd.ndm_family = static_cast<uint8_t>(Af(ip.family));
  const size_t alen = AddrLen(ip.family);
  std::optional<MacAddr> mac;
  (void)NetlinkExchange(&req, req.nh.nlmsg_len, [&](nlmsghdr* h) {
    if (h->nlmsg_type != RTM_NEWNEIGH) return true;
    auto* nd = static_cast<ndmsg*>(NLMSG_DATA(h));
    if (nd->ndm_ifindex != ifindex) return true;
    if ((nd->ndm_state & (NUD_INCOMPLETE | NUD_FAILED | NUD_NONE)) != 0) return true;
    bool match = false;
    std::optional<MacAddr> ll;
    int len = static_cast<int>(h->nlmsg_len - NLMSG_LENGTH(sizeof(ndmsg)));
    for (auto* a =
             reinterpret_cast<rtattr*>(reinterpret_cast<char*>(nd) + NLMSG_ALIGN(sizeof(ndmsg)));
         RTA_OK(a, len); a = RTA_NEXT(a, len)) {
      if (a->rta_type == NDA_DST && RTA_PAYLOAD(a) == alen) {
        match = std::memcmp(RTA_DATA(a), ip.bytes.data(), alen) == 0;
      } else if (a->rta_type == NDA_LLADDR && RTA_PAYLOAD(a) == 6) {
        MacAddr m;
        std::memcpy(m.data(), RTA_DATA(a), 6);
        ll = m;
      }
    }
    if (match && ll) mac = ll;
    return true;
  });
  return mac;
}

// The address the kernel would send from to reach `dst` (a connected UDP socket's name).
Result<IpAddr> SourceFor(const IpAddr& dst) {
  net::Fd fd(socket(Af(dst.family), SOCK_DGRAM | SOCK_CLOEXEC, 0));
  if (fd.get() < 0) return ErrnoStatus(errno, "socket");
  sockaddr_storage ss{};
  socklen_t len = 0;
  if (dst.family == Family::kIpv4) {
    auto* s = reinterpret_cast<sockaddr_in*>(&ss);
    s->sin_family = AF_INET;
    s->sin_port = htons(9);
    std::memcpy(&s->sin_addr, dst.bytes.data(), 4);
    len = sizeof(sockaddr_in);
  } else {
    auto* s = reinterpret_cast<sockaddr_in6*>(&ss);
    s->sin6_family = AF_INET6;
    s->sin6_port = htons(9);
    std::memcpy(&s->sin6_addr, dst.bytes.data(), 16);
    len = sizeof(sockaddr_in6);
  }
  if (connect(fd.get(), reinterpret_cast<sockaddr*>(&ss), len) < 0) {
    return ErrnoStatus(errno, "no route to " + dst.ToString());
  }
  sockaddr_storage me{};
  socklen_t mlen = sizeof me;
  if (getsockname(fd.get(), reinterpret_cast<sockaddr*>(&me), &mlen) < 0) {
    return ErrnoStatus(errno, "getsockname");
  }
  IpAddr src;
  src.family = dst.family;
  if (dst.family == Family::kIpv4) {
    std::memcpy(src.bytes.data(), &reinterpret_cast<sockaddr_in*>(&me)->sin_addr, 4);
  } else {
    std::memcpy(src.bytes.data(), &reinterpret_cast<sockaddr_in6*>(&me)->sin6_addr, 16);
  }
  // Sending one empty datagram makes the kernel resolve the next hop's link address.
  (void)send(fd.get(), "", 0, MSG_DONTWAIT);
  return src;
}

}  // namespace

std::optional<MacAddr> ParseMac(std::string_view text) {
  MacAddr m{};
  unsigned v[6];
  char tail = 0;
  const std::string s(text);
  if (std::sscanf(s.c_str(), "%2x:%2x:%2x:%2x:%2x:%2x%c", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5],
                  &tail) != 6 ||
      s.size() != 17) {
    return std::nullopt;
  }
  for (size_t i = 0; i < 6; ++i) m[i] = static_cast<uint8_t>(v[i]);
  return m;
}

std::string MacToString(const MacAddr& m) {
  return fmt::format("{:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}", m[0], m[1], m[2], m[3], m[4],
                     m[5]);
}

Result<NetPath> FindNetPath(const IpAddr& target, const NetPathOptions& options) {
  PA_ASSIGN_OR_RETURN(route, GetRoute(target));
  NetPath path;
  path.ifindex = route.oif;
  if (!options.interface.empty()) {
    const unsigned idx = if_nametoindex(options.interface.c_str());
    if (idx == 0) return NotFound(fmt::format("no interface {}", options.interface));
    path.ifindex = static_cast<int>(idx);
  }
  char name[IF_NAMESIZE] = {};
  if (if_indextoname(static_cast<unsigned>(path.ifindex), name) == nullptr) {
    return ErrnoStatus(errno, "interface name");
  }
  path.ifname = name;
  path.next_hop = route.gateway.value_or(target);

  PA_ASSIGN_OR_RETURN(kernel_src, SourceFor(target));  // also starts neighbour resolution
  path.src = options.source.value_or(route.prefsrc.value_or(kernel_src));
  if (path.src.family != target.family) {
    return InvalidArgument(
        fmt::format("source {} is not of {}'s family", path.src.ToString(), target.ToString()));
  }

  net::Fd sock(socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  ifreq ifr{};
  std::snprintf(ifr.ifr_name, sizeof ifr.ifr_name, "%s", path.ifname.c_str());
  if (ioctl(sock.get(), SIOCGIFFLAGS, &ifr) < 0) return ErrnoStatus(errno, "SIOCGIFFLAGS");
  path.loopback = (ifr.ifr_flags & IFF_LOOPBACK) != 0;
  if (path.loopback) return path;  // frames on lo carry zero MACs
  if (ioctl(sock.get(), SIOCGIFHWADDR, &ifr) < 0) return ErrnoStatus(errno, "SIOCGIFHWADDR");
  std::memcpy(path.src_mac.data(), ifr.ifr_hwaddr.sa_data, 6);

  if (options.router_mac) {
    path.dst_mac = *options.router_mac;
    return path;
  }
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::milliseconds(options.resolve_timeout_ms);
  for (;;) {
    if (auto mac = LookupNeighbour(path.ifindex, path.next_hop)) {
      path.dst_mac = *mac;
      return path;
    }
    if (std::chrono::steady_clock::now() >= deadline) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return NotFound(
      fmt::format("the link address of next hop {} on {} is unknown (give it with --router-mac)",
                  path.next_hop.ToString(), path.ifname));
}

}  // namespace portatlas::scan
