#!/usr/bin/env bash
# Self-check of the namespace testbed: brings up N hosts (default 8, i.e. every profile and so
# every daemon once; 2 is a quick variant), checks the ground truth against what answers from
# the scanner namespace and the isolation of the network, brings it down and checks that
# nothing is left. Prints one line per check and "N passed, N failed"; exit 0 when all pass.
#
#   tests/testbed/testbed_check.sh [N]
#
# Refuses to run (exit 2) while a testbed is up: it would have to tear that one down.
set -euo pipefail

here="$(cd "${BASH_SOURCE[0]%/*}" && pwd)"
# shellcheck source=lib/common.sh
. "$here/lib/common.sh"
# shellcheck source=lib/net.sh
. "$here/lib/net.sh"
# shellcheck source=lib/probe.sh
. "$here/lib/probe.sh"

readonly kTestbed="$here/testbed.sh"
readonly kClosedPort=9   # discard: no profile uses it

passed=0
failed=0
truth=""   # "ADDRESS PROTO PORT" lines of the ground truth, once up
check() {   # check NAME PROBLEMS: passes when PROBLEMS is empty
  if [ -z "$2" ]; then
    printf 'testbed_check: ok    %s\n' "$1"
    passed=$((passed + 1))
  else
    printf 'testbed_check: FAIL  %s\n' "$1"
    while IFS= read -r line; do printf '    %s\n' "$line"; done <<<"$2"
    failed=$((failed + 1))
  fi
}
now_ms() { date +%s%3N; }

# Lines "ADDRESS PROTO PORT" of the ground truth.
truth_ports() { awk -F'\t' 'NR > 1 { print $1, $2, $3 }' "$kGroundTruth"; }

# Every non-optional profile port of hosts 1..$1 has an IPv4 and an IPv6 ground-truth line.
missing_truth() {
  local i unit proto port service notes ip
  for i in $(seq "$1"); do
    while IFS='|' read -r unit proto port service _ _ notes; do
      case ",$notes," in *,optional,*) continue ;; esac
      for ip in "$(host_ip4 "$i")" "$(host_ip6 "$i")"; do
        awk -F'\t' -v h="$ip" -v p="$proto" -v n="$port" -v s="$service" \
          '$1 == h && $2 == p && $3 == n && $4 == s { f = 1 } END { exit !f }' "$kGroundTruth" ||
          echo "h$i $unit: no line for $ip $proto/$port"
      done
    done < <(profile_rows "$(host_profile "$i")")
  done
}

# Listeners of the hosts reachable from outside (not loopback, not link-local) that the ground
# truth does not list: a scanner would find them and count them as false positives.
unlisted_listeners() {
  local i ns ip4 ip6 proto addr port
  for i in $(seq "$1"); do
    ns="$(host_ns "$i")"
    ip4="$(host_ip4 "$i")"
    ip6="$(host_ip6 "$i")"
    while read -r proto addr; do
      port="${addr##*:}"
      case "$addr" in
        127.* | \[::1\]:* | \[fe80:*) continue ;;
        0.0.0.0:* | "$ip4":*) grep -qx "$ip4 $proto $port" <<<"$truth" || echo "$ns $proto $addr" ;;
        \[::\]:* | "[$ip6]":*) grep -qx "$ip6 $proto $port" <<<"$truth" || echo "$ns $proto $addr" ;;
        \*:*)
          { grep -qx "$ip4 $proto $port" <<<"$truth" && grep -qx "$ip6 $proto $port" <<<"$truth"; } ||
            echo "$ns $proto $addr"
          ;;
        *) echo "$ns $proto $addr (unexpected address)" ;;
      esac
    done < <(ns_listeners "$ns")
  done
}

# Processes of the testbed (their command line names the state directory) outside its
# namespaces, i.e. in the root namespace or another one.
daemons_outside() {
  local p cmd ns
  for p in /proc/[0-9]*; do
    cmd="$(tr '\0' ' ' 2>/dev/null <"$p/cmdline")" || continue
    case "$cmd" in *"$kState"*) ;; *) continue ;; esac
    ns="$(ip netns identify "${p#/proc/}" 2>/dev/null || true)"
    case "$ns" in "$kPrefix"*) ;; *) echo "pid ${p#/proc/} in '${ns:-root or unnamed}': $cmd" ;; esac
  done
}

# Processes in any of the namespaces whose inodes are $@, or naming the state directory.
leftovers() {
  local p link cmd ino
  for p in /proc/[0-9]*; do
    link="$(readlink "$p/ns/net" 2>/dev/null)" || continue
    for ino in "$@"; do
      [ "$link" = "net:[$ino]" ] && echo "pid ${p#/proc/} still in a testbed namespace"
    done
    cmd="$(tr '\0' ' ' 2>/dev/null <"$p/cmdline")" || continue
    case "$cmd" in *"$kState"*) echo "pid ${p#/proc/} still runs: $cmd" ;; esac
  done
}

# Runs testbed.sh "$@"; prints its output only when it fails.
quiet_unless_fails() {
  local out
  out="$("$kTestbed" "$@" 2>&1)" || printf '%s\n' "$out"
}

main() {
  local n="${1:-8}" t0 up_ms down_ms out tcp udp inodes=()
  [ "$(id -u)" -eq 0 ] || { echo "testbed_check: run as root" >&2; exit 1; }
  if [ -n "$(tb_namespaces)" ] || [ -e "$kState" ]; then
    echo "testbed_check: a testbed is up (or left over); run '$kTestbed down' first" >&2
    exit 2
  fi
  trap '"$kTestbed" down >/dev/null 2>&1 || true' EXIT

  t0=$(now_ms)
  if ! out="$("$kTestbed" up "$n" 2>&1)"; then
    check "up $n" "$out"
    printf 'testbed_check: %s passed, %s failed\n' "$passed" "$failed"
    exit 1
  fi
  up_ms=$(($(now_ms) - t0))
  check "up $n in ${up_ms}ms" ""
  truth="$(truth_ports)"

  check "ground truth lists every profile port, IPv4 and IPv6" "$(missing_truth "$n")"
  tcp="$(awk '$2 == "tcp" { print $1, $3 }' <<<"$truth" | probe_tcp_batch | awk '$3 != "open"')"
  check "every TCP ground-truth port answers from $kScanNs ($(grep -c ' tcp ' <<<"$truth"))" "$tcp"
  udp="$(awk '$2 == "udp"' <<<"$truth" | while read -r h _ p; do
    s="$(awk -F'\t' -v h="$h" -v p="$p" '$1 == h && $2 == "udp" && $3 == p { print $4 }' \
      "$kGroundTruth")"
    probe_udp "$h" "$p" "$s" || echo "$h udp/$p ($s) does not answer"
  done)"
  check "every UDP ground-truth port answers a real client ($(grep -c ' udp ' <<<"$truth"))" "$udp"
  tcp="$(for i in $(seq "$n"); do
    printf '%s %s\n%s %s\n' "$(host_ip4 "$i")" "$kClosedPort" "$(host_ip6 "$i")" "$kClosedPort"
  done | probe_tcp_batch | awk '$3 != "closed"')"
  check "port $kClosedPort (not in the ground truth) is closed on every host" "$tcp"
  check "no reachable listener missing from the ground truth" "$(unlisted_listeners "$n")"
  check "isolation: no default route, routes only to the testbed, no testbed link in root" \
    "$(net_audit)"
  check "no testbed daemon outside the testbed namespaces" "$(daemons_outside)"
  check "testbed.sh status reports every port answering" "$(quiet_unless_fails status)"
  local rc=0
  out="$("$kTestbed" up "$n" 2>&1)" || rc=$?
  if [ "$rc" -eq 2 ]; then out=""; else out="exit $rc: $out"; fi
  check "up while up fails with exit 2" "$out"

  for ns in $(tb_namespaces); do inodes+=("$(stat -L -c %i "/run/netns/$ns")"); done
  t0=$(now_ms)
  out="$(quiet_unless_fails down)"
  down_ms=$(($(now_ms) - t0))
  check "down in ${down_ms}ms" "$out"
  check "no testbed namespace or state directory left" \
    "$(tb_namespaces)$([ ! -e "$kState" ] || echo "$kState exists")"
  check "no process left in the testbed namespaces or naming its state" \
    "$(leftovers "${inodes[@]}")"
  check "down when down succeeds" "$(quiet_unless_fails down)"
  trap - EXIT
  printf 'testbed_check: up %s: %sms, down: %sms\n' "$n" "$up_ms" "$down_ms"
  printf 'testbed_check: %s passed, %s failed\n' "$passed" "$failed"
  [ "$failed" -eq 0 ]
}

main "$@"
