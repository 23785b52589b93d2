#!/usr/bin/env bash
# collector_bench.sh: times `portatlas ports --json` against `ss -tulpn` on a host holding
# 10,000 listening TCP sockets in 50 processes spread over 3 network namespaces.
#
#   sudo bench/collector_bench.sh [--ss-only] [PORTATLAS_BIN]
#
# PORTATLAS_BIN defaults to $PORTATLAS_BIN, else build/release/src/cli/portatlas under the
# repository. listener_farm and cmd_bench are taken from $BENCH_BIN_DIR, else from the bench/
# folder of the same build tree (PORTATLAS_BIN/../../bench). --ss-only skips portatlas (for
# baselines while it is not built). Tunables (environment): SOCKETS (10000), PROCS (50),
# RUNS (11).
#
# It creates the namespaces pa-bench-1..3 with only the loopback interface up (no veth, no
# route out), so nothing it starts can send traffic off the host; the sockets only listen.
# Everything it creates is removed on exit, including on error or Ctrl-C.
#
# Targets: faster than `ss -tulpn` (busiest namespace and root), peak RSS < 20 MB, at least
# SOCKETS records from at least 3 namespaces, and with jq at least SOCKETS records with an owner
# pid (ss -p pays for owners, so portatlas must too).
#
# Exit status: 0 when every target is met, 1 when one is missed, 2 on a setup error.
set -euo pipefail

readonly NAMESPACES=(pa-bench-1 pa-bench-2 pa-bench-3)
readonly BUSIEST=pa-bench-1 # listener_farm deals processes round-robin, so the first gets most
readonly RSS_LIMIT_MB=20

die() {
  echo "collector_bench: $*" >&2
  exit 2
}

ss_only=0
if [[ ${1:-} == --ss-only ]]; then
  ss_only=1
  shift
