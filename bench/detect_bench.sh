#!/usr/bin/env bash
# detect_bench.sh: the service-detection benchmark (issue 5, acceptance 2). In one run, on the
# namespace testbed, the TCP ports open anywhere in its ground truth on every IPv4 host:
#   * portatlas scan --syn -sV -p PORTS 198.18.0.1-N     against
#   * nmap -sV -Pn -n -T4 -p PORTS 198.18.0.1-N          (default intensity 7)
# and, for UDP, the same two with --udp / -sU on the ground truth's UDP ports of the hosts that
# have them. Each inside the scanner namespace, RUNS times; the median wall times, their ratio,
# and every ground-truth row side by side (truth | nmap | portatlas), judged by
# tests/testbed/lib/judge_services.awk (the rules of detect_acceptance.sh).
#
#   bench/detect_bench.sh [PORTATLAS_BIN]
#
# PORTATLAS_BIN defaults to $PORTATLAS_BIN, else build/release/src/cli/portatlas. The testbed is
# brought up (8 hosts) when none is up, and down again at the end if this script did it.
# Environment: RUNS (3), UDP (1; 0 leaves the UDP part out), NMAP (1; 0 leaves nmap out).
#
# Target: identification at least as good as nmap's on every row (service, product, version
# each), better where nmap misses, in at least 10x less wall time (TCP). Exit status 0 when met
# (with nmap left out: when portatlas names every service), 1 when missed, 2 on a setup error.
set -euo pipefail

