#!/usr/bin/env bash
# Scans of the namespace testbed compared with its ground truth (issue 4, acceptance 1 and 2).
# Every scanner runs inside the scanner namespace; targets are only the testbed's 198.18.0.0/15
# and 2001:2::/48 hosts.
#
#   tests/testbed/scan_acceptance.sh PORTATLAS_BINARY [N_HOSTS]
#
# Brings the testbed up (N_HOSTS, default 8) when none is up, and down again at the end if it
# brought it up. Prints one line per check and "scan_acceptance: N passed, M failed"; exit 0
# when all pass.
set -euo pipefail

here="$(cd "${BASH_SOURCE[0]%/*}" && pwd)"
bin="$(realpath "${1:?usage: scan_acceptance.sh PORTATLAS_BINARY [N_HOSTS]}")"
# shellcheck source=lib/harness.sh
. "$here/lib/harness.sh"
harness_start scan_acceptance "${2:-8}" 1
ns="$PA_TB_SCAN_NS"
truth="$PA_TB_GROUND_TRUTH"
last=$PA_TB_HOSTS
v4="198.18.0.1-198.18.0.$last"
v6="2001:2::1-2001:2::$last"
allow=(--allow 198.18.0.0/15 --allow 2001:2::/48)

# "ip proto port" lines of the ground truth for one protocol and family (4 or 6).
expected() {
  awk -F'\t' -v p="$1" -v f="$2" 'NR > 1 && $2 == p && (f == 6) == (index($1, ":") > 0) {
    print $1, $2, $3 }' "$truth" | sort
}
# "ip proto port" lines of a JSON-lines result file, for states given as a regex.
found() { jq -r --arg s "$2" 'select(.state | test("^(" + $s + ")$")) |
  "\(.ip) \(.protocol) \(.port)"' "$1" | sort; }
# Differences between expected and found, as "missed ..." / "extra ..." lines.
compare() {
  comm -3 <(printf '%s\n' "$1" | sed '/^$/d') <(printf '%s\n' "$2" | sed '/^$/d') |
    sed -e 's/^\t/extra /' -e 't' -e 's/^/missed /'
}
# Runs a scan in the scanner namespace; its summary line goes to $work/NAME.log.
scan() {
  local name="$1"
  shift
  local t0 t1
  t0=$(date +%s%N)
  if ! ip netns exec "$ns" "$bin" scan "$@" -oJ "$work/$name.json" 2>"$work/$name.log"; then
    echo "scan failed: $(tail -3 "$work/$name.log")"
    return 1
  fi
  t1=$(date +%s%N)
  printf '%s' "$(( (t1 - t0) / 1000000 ))" >"$work/$name.ms"
}
tx_packets() { ip netns exec "$ns" cat "/sys/class/net/$PA_TB_SCAN_IF/statistics/tx_packets"; }

# 1. Every TCP port of every host, connect and SYN, IPv4 and IPv6: exactly the ground truth.
for engine in connect syn; do
  for fam in 4 6; do
    name="$engine-ipv$fam"
    targets=$v4
    [ "$fam" = 6 ] && targets=$v6
    problems="$(scan "$name" "--$engine" -p- "${allow[@]}" "$targets" || true)"
    if [ -z "$problems" ]; then
      problems="$(compare "$(expected tcp "$fam")" "$(found "$work/$name.json" open)")"
    fi
    check "$name: all 65535 TCP ports of $last hosts = ground truth ($(cat "$work/$name.ms" 2>/dev/null || echo '?') ms; $(expected tcp "$fam" | wc -l) open)" "$problems"
    sed 's/^/    /' "$work/$name.log"
  done
done

# 1a. SYN from spare source addresses of the scanner's link (no interface holds them): the scan
# answers the router's ARP and neighbour solicitations itself; both families in one run.
problems="$(scan spare --syn -p- --source-ip 198.18.1.2 --source-ip 2001:2:0:1::2 "${allow[@]}" \
  "$v4" "$v6" || true)"
if [ -z "$problems" ]; then
  problems="$(compare "$(expected tcp 4; expected tcp 6)" "$(found "$work/spare.json" open)")"
fi
check "syn from spare sources 198.18.1.2 and 2001:2:0:1::2, v4+v6 in one run = ground truth ($(cat "$work/spare.ms" 2>/dev/null || echo '?') ms)" "$problems"
sed 's/^/    /' "$work/spare.log"

# 1b. UDP: DNS, NTP and SNMP answer their payloads; nothing else in the ground truth is UDP.
problems="$(scan udp --udp -p U:53,123,161 "${allow[@]}" "$v4" "$v6" || true)"
if [ -z "$problems" ]; then
  problems="$(compare "$(expected udp 4; expected udp 6)" "$(found "$work/udp.json" open)")"
fi
check "udp: 53, 123 and 161 open where the ground truth has them, IPv4 and IPv6" "$problems"
sed 's/^/    /' "$work/udp.log"

# 3. nmap-compatible XML: ndiff reads ours against a real nmap scan of the same host and finds
# no difference in hosts or ports (only the header lines, naming the scanner, differ).
problems=""
ip netns exec "$ns" nmap -sS -p- -T4 -n -Pn -oX "$work/nmap.xml" 198.18.0.1 >/dev/null 2>&1 ||
  problems="nmap failed"
ip netns exec "$ns" "$bin" scan --syn -p- "${allow[@]}" 198.18.0.1 -oX "$work/ours.xml" \
  >/dev/null 2>&1 || problems+=$'\n'"portatlas scan -oX failed"
if [ -z "$problems" ]; then
  set +e
  ndiff "$work/nmap.xml" "$work/ours.xml" >"$work/ndiff.txt" 2>&1
  rc=$?
  ndiff --xml "$work/nmap.xml" "$work/ours.xml" >"$work/ndiff.xml" 2>&1
  rc_xml=$?
  set -e
  [ "$rc" -le 1 ] || problems="ndiff exit $rc: $(head -3 "$work/ndiff.txt")"
  [ "$rc_xml" -le 1 ] || problems+=$'\n'"ndiff --xml exit $rc_xml"
  other="$(grep -v -e 'scan initiated' -e '^ *$' "$work/ndiff.txt" || true)"
  [ -z "$other" ] || problems+=$'\n'"ndiff sees differences: $other"
  grep -q '<hostdiff>' "$work/ndiff.xml" && problems+=$'\n'"ndiff --xml reports a host difference"
  ours_open=$(grep -c 'state="open"' "$work/ours.xml" || true)
  [ "$ours_open" -ge 1 ] || problems+=$'\n'"no open port in our XML"
fi
check "ndiff reads -oX against nmap -sS of 198.18.0.1: same hosts and ports" "${problems#$'\n'}"

# 3b. nmap's own XML (the run above) and a real masscan -oJ of the same host import into a real
# server on 127.0.0.1 as scan tasks holding exactly the ground truth's open ports of that host.
problems=""
mkdir -p "$work/server"
"$bin" token create --data-dir "$work/server" --project 0 >"$work/token" 2>/dev/null ||
  problems="token create failed"
token="$(jq -r .token "$work/token")"
"$bin" serve --data-dir "$work/server" --listen 127.0.0.1:0 >"$work/serve.log" 2>&1 &
server_pid=$!
for _ in $(seq 100); do grep -q "listening on http://127.0.0.1:" "$work/serve.log" && break; sleep 0.1; done
server_url="$(grep -o 'http://127.0.0.1:[0-9]*' "$work/serve.log" | head -1)"
# masscan waits forever on a silent network (masscan #144): a heartbeat to the router wakes it.
ip netns exec "$ns" bash -c "while :; do echo beat >/dev/udp/$PA_TB_ROUTER_IP4/9 2>/dev/null; sleep 0.1; done" &
beat_pid=$!
ip netns exec "$ns" timeout 60 masscan -p1-10000 --rate 10000 --wait 2 --adapter "$PA_TB_SCAN_IF" \
  --adapter-ip "$PA_TB_SCAN_IP4" --router-mac "$PA_TB_ROUTER_MAC" -oJ "$work/masscan.json" \
  198.18.0.1 >/dev/null 2>&1 || problems+=$'\n'"masscan failed"
kill "$beat_pid" 2>/dev/null || true
truth1="$(awk -F'\t' 'NR > 1 && $1 == "198.18.0.1" && $2 == "tcp" { print $1, $2, $3 }' "$truth" | sort)"
# What masscan itself wrote (one object per line): the import must hold exactly that, and that
# must be ground truth (masscan loses replies now and then, so it may be less than all of it).
masscan_wrote="$(sed -n 's/.*"ip": "\([^"]*\)".*"port": \([0-9]*\), "proto": "\([a-z]*\)", "status": "open".*/\1 \3 \2/p' \
  "$work/masscan.json" | sort -u)"
[ -n "$masscan_wrote" ] || problems+=$'\n'"masscan found nothing"
extra="$(comm -13 <(printf '%s\n' "$truth1") <(printf '%s\n' "$masscan_wrote"))"
[ -z "$extra" ] || problems+=$'\n'"masscan reported ports outside the ground truth: $extra"
for file in nmap.xml masscan.json; do
  out="$("$bin" import "$work/$file" --server "$server_url" --token "$token" 2>&1)" || {
    problems+=$'\n'"import $file: $out"
    continue
  }
  id="$(sed -n 's/.*into task \([0-9]*\).*/\1/p' <<<"$out")"
  got="$(curl -s -H "X-Auth-Token: $token" "$server_url/v1/scan-tasks/$id/records?limit=10000" |
    jq -r '.records[] | select(.state == "open") | "\(.ip) \(.protocol) \(.port)"' | sort)"
  want="$truth1"
  [ "$file" = masscan.json ] && want="$masscan_wrote"
  diff="$(compare "$want" "$got")"
  [ -z "$diff" ] || problems+=$'\n'"$file imported: $(tr '\n' ' ' <<<"$diff")"
