#!/usr/bin/env bash
# flow_bench.sh: the traffic collector's throughput (issue 14, acceptance 5), side by side in one
# run with nfcapd (nfdump) and nfacctd (pmacct), all from Debian, each pinned to one core (CPU 1)
# with bench/flow_sender on the other (CPU 0) sending NetFlow v9 or IPFIX over loopback at full
# speed for SECONDS; each collector gets a 32 MiB receive buffer. Prints per collector and
# version the records it decoded, the records per second of the sending time, what it lost
# (sent - decoded), and portatlas' ratio to each peer. Then the pcap path: the testbed capture
# (made as flow_acceptance.sh makes it) in LOOPS copies, each from another client address, read
# by one `portatlas flow --pcap` (nDPI on), and the capture by ndpiReader -l LOOPS (which runs
# its detection over the file LOOPS times, from scratch each time), packets per second each.
#
#   bench/flow_bench.sh [PORTATLAS_BIN] [FLOW_SENDER_BIN]
#
# Defaults: build/release/src/cli/portatlas and build/release/bench/flow_sender. Environment:
# SECONDS_PER_RUN (5), LOOPS (200), PCAP (1; 0 leaves the pcap part and the testbed out).
# Target: >= 2,000,000 records/s decoded on one core for v9 and IPFIX, ahead of both peers.
# Exit 0 when met, 1 when not, 2 on a setup error. Traffic: 127.0.0.1, and the testbed.
set -euo pipefail