fi
(($# <= 1)) || die "usage: $0 [--ss-only] [PORTATLAS_BIN]"
script_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo_root=$(dirname "$script_dir")
portatlas_bin=${1:-${PORTATLAS_BIN:-$repo_root/build/release/src/cli/portatlas}}
bench_bin_dir=${BENCH_BIN_DIR:-$(dirname "$portatlas_bin")/../../bench}
sockets=${SOCKETS:-10000}
procs=${PROCS:-50}
runs=${RUNS:-11}
farm=$bench_bin_dir/listener_farm
cmd_bench=$bench_bin_dir/cmd_bench

((EUID == 0)) || die "must run as root (it creates network namespaces)"
for tool in ip ss awk; do
  command -v "$tool" >/dev/null || die "$tool not found"
done
for bin in "$farm" "$cmd_bench"; do
  [[ -x $bin ]] || die "$bin not found; build the targets listener_farm and cmd_bench"
done
if ((!ss_only)); then
  [[ -x $portatlas_bin ]] || die "$portatlas_bin not found (build it, or pass --ss-only)"
fi

created=()
farm_pid=
bench_pid=
ready_fd=
tmp_dir=$(mktemp -d /tmp/pa-collector-bench.XXXXXX)

cleanup() {
  local rc=$?
  set +e
  [[ -n $bench_pid ]] && kill -TERM "$bench_pid" 2>/dev/null && wait "$bench_pid" 2>/dev/null
  if [[ -n $farm_pid ]]; then
    kill -TERM "$farm_pid" 2>/dev/null
    wait "$farm_pid" 2>/dev/null
  fi
  [[ -n $ready_fd ]] && exec {ready_fd}<&-
  for ns in "${created[@]}"; do
    ip netns del "$ns"
  done
  rm -rf "$tmp_dir"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

for ns in "${NAMESPACES[@]}"; do
  [[ ! -e /run/netns/$ns ]] || die "namespace $ns exists already; remove it: ip netns del $ns"
done
for ns in "${NAMESPACES[@]}"; do
  ip netns add "$ns"
  created+=("$ns")
  ip -n "$ns" link set lo up
done

# The farm prints "ready" once every socket listens; reading it through a FIFO needs no
# polling, and gives EOF at once if the farm dies first.
mkfifo "$tmp_dir/farm.out"
"$farm" --sockets "$sockets" --procs "$procs" --no-stdin \
  --netns "$(IFS=,; echo "${NAMESPACES[*]}")" >"$tmp_dir/farm.out" &
farm_pid=$!
exec {ready_fd}<"$tmp_dir/farm.out"
line=
read -r -t 300 line <&"$ready_fd" || true
[[ $line == ready ]] || die "listener_farm did not get ready"

echo "== host"
echo "kernel $(uname -r), $(nproc) cpus, $(ss -V 2>&1 | head -n1)," \
  "$(find /proc -maxdepth 1 -name '[0-9]*' | wc -l) processes," \
  "$(find /proc/[0-9]*/fd -mindepth 1 -maxdepth 1 2>/dev/null | wc -l) fds"
echo "== listening sockets (ss -Htuln per namespace)"
total=0
for ns in "${NAMESPACES[@]}"; do
  n=$(ip netns exec "$ns" ss -Htuln | wc -l)
  total=$((total + n))
  echo "$ns: $n"
done
echo "root: $(ss -Htuln | wc -l)"
((total == sockets)) || die "expected $sockets sockets in the namespaces, found $total"

# How much each command reports, from one run outside the timing.
echo "== records printed (one untimed run each)"
records=0
netns_seen=0 # distinct "netns" values among the records; 0 when unknown
owned=-1     # records with a "pid" above 0 (ss -p attributes owners too); -1 when unknown
if ((!ss_only)); then
  "$portatlas_bin" ports --json >"$tmp_dir/portatlas.json" || die "portatlas ports --json failed"
  if command -v jq >/dev/null; then
    # -s: the same count whether the output is one array or one object per line.
    records=$(jq -s '[.. | objects | select(has("port"))] | length' "$tmp_dir/portatlas.json")
    netns_seen=$(jq -s '[.. | objects | select(has("port") and has("netns")) | .netns] |
      unique | length' "$tmp_dir/portatlas.json")
    owned=$(jq -s '[.. | objects | select(has("port") and (.pid // 0) > 0)] | length' \
      "$tmp_dir/portatlas.json")
    echo "portatlas ports --json: $records records (objects with \"port\")," \
      "$netns_seen distinct \"netns\" values, $owned with a \"pid\" > 0"
  else
    records=$(grep -o '"port"' "$tmp_dir/portatlas.json" | wc -l)
    echo "portatlas ports --json: $records records (\"port\" keys; jq not installed)"
  fi
fi
echo "ip netns exec $BUSIEST ss -tulpn: $(ip netns exec "$BUSIEST" ss -Htulpn | wc -l) lines"
echo "ss -tulpn (root): $(ss -Htulpn | wc -l) lines"

ss_all="ss -tulpn"
for ns in "${NAMESPACES[@]}"; do
  ss_all+="; ip netns exec $ns ss -tulpn"
done
cmds=()
if ((!ss_only)); then
  cmds+=(--cmd "portatlas=$(printf '%q' "$portatlas_bin") ports --json")
fi
cmds+=(--cmd "ss-busiest=ip netns exec $BUSIEST ss -tulpn")
cmds+=(--cmd "ss-root=ss -tulpn")
cmds+=(--cmd "ss-all=$ss_all")

echo "== timing"
# In the background so that a signal to this script ends the wait at once (bash runs traps
# only between foreground commands).
"$cmd_bench" --runs "$runs" "${cmds[@]}" >"$tmp_dir/cmd_bench.out" &
bench_pid=$!
bench_rc=0
wait "$bench_pid" || bench_rc=$?
bench_pid=
cat "$tmp_dir/cmd_bench.out"
((bench_rc == 0)) || die "cmd_bench failed (status $bench_rc; did a timed command fail?)"

((!ss_only)) || exit 0

field() { # field NAME KEY: KEY= value from the RESULT line of NAME
  awk -v name="name=$1" -v key="$2=" '$1 == "RESULT" && $2 == name {
    for (i = 3; i <= NF; i++) if (index($i, key) == 1) print substr($i, length(key) + 1) }' \
    "$tmp_dir/cmd_bench.out"
}
lt() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a < b) }'; }

echo "== targets"
met=1
pa_ms=$(field portatlas median_ms)
pa_rss=$(field portatlas max_rss_mb)
for other in ss-busiest ss-root; do
  other_ms=$(field "$other" median_ms)
  ratio=$(awk -v a="$pa_ms" -v b="$other_ms" 'BEGIN { printf "%.2f", b / a }')
  if lt "$pa_ms" "$other_ms"; then verdict=MET; else verdict="NOT MET" met=0; fi
  echo "TARGET faster than $other: $verdict (portatlas $pa_ms ms, $other $other_ms ms," \
    "ratio ${ratio}x)"
done
if lt "$pa_rss" "$RSS_LIMIT_MB"; then verdict=MET; else verdict="NOT MET" met=0; fi
echo "TARGET peak RSS < $RSS_LIMIT_MB MB: $verdict (portatlas $pa_rss MB)"
if ((records >= sockets && (netns_seen == 0 || netns_seen >= ${#NAMESPACES[@]}))); then
  verdict=MET
else
  verdict="NOT MET" met=0
fi
echo "TARGET covers every namespace: $verdict ($records records for $sockets sockets," \
  "$netns_seen namespaces seen (0: not known) for ${#NAMESPACES[@]})"
if ((owned < 0)); then
  echo "TARGET owners attributed: not checked (needs jq)"
else
  if ((owned >= sockets)); then verdict=MET; else verdict="NOT MET" met=0; fi
  echo "TARGET owners attributed: $verdict ($owned records with a pid, for $sockets sockets)"
fi
((met)) || exit 1
