# shellcheck shell=bash disable=SC2034  # the constants are used by the files sourcing this
# Constants and helpers shared by testbed.sh, its daemon launchers and testbed_check.sh.
# Sourced, never run. Every address here is inside 198.18.0.0/15 or 2001:2::/48.

readonly kTbLib="${BASH_SOURCE[0]%/*}"
readonly kTbDir="${kTbLib%/*}"
readonly kState="${PA_TESTBED_DIR:-/run/portatlas-testbed}"
readonly kMarker="$kState/.portatlas-testbed"
readonly kRegistry="$kState/pidfiles"     # "netns<TAB>unit<TAB>pid file", one line per daemon
readonly kGroundTruth="$kState/ground_truth.tsv"
readonly kEnvFile="$kState/testbed.env"
readonly kProfiles="$kTbDir/profiles.conf"
readonly kProfileCount=8
readonly kMaxHosts=200

readonly kPrefix=pa-tb-
readonly kRouterNs=pa-tb-router
readonly kScanNs=pa-tb-scan
readonly kDomain=pa-tb.test

# Hosts: 198.18.0.I and 2001:2::I on one bridge in the router namespace.
readonly kHostNet4=198.18.0
readonly kHostNet6=2001:2:
readonly kHostGw4=198.18.0.254
readonly kHostGw6=2001:2::254
# Scanner: 198.18.1.1 and 2001:2:0:1::1 on a second router link.
readonly kScanIp4=198.18.1.1
readonly kScanIp6=2001:2:0:1::1
readonly kScanGw4=198.18.1.254
readonly kScanGw6=2001:2:0:1::254
readonly kScanMac=02:00:c6:12:01:01
readonly kScanGwMac=02:00:c6:12:01:fe
readonly kBridgeMac=02:00:c6:12:00:fe
# Routes inside the testbed: only towards the testbed's own prefixes, never a default.
readonly kTestbedNet4=198.18.0.0/15
readonly kTestbedNet6=2001:2::/48

readonly kPassword=testbed        # Redis requirepass, Dovecot and MariaDB logins
readonly kStartTimeoutS=40       # longest a daemon may take to listen (MariaDB, PostgreSQL)

tb_log() { printf 'testbed: %s\n' "$*" >&2; }
tb_die() {
  printf 'testbed: FAIL: %s\n' "$*" >&2
  exit 1
}

host_ns() { printf '%s%s' "$kPrefix" "h$1"; }
host_ip4() { printf '%s.%s' "$kHostNet4" "$1"; }
host_ip6() { printf '%s:%s' "$kHostNet6" "$1"; }
host_mac() { printf '02:00:c6:12:00:%02x' "$1"; }
host_name() { printf 'h%s.%s' "$1" "$kDomain"; }
host_profile() { printf '%s' $(((($1) - 1) % kProfileCount + 1)); }
host_dir() { printf '%s/h%s' "$kState" "$1"; }

# Profile lines for profile $1 as "unit|proto|port|service|product|package|notes", blanks trimmed.
profile_rows() {
  sed -e 's/#.*//' -e 's/[[:space:]]*|[[:space:]]*/|/g' -e 's/^[[:space:]]*//' \
    -e 's/[[:space:]]*$//' -e '/^$/d' "$kProfiles" |
    awk -F'|' -v p="$1" '$1 == p { print $2 "|" $3 "|" $4 "|" $5 "|" $6 "|" $7 "|" $8 }'
}

# Units of profile $1, in file order, each once.
profile_units() { profile_rows "$1" | cut -d'|' -f1 | awk '!seen[$0]++'; }

# "proto:port:service:notes" for each port of unit $2 in profile $1.
unit_ports() {
  profile_rows "$1" | awk -F'|' -v u="$2" '$1 == u { print $2 ":" $3 ":" $4 ":" $7 }'
}

# Namespaces of the testbed that exist now, one per line.
tb_namespaces() { ip netns list 2>/dev/null | awk -v p="$kPrefix" 'index($1, p) == 1 { print $1 }'; }