here="$(cd "${BASH_SOURCE[0]%/*}" && pwd)"
root="$(cd "$here/.." && pwd)"
bin="$(realpath "${1:-$root/build/release/src/cli/portatlas}")"
sender="$(realpath "${2:-$root/build/release/bench/flow_sender}")"
secs="${SECONDS_PER_RUN:-5}"
loops="${LOOPS:-200}"
[ -x "$bin" ] && [ -x "$sender" ] || { echo "flow_bench: need $bin and $sender" >&2; exit 2; }
for p in nfcapd nfacctd taskset tcprewrite ndpiReader; do
  command -v "$p" >/dev/null || { echo "flow_bench: $p is missing (scripts/setup)" >&2; exit 2; }
done
work="$(mktemp -d)"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  [ "${PCAP:-1}" = 1 ] && declare -F internet_down >/dev/null && internet_down
  rm -rf "${work_outer:-$work}"
}
trap cleanup EXIT
port=$((30000 + RANDOM % 20000))

wait_for() {  # FILE TEXT
  local deadline=$((SECONDS + 10))
  until grep -q "$2" "$1" 2>/dev/null; do
    [ $SECONDS -lt $deadline ] || return 1
    sleep 0.1
  done
}

# run NAME VERSION: starts the collector NAME on $port (pinned to CPU 1), sends for $secs,
# stops it, and prints "decoded sent".
run() {
  local name=$1 v=$2 log="$work/$1.$2.log" out decoded sent
  case $name in
    portatlas)
      taskset -c 1 "$bin" flow --listen "udp://127.0.0.1:$port" --output /dev/null \
        --internet 198.19.0.0/16 --flush-interval 3600 --drain-timeout 0 \
        --rcvbuf 33554432 2>"$log" &
      ;;
    nfcapd)
      mkdir -p "$work/nf$v"
      taskset -c 1 nfcapd -w "$work/nf$v" -b 127.0.0.1 -p "$port" -t 3600 -B 33554432 >"$log" 2>&1 &
      ;;
    nfacctd)
      cat >"$work/nfacctd.conf" <<CONF
daemonize: false
nfacctd_ip: 127.0.0.1
nfacctd_port: $port
nfacctd_pipe_size: 33554432
plugins: print
aggregate: proto
print_output: csv
print_output_file: $work/nfacctd.$v.csv
print_refresh_time: 3600
CONF
      taskset -c 1 nfacctd -f "$work/nfacctd.conf" >"$log" 2>&1 &
      ;;
  esac
  local pid=$!
  pids+=("$pid")
  case $name in
    portatlas) wait_for "$log" "collecting on" ;;
    nfcapd) wait_for "$log" "Startup" ;;
    nfacctd) sleep 2 ;;  # nfacctd says nothing when ready
  esac
  out=$(taskset -c 0 "$sender" --version "$v" --port "$port" --seconds "$secs")
  sent=$(awk '{ print $4 }' <<<"$out")
  sleep 1  # let it drain what is in its socket buffer
  kill -INT "$pid"
  wait "$pid" 2>/dev/null || true
  case $name in
    portatlas) decoded=$(grep -o '[0-9]* flows (' "$log" | tail -1 | awk '{ print $1 }') ;;
    nfcapd) decoded=$(grep -o 'Flows: [0-9]*' "$log" | tail -1 | awk '{ print $2 }') ;;
    nfacctd) decoded=$(awk -F, 'NR > 1 { n += $2 } END { print n + 0 }' "$work/nfacctd.$v.csv" 2>/dev/null || echo 0) ;;
  esac
  echo "${decoded:-0} $sent"
}

met=1
echo "flow_bench: $secs s of sending per run, collector on CPU 1, sender on CPU 0"
for v in 9 10; do
  vname=$([ $v = 9 ] && echo "NetFlow v9" || echo IPFIX)
  declare -A rate=()
  for name in portatlas nfcapd nfacctd; do
    read -r decoded sent < <(run "$name" "$v")
    rate[$name]=$(awk -v d="$decoded" -v s="$secs" 'BEGIN { printf "%.0f", d / s }')
    printf '  %-10s %-10s decoded %10d of %10d sent: %9d records/s, lost %d\n' "$vname" "$name" \
      "$decoded" "$sent" "${rate[$name]}" $((sent - decoded))
  done
  for peer in nfcapd nfacctd; do
    printf '  %-10s portatlas / %s: %sx\n' "$vname" "$peer" \
      "$(awk -v a="${rate[portatlas]}" -v b="${rate[$peer]}" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }')"
    [ "${rate[portatlas]}" -gt "${rate[$peer]}" ] || met=0
  done
  [ "${rate[portatlas]}" -ge 2000000 ] || met=0
done

if [ "${PCAP:-1}" = 1 ]; then
  # shellcheck source=../tests/testbed/lib/harness.sh
  . "$root/tests/testbed/lib/harness.sh"
  work_outer="$work"
  harness_on_exit() { cleanup; }  # harness_start replaces this script's EXIT trap
  harness_start flow_bench 8 2
  # shellcheck source=../tests/testbed/lib/internet.sh
  . "$root/tests/testbed/lib/internet.sh"
  internet_down
  internet_up
  cap="$work_outer/internet.pcap"
  ip netns exec "$PA_TB_ROUTER_NS" tcpdump -i tb-scan -Z root -U -w "$cap" 'net 198.19.0.0/16' \
    2>"$work_outer/tcpdump.log" &
  tpid=$!
  wait_for "$work_outer/tcpdump.log" "listening on"
  internet_talk
  sleep 1
  kill -INT "$tpid"
  wait "$tpid" || true
  frames=$(tcpdump -r "$cap" -nn 2>/dev/null | wc -l)
  # LOOPS copies of the capture, each from another client address (198.19.1.0/24 and up, by
  # tcprewrite), so that every copy is new flows for nDPI to identify, not more packets of
  # flows it is done with.
  files=()
  for i in $(seq "$loops"); do
    c="198.19.$((1 + i / 250)).$((1 + i % 250))"
    tcprewrite --srcipmap="198.19.0.1/32:$c/32" --dstipmap="198.19.0.1/32:$c/32" \
      --infile="$cap" --outfile="$work_outer/copy$i.pcap"
    files+=(--pcap "$work_outer/copy$i.pcap")
  done
  t0=$(date +%s%N)
  taskset -c 1 "$bin" flow "${files[@]}" --output /dev/null --internet 198.19.0.0/16 2>/dev/null
  t1=$(date +%s%N)
  taskset -c 1 ndpiReader -i "$cap" -l "$loops" -q >/dev/null 2>&1 || true
  t2=$(date +%s%N)
  ours=$(awk -v f="$frames" -v l="$loops" -v t=$((t1 - t0)) 'BEGIN { printf "%.0f", f * l / (t / 1e9) }')
  peer=$(awk -v f="$frames" -v l="$loops" -v t=$((t2 - t1)) 'BEGIN { printf "%.0f", f * l / (t / 1e9) }')
  printf '  pcap       portatlas --pcap (nDPI)  %d frames x %d: %9d packets/s\n' "$frames" "$loops" "$ours"
  printf '  pcap       ndpiReader -l %d          %d frames x %d: %9d packets/s\n' "$loops" "$frames" "$loops" "$peer"
  printf '  pcap       portatlas / ndpiReader: %sx\n' "$(awk -v a="$ours" -v b="$peer" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }')"
fi

if [ "$met" = 1 ]; then echo "flow_bench: target met"; exit 0; fi
echo "flow_bench: target missed"
exit 1
