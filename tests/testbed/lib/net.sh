# shellcheck shell=bash disable=SC2154  # constants from common.sh
# The testbed's network: namespaces, veth pairs, the bridge and routes. Sourced by testbed.sh.
#
# Every link is created by `ip -n NS link add ... peer ... netns OTHER`, i.e. both ends are born
# inside testbed namespaces: nothing is ever created in, moved out of or routed from the root
# namespace, and no namespace has a default route.

# Sets sysctls inside namespace $1 (each argument "key=value").
ns_sysctl() {
  local ns="$1"
  shift
  ip netns exec "$ns" sysctl -qw "$@" >/dev/null
}

# Creates namespace $1 with loopback up. New interfaces skip IPv6 duplicate address detection
# (addresses are usable at once) and ignore router advertisements; nothing forwards by default.
make_ns() {
  ip netns add "$1"
  ip -n "$1" link set lo up
  ns_sysctl "$1" net.ipv4.ip_forward=0 net.ipv6.conf.all.forwarding=0 \
    net.ipv6.conf.default.accept_dad=0 net.ipv6.conf.default.accept_ra=0 \
    net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.all.accept_ra=0
}

# Builds router, scanner and hosts 1..$1.
net_up() {
  local n="$1" i ns
  make_ns "$kRouterNs"
  make_ns "$kScanNs"
  for i in $(seq "$n"); do make_ns "$(host_ns "$i")"; done
  ns_sysctl "$kRouterNs" net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1

  # Router: a bridge for the hosts, a point-to-point link to the scanner.
  ip -n "$kRouterNs" link add tb-br type bridge
  ip -n "$kRouterNs" link set tb-br address "$kBridgeMac" up
  ip -n "$kRouterNs" addr add "$kHostGw4/24" dev tb-br
  ip -n "$kRouterNs" -6 addr add "$kHostGw6/64" dev tb-br nodad

  ip -n "$kRouterNs" link add tb-scan address "$kScanGwMac" type veth \
    peer name eth0 address "$kScanMac" netns "$kScanNs"
  ip -n "$kRouterNs" link set tb-scan up
  ip -n "$kRouterNs" addr add "$kScanGw4/24" dev tb-scan
  ip -n "$kRouterNs" -6 addr add "$kScanGw6/64" dev tb-scan nodad
  ip -n "$kScanNs" link set eth0 up
  ip -n "$kScanNs" addr add "$kScanIp4/24" dev eth0
  ip -n "$kScanNs" -6 addr add "$kScanIp6/64" dev eth0 nodad
  ip -n "$kScanNs" route add "$kTestbedNet4" via "$kScanGw4"
  ip -n "$kScanNs" -6 route add "$kTestbedNet6" via "$kScanGw6"

  for i in $(seq "$n"); do
    ns="$(host_ns "$i")"
    ip -n "$kRouterNs" link add "tb-h$i" type veth peer name eth0 address "$(host_mac "$i")" \
      netns "$ns"
    ip -n "$kRouterNs" link set "tb-h$i" master tb-br up
    ip -n "$ns" link set eth0 up
    ip -n "$ns" addr add "$(host_ip4 "$i")/24" dev eth0
    ip -n "$ns" -6 addr add "$(host_ip6 "$i")/64" dev eth0 nodad
    ip -n "$ns" route add "$kTestbedNet4" via "$kHostGw4"
    ip -n "$ns" -6 route add "$kTestbedNet6" via "$kHostGw6"
  done
}

# Problems with the isolation of the running testbed, one per line; nothing when it is sound.
# Routes of every testbed namespace (all tables) may lead only to the testbed's prefixes,
# link-local, multicast or loopback addresses.
net_audit() {
  local ns
  for ns in $(tb_namespaces); do
    [ -z "$(ip -n "$ns" route show default)" ] || echo "$ns has an IPv4 default route"
    [ -z "$(ip -n "$ns" -6 route show default)" ] || echo "$ns has an IPv6 default route"
    { ip -n "$ns" -4 route show table all; ip -n "$ns" -6 route show table all; } |
      awk -v ns="$ns" '{ d = ($1 ~ /^(local|broadcast|multicast|anycast|unicast)$/) ? $2 : $1 }
        d !~ /^(198\.1[89]\.|127\.|2001:2:|fe80:|ff00:|::1($|\/))/ {
          print ns " has a route outside the testbed: " $0 }'
  done
  # No interface of the testbed in the root namespace, and no veth there whose peer is in one.
  ip -o link show | awk -F': ' '$2 ~ /^tb-/ { print "root namespace has testbed link " $2 }'
  ip -o -d link show type veth | grep -o 'link-netns pa-tb-[^ ]*' |
    sed 's/^/root namespace has a veth into /' || true
}

# Deletes every testbed namespace (their processes must be gone already; see procs_stop).
net_down() {
  local ns
  for ns in $(tb_namespaces); do
    ip netns delete "$ns" 2>/dev/null || tb_log "could not delete namespace $ns"
  done
  # The kernel tears a namespace down after its last reference goes; that is asynchronous and
  # needs nothing more from us.
}