done
kill "$server_pid" 2>/dev/null || true
wait "$server_pid" 2>/dev/null || true
check "portatlas import: nmap -oX and masscan -oJ of 198.18.0.1 become tasks holding its open ports" \
  "${problems#$'\n'}"

# 2. A target outside the allow-list is refused before any frame leaves.
before=$(tx_packets)
set +e
ip netns exec "$ns" "$bin" scan --syn -p 22 198.18.0.1 >"$work/refused.out" 2>&1
rc=$?
set -e
after=$(tx_packets)
problems=""
[ "$rc" = 2 ] || problems="exit status $rc, not 2"
grep -q "outside the allow-list" "$work/refused.out" || problems+=$'\n'"no allow-list message"
[ "$after" = "$before" ] || problems+=$'\n'"$((after - before)) frames left the scanner"
check "a target outside the allow-list is refused with exit 2 and no frame sent" "${problems#$'\n'}"

# 2b. The rate limit: frames sent per second of sending, within 10%.
rate=20000
before=$(tx_packets)
problems="$(scan rate --syn --rate "$rate" -p 1-5000 "${allow[@]}" "$v4" || true)"
after=$(tx_packets)
if [ -z "$problems" ]; then
  read -r probes secs < <(sed -n 's/.* \([0-9]*\) probes ([0-9]* resent) in \([0-9.]*\) s.*/\1 \2/p' \
    "$work/rate.log")
  measured=$(awk -v n="$probes" -v s="$secs" 'BEGIN { printf "%.0f", n / s }')
  awk -v m="$measured" -v r="$rate" 'BEGIN { exit !(m >= 0.9 * r && m <= 1.1 * r) }' ||
    problems="sent $probes probes in $secs s = $measured/s, not within 10% of $rate/s"
  [ $((after - before)) -ge "$probes" ] ||
    problems+=$'\n'"interface counted $((after - before)) frames, fewer than $probes probes"
fi
check "--rate $rate holds within 10% (${measured:-?}/s)" "${problems#$'\n'}"

harness_tally
