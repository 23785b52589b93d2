#!/usr/bin/env bash
# Service detection on the namespace testbed compared with its ground truth (issue 5,
# acceptance 1). One `portatlas scan --syn --udp -sV` of the ground truth's ports on every host,
# IPv4 and IPv6, from inside the scanner namespace; targets only 198.18.0.0/15 and 2001:2::/48.
#
#   tests/testbed/detect_acceptance.sh PORTATLAS_BINARY [N_HOSTS]
#
# Every ground-truth row (host, proto, port, service, product, version, notes) is judged by
# lib/judge_services.awk: service equal, product contained either way, version starting with the
# package's upstream version where the daemon shows it (no "version-hidden" note) and never a
# made-up one where it does not, TLS rows with the certificate's subject and expiry.
# Targets: service 100%, product >= 95%, version >= 90% of the rows that show one, no wrong
# version. Prints one line per row that misses, the three rates, and
# "detect_acceptance: N passed, M failed". Exit 0 when all checks pass. The -oJ file is kept in
# $DETECT_OUT when that is set.
set -euo pipefail

here="$(cd "${BASH_SOURCE[0]%/*}" && pwd)"
bin="$(realpath "${1:?usage: detect_acceptance.sh PORTATLAS_BINARY [N_HOSTS]}")"
# shellcheck source=lib/harness.sh
. "$here/lib/harness.sh"
harness_start detect_acceptance "${2:-8}" 1
ns="$PA_TB_SCAN_NS"
truth="$PA_TB_GROUND_TRUTH"
last=$PA_TB_HOSTS

ports_of() {  # comma list of the ground truth's ports of one protocol
  awk -F'\t' -v p="$1" 'NR > 1 && $2 == p { print $3 }' "$truth" | sort -nu | paste -sd, -
}
tcp_ports="$(ports_of tcp)"
udp_ports="$(ports_of udp)"
out="${DETECT_OUT:-$work/detect.json}"
t0=$(date +%s%N)
if ! ip netns exec "$ns" "$bin" scan --syn --udp -sV -p "T:$tcp_ports,U:$udp_ports" \
  --allow 198.18.0.0/15 --allow 2001:2::/48 "198.18.0.1-198.18.0.$last" "2001:2::1-2001:2::$last" \
  -oJ "$out" -oX "$work/detect.xml" 2>"$work/scan.log"; then
  check "portatlas scan -sV ran" "$(tail -5 "$work/scan.log")"
  harness_tally
  exit 1
fi
t1=$(date +%s%N)
sed 's/^/    /' "$work/scan.log"

# Ours as "ip proto port<TAB>service<TAB>product<TAB>version<TAB>tls subject<TAB>tls expiry".
jq -r '[("\(.ip) \(.protocol) \(.port)"), (.service // ""), (.product // ""), (.version // ""),
        (.tls.subject // ""), (.tls.not_after // "")] | @tsv' "$out" | sort >"$work/ours.tsv"

# The verdicts per row and the rates (lib/judge_services.awk holds the rules).
awk -F'\t' -v ours="$work/ours.tsv" -f "$here/lib/judge_services.awk" "$truth" >"$work/verdicts.txt"

read -r _ rows svc_ok prod_ok shown ver_ok wrong tls_rows tls_ok < <(grep '^RATES' "$work/verdicts.txt")
misses="$(grep -v -e '^RATES' -e '^ROW' "$work/verdicts.txt" || true)"
pct() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", (b > 0 ? 100 * a / b : 100) }'; }
echo "detect_acceptance: $rows ground-truth rows in $(( (t1 - t0) / 1000000 )) ms: service $svc_ok/$rows ($(pct "$svc_ok" "$rows")%), product $prod_ok/$rows ($(pct "$prod_ok" "$rows")%), version $ver_ok/$shown shown ($(pct "$ver_ok" "$shown")%), wrong versions $wrong, TLS facts $tls_ok/$tls_rows"
[ -z "$misses" ] || sed 's/^/    /' <<<"$misses"

check "service name of every ground-truth port ($svc_ok/$rows)" \
  "$([ "$svc_ok" = "$rows" ] || grep -E '^(SERVICE|MISS)' <<<"$misses" || true)"
check "product >= 95% ($(pct "$prod_ok" "$rows")%)" \
  "$(awk -v a="$prod_ok" -v b="$rows" 'BEGIN { if (a < 0.95 * b) print "below 95%" }')"
check "version >= 90% where the daemon shows it ($(pct "$ver_ok" "$shown")%)" \
  "$(awk -v a="$ver_ok" -v b="$shown" 'BEGIN { if (a < 0.90 * b) print "below 90%" }')"
check "no made-up version where the daemon hides it" "$(grep '^WRONG-VERSION' <<<"$misses" || true)"
check "TLS ports carry the certificate's subject and expiry ($tls_ok/$tls_rows)" \
  "$(grep '^TLS' <<<"$misses" || true)"
check "STARTTLS ports (noted starttls) carry the certificate read after the upgrade" \
  "$(awk -F'\t' 'NR > 1 && $7 ~ /(^|,)starttls(,|$)/ { print $1, $2, $3 }' "$truth" |
    while read -r ip proto port; do
      jq -en --arg ip "$ip" --argjson port "$port" 'any(inputs | select(.ip == $ip and
        .port == $port); .tls.starttls == true and (.tls.subject // "") != "" and
        (.tls.not_after // "") != "")' "$out" >/dev/null ||
        echo "$ip $proto $port: no certificate facts after STARTTLS"
    done)"
check "non-standard ports are named like the standard ones" \
  "$(awk -F'\t' 'NR > 1 && index($7, "nonstandard-port") { print $1 " " $2 " " $3 }' "$truth" |
    while read -r key; do grep -E "^(SERVICE|PRODUCT|VERSION|MISS) +$key:" <<<"$misses" || true; done)"
# The same results in nmap's XML: every open TCP port of the ground truth as a probed service
# with the product and version of the JSON line.
xml_problems="$(
  jq -r 'select(.protocol == "tcp") | [.ip, (.port | tostring), (.service // ""), (.product // ""),
          (.version // "")] | join("|")' "$out" |
  while IFS='|' read -r ip port service product version; do
    key="$ip tcp $port"
    # The XML lists ports per host: find this host's block and the port in it.
    block="$(awk -v ip="$ip" -v port="$port" '
      /<address addr=/ { inhost = index($0, "addr=\"" ip "\"") > 0 }
      inhost && index($0, "portid=\"" port "\"") { grab = 1 }
      grab { print; if (index($0, "</port>")) exit }' "$work/detect.xml")"
    grep -q "method=\"probed\"" <<<"$block" || { echo "$key: no probed service in -oX"; continue; }
    [ -z "$product" ] || grep -qF "product=\"$product\"" <<<"$block" ||
      echo "$key: -oX product differs from -oJ ($product)"
    [ -z "$version" ] || grep -qF "version=\"$version\"" <<<"$block" ||
      echo "$key: -oX version differs from -oJ ($version)"
  done
)"
check "-oX carries the same services with method=\"probed\"" "$xml_problems"

# Without nmap's file (nmap-common not installed): the built-in probes still name the service of
# every TCP port they cover, over both families (DNS over TCP is not among them).
if ip netns exec "$ns" "$bin" scan --syn -sV --service-probes "$work/no-such-file" \
  -p "T:$tcp_ports" --allow 198.18.0.0/15 --allow 2001:2::/48 "198.18.0.1-198.18.0.$last" \
  "2001:2::1-2001:2::$last" -oJ "$work/builtin.json" 2>"$work/builtin.log"; then
  jq -r '[("\(.ip) \(.protocol) \(.port)"), (.service // ""), (.product // ""), (.version // ""),
          "", ""] | @tsv' "$work/builtin.json" | sort >"$work/builtin.tsv"
  awk -F'\t' 'NR == 1 || ($2 == "tcp" && $4 != "domain")' "$truth" >"$work/truth-builtin"
  awk -F'\t' -v ours="$work/builtin.tsv" -f "$here/lib/judge_services.awk" "$work/truth-builtin" \
    >"$work/verdicts-builtin.txt"
  read -r _ rows svc_ok prod_ok _ < <(grep '^RATES' "$work/verdicts-builtin.txt")
  echo "detect_acceptance: built-in probes only: service $svc_ok/$rows, product $prod_ok/$rows"
  grep -q "using the built-in probes" "$work/builtin.log" &&
    builtin_problems="$(grep -E '^(SERVICE|MISS)' "$work/verdicts-builtin.txt" || true)" ||
    builtin_problems="the scan did not say it fell back to the built-in probes"
else
  builtin_problems="$(tail -3 "$work/builtin.log")"
fi
check "built-in probes (no nmap-service-probes) name every TCP service they cover" \
  "$builtin_problems"

harness_tally