here="$(cd "${BASH_SOURCE[0]%/*}" && pwd)"
root="$(cd "$here/.." && pwd)"
bin="${1:-${PORTATLAS_BIN:-$root/build/release/src/cli/portatlas}}"
[ -x "$bin" ] || { echo "detect_bench: no portatlas binary at $bin" >&2; exit 2; }
bin="$(realpath "$bin")"
runs="${RUNS:-3}"
use_udp="${UDP:-1}"
use_nmap="${NMAP:-1}"
judge="$root/tests/testbed/lib/judge_services.awk"
# shellcheck source=../tests/testbed/lib/harness.sh
. "$root/tests/testbed/lib/harness.sh"
harness_start detect_bench 8 2
ns="$PA_TB_SCAN_NS"
last=$PA_TB_HOSTS
allow=(--allow 198.18.0.0/15)

# The IPv4 rows of the ground truth for one protocol, and their ports.
awk -F'\t' 'NR == 1 || index($1, ":") == 0' "$PA_TB_GROUND_TRUTH" >"$work/truth4"
rows_of() { awk -F'\t' -v p="$1" 'NR == 1 || $2 == p' "$work/truth4"; }
ports_of() { awk -F'\t' -v p="$1" 'NR > 1 && $2 == p { print $3 }' "$work/truth4" | sort -nu | paste -sd, -; }
hosts_of() {  # the last octets of the hosts with rows of protocol $1, as nmap's "1,5"
  awk -F'\t' -v p="$1" 'NR > 1 && $2 == p { split($1, a, "."); print a[4] }' "$work/truth4" |
    sort -nu | paste -sd, -
}

now_ns() { date +%s%N; }
timed() {  # runs "$@" in the scanner namespace; prints its wall time in seconds
  local t0 t1
  t0=$(now_ns)
  ip netns exec "$ns" "$@" >"$work/out" 2>"$work/err" || {
    echo "detect_bench: failed: $*" >&2
    tail -5 "$work/err" >&2
    exit 2
  }
  t1=$(now_ns)
  awk -v d=$((t1 - t0)) 'BEGIN { printf "%.3f", d / 1e9 }'
}
median() { sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }

# Results as the judge reads them: "ip proto port<TAB>service<TAB>product<TAB>version<TAB>
# subject<TAB>expiry".
found_portatlas() {
  jq -r 'select(.state == "open") | [("\(.ip) \(.protocol) \(.port)"), (.service // ""),
    (.product // ""), (.version // ""), (.tls.subject // ""), (.tls.not_after // "")] | @tsv' "$1"
}
# nmap's XML: one <port> element per line. A service inside TLS (tunnel="ssl") gets the name
# nmap-services gives the TLS port (http -> https), as portatlas names it; nmap's XML has no
# certificate facts without the ssl-cert script, so those columns stay empty.
found_nmap() {
  awk '
    function attr(s, name,   re, m) {
      re = " " name "=\"[^\"]*\""
      if (match(s, re)) { m = substr(s, RSTART + length(name) + 3, RLENGTH - length(name) - 4); return m }
      return ""
    }
    /<address addr=/ { ip = attr($0, "addr") }
    /<port protocol=/ && /state state="open"/ {
      name = attr($0, "name")
      if (attr($0, "tunnel") == "ssl") {
        if (name == "http") name = "https"; else if (name == "imap") name = "imaps";
        else if (name == "pop3") name = "pop3s"; else name = "ssl/" name
      }
      printf "%s %s %s\t%s\t%s\t%s\t\t\n", ip, attr($0, "protocol"), attr($0, "portid"), name,
        attr($0, "product"), attr($0, "version")
    }' "$1" | sed -e 's/&amp;/\&/g' -e 's/&lt;/</g' -e 's/&gt;/>/g' -e 's/&quot;/"/g'
}

# run NAME FOUND_FN OUTFILE CMD...: RUNS runs; the median in $median_s, the last run's results
# in $work/NAME.tsv.
run() {
  local name="$1" found="$2" file="$3" times=() s
  shift 3
  for _ in $(seq "$runs"); do
    rm -f "$file"
    s=$(timed "$@")
    times+=("$s")
  done
  "$found" "$file" | sort >"$work/$name.tsv"
  median_s=$(printf '%s\n' "${times[@]}" | median)
  printf '  %-34s median %7.2f s  [%s]\n' "$name" "$median_s" "${times[*]}"
}

# side_by_side PROTO: the judged rows of both scanners; sets $worse (rows where portatlas says
# less than nmap) and $better.
side_by_side() {
  local proto="$1"
  rows_of "$proto" >"$work/truth.$proto"
  awk -F'\t' -v ours="$work/ours-$proto.tsv" -f "$judge" "$work/truth.$proto" >"$work/judge.ours"
  if [ "$use_nmap" = 1 ]; then
    awk -F'\t' -v ours="$work/nmap-$proto.tsv" -f "$judge" "$work/truth.$proto" >"$work/judge.nmap"
  else
    cp "$work/judge.ours" "$work/judge.nmap"
  fi
  printf '  %-24s | %-44s | %-44s | %s\n' "port" "ground truth" "nmap -sV" "portatlas -sV"
  awk -F'\t' -v nmapf="$work/nmap-$proto.tsv" -v oursf="$work/ours-$proto.tsv" \
    -v jn="$work/judge.nmap" -v jo="$work/judge.ours" '
    function load(file, arr,   line, f) {
      while ((getline line < file) > 0) { split(line, f, "\t"); arr[f[1]] = f[2] "/" f[3] "/" f[4] }
    }
    function verdicts(file, arr,   line, f, k) {
      while ((getline line < file) > 0) {
        if (line !~ /^ROW /) continue
        split(substr(line, 5), f, "\t"); k = f[1]
        arr[k] = f[2] + f[3] + (f[4] == "ok" || f[4] == "hidden")
      }
    }
    function cut(s) { return length(s) > 44 ? substr(s, 1, 43) "~" : s }
    BEGIN { load(nmapf, n); load(oursf, o); verdicts(jn, vn); verdicts(jo, vo) }
    NR > 1 {
      k = $1 " " $2 " " $3
      mark = vo[k] > vn[k] ? "  (better)" : vo[k] < vn[k] ? "  (WORSE)" : ""
      if (vo[k] > vn[k]) better++; if (vo[k] < vn[k]) worse++
      printf "  %-24s | %-44s | %-44s | %s%s\n", k, cut($4 "/" $5 "/" $6), cut(n[k]), o[k], mark
    }
    END { printf "SUMMARY %d %d\n", better, worse > "/dev/stderr" }' "$work/truth.$proto" \
    2>"$work/summary.$proto"
  read -r _ better worse <"$work/summary.$proto"
  for who in nmap ours; do
    [ "$use_nmap" = 1 ] || [ "$who" = ours ] || continue
    read -r _ rows s p shown v wrong _ _ < <(grep '^RATES' "$work/judge.$who")
    [ "$who" = nmap ] || [ "$s" = "$rows" ] || ours_named_all=0
    printf '  %-9s service %d/%d, product %d/%d, version %d/%d where shown, made-up versions %d\n' \
      "$([ "$who" = ours ] && echo portatlas || echo nmap)" "$s" "$rows" "$p" "$rows" "$v" "$shown" "$wrong"
  done
}

ours_named_all=1
tcp_ports="$(ports_of tcp)"
echo "detect_bench: $last hosts; TCP ports $tcp_ports; $runs runs each; $(nproc) CPUs; $(uname -r)"
echo "TCP"
run portatlas-tcp found_portatlas "$work/ours.json" "$bin" scan --syn -sV -p "$tcp_ports" \
  "${allow[@]}" "198.18.0.1-198.18.0.$last" -oJ "$work/ours.json"
ours_tcp=$median_s
cp "$work/portatlas-tcp.tsv" "$work/ours-tcp.tsv"
nmap_tcp=0
if [ "$use_nmap" = 1 ]; then
  run nmap-tcp found_nmap "$work/nmap.xml" nmap -sV -Pn -n -T4 -p "$tcp_ports" \
    "198.18.0.1-$last" -oX "$work/nmap.xml"
  nmap_tcp=$median_s
else
  : >"$work/nmap-tcp.tsv"
fi
side_by_side tcp
tcp_better=$better
tcp_worse=$worse
ratio=$(awk -v a="$nmap_tcp" -v b="$ours_tcp" 'BEGIN { printf "%.1f", (b > 0 ? a / b : 0) }')
echo "  wall time: portatlas $ours_tcp s vs nmap -sV $nmap_tcp s: ${ratio}x less (target >= 10x);" \
  "rows better $tcp_better, worse $tcp_worse"

udp_worse=0
if [ "$use_udp" = 1 ] && [ -n "$(ports_of udp)" ]; then
  udp_ports="$(ports_of udp)"
  udp_hosts="$(hosts_of udp)"
  echo "UDP (ports $udp_ports on 198.18.0.$udp_hosts)"
  udp_targets=()
  for h in ${udp_hosts//,/ }; do udp_targets+=("198.18.0.$h"); done
  run portatlas-udp found_portatlas "$work/ours-udp.json" "$bin" scan --udp -sV -p "U:$udp_ports" \
    "${allow[@]}" "${udp_targets[@]}" -oJ "$work/ours-udp.json"
  ours_udp=$median_s
  cp "$work/portatlas-udp.tsv" "$work/ours-udp.tsv"
  nmap_udp=0
  if [ "$use_nmap" = 1 ]; then
    run nmap-udp found_nmap "$work/nmap-udp.xml" nmap -sU -sV -Pn -n -T4 -p "$udp_ports" \
      "198.18.0.$udp_hosts" -oX "$work/nmap-udp.xml"
    nmap_udp=$median_s
  else
    : >"$work/nmap-udp.tsv"
  fi
  side_by_side udp
  udp_worse=$worse
  echo "  wall time: portatlas $ours_udp s vs nmap -sU -sV $nmap_udp s:" \
    "$(awk -v a="$nmap_udp" -v b="$ours_udp" 'BEGIN { printf "%.1f", (b > 0 ? a / b : 0) }')x;" \
    "rows better $better, worse $worse"
fi

if [ "$use_nmap" != 1 ]; then
  [ "$ours_named_all" = 1 ] || { echo "detect_bench: failed: portatlas missed a service"; exit 1; }
  echo "detect_bench: portatlas named every service (nmap left out)"
  exit 0
fi
met=1
awk -v r="$ratio" 'BEGIN { exit !(r >= 10) }' || met=0
[ "$tcp_worse" = 0 ] && [ "$udp_worse" = 0 ] || met=0
if [ "$met" = 1 ]; then
  echo "detect_bench: target met (${ratio}x, no row worse than nmap)"
else
  echo "detect_bench: target MISSED (${ratio}x; rows worse than nmap: TCP $tcp_worse, UDP $udp_worse)"
  exit 1
fi