# Runs "$@" with no file descriptor but 0-2 open, so no daemon keeps a caller's pipe or lock.
exec_clean() {
  local fd
  for fd in /proc/"$BASHPID"/fd/*; do
    fd="${fd##*/}"
    if [ "$fd" -gt 2 ] 2>/dev/null; then eval "exec $fd>&-" 2>/dev/null || true; fi
  done
  exec "$@"
}

# Records that netns $1 runs unit $2 whose pid is in file $3; `down` reads this.
register_pidfile() { printf '%s\t%s\t%s\n' "$1" "$2" "$3" >>"$kRegistry"; }

# Starts a daemon that detaches by itself: "$@" runs in netns $1 with stdin from /dev/null and
# stdout/stderr appended to $2; returns its exit status once it has detached.
run_in_ns() {
  local ns="$1" out="$2"
  shift 2
  (exec_clean ip netns exec "$ns" "$@") </dev/null >>"$out" 2>&1
}

# Starts a daemon that stays in the foreground: in the background, in netns $1, output to $2,
# its pid (ip netns exec execs, so $! is the daemon) written to $3 and registered as unit $4.
# Sets spawned_pid, which wait_listening watches.
spawned_pid=-
spawn_in_ns() {
  local ns="$1" out="$2" pidfile="$3" unit="$4"
  shift 4
  register_pidfile "$ns" "$unit" "$pidfile"
  (exec_clean ip netns exec "$ns" "$@") </dev/null >>"$out" 2>&1 &
  spawned_pid=$!
  printf '%s\n' "$spawned_pid" >"$pidfile"
}

# Listening sockets of netns $1 as "proto local-address:port" lines.
ns_listeners() { ss -H -tuln -N "$1" 2>/dev/null | awk '{ print $1, $5 }'; }

# Whether listeners $1 (ns_listeners output) serve proto $2 port $3 for family $4 (4 or 6) at
# host address $5. "*:P" is a dual-stack IPv6 socket; link-local and loopback ones do not count.
listener_serves() {
  local want_any want_host
  if [ "$4" = 4 ]; then
    want_any="0.0.0.0:$3"
    want_host="$5:$3"
  else
    want_any="[::]:$3"
    want_host="[$5]:$3"
  fi
  awk -v p="$2" -v a="$want_any" -v h="$want_host" -v d="*:$3" \
    '$1 == p && ($2 == a || $2 == h || $2 == d) { found = 1 } END { exit !found }' <<<"$1"
}

# Polls netns $1 until every "proto:port" in $4.. listens on host index $2's IPv4 and IPv6
# addresses, or until kStartTimeoutS passes, or until pid $3 (- for none) exits. Prints why
# and fails then.
wait_listening() {
  local ns="$1" i="$2" watch="$3"
  shift 3
  local ip4 ip6 deadline now listeners missing spec
  ip4="$(host_ip4 "$i")"
  ip6="$(host_ip6 "$i")"
  deadline=$(($(date +%s) + kStartTimeoutS))
  while :; do
    listeners="$(ns_listeners "$ns")"
    missing=()
    for spec in "$@"; do
      listener_serves "$listeners" "${spec%%:*}" "${spec#*:}" 4 "$ip4" || missing+=("$spec/ipv4")
      listener_serves "$listeners" "${spec%%:*}" "${spec#*:}" 6 "$ip6" || missing+=("$spec/ipv6")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    if [ "$watch" != - ] && ! kill -0 "$watch" 2>/dev/null; then
      printf 'exited (pid %s) before listening on %s\n' "$watch" "${missing[*]}"
      return 1
    fi
    now=$(date +%s)
    if [ "$now" -ge "$deadline" ]; then
      printf 'after %ss on %s\n' "$kStartTimeoutS" "${missing[*]}"
      return 1
    fi
    sleep 0.1
  done
}

# Upstream version of installed Debian package $1: no epoch, no Debian revision, no +dfsg.
deb_upstream() {
  local v
  v="$(dpkg-query -W -f='${Version}' "$1" 2>/dev/null)" || return 1
  v="${v#*:}"
  v="${v%-*}"
  v="${v%%+*}"
  v="${v%%~*}"
  printf '%s' "$v"
}
deb_version() { dpkg-query -W -f='${Version}' "$1" 2>/dev/null; }
