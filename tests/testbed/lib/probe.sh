# shellcheck shell=bash disable=SC2154  # constants from common.sh
# Whether testbed services answer, asked from the scanner namespace as a client would.
# Sourced by testbed.sh and testbed_check.sh.

# Reads "address port" lines and prints "address port open|closed" for each, connecting from
# the scanner namespace with bash's /dev/tcp (one process for the whole batch).
probe_tcp_batch() {
  # shellcheck disable=SC2016  # expanded by the inner bash
  ip netns exec "$kScanNs" bash -c '
    while read -r h p; do
      if timeout 2 bash -c "exec 3<>/dev/tcp/$h/$p" 2>/dev/null; then s=open; else s=closed; fi
      printf "%s %s %s\n" "$h" "$p" "$s"
    done'
}

# Whether UDP service $3 at address $1 port $2 answers a real request from the scanner
# namespace: a DNS query, an SNMP get, an NTP client packet. Other services: not probed (2).
probe_udp() {
  local h="$1" p="$2" service="$3" target
  case "$service" in
    domain)
      [ -n "$(ip netns exec "$kScanNs" dig +time=1 +tries=2 +short -p "$p" "@$h" \
        version.bind chaos txt 2>/dev/null)" ]
      ;;
    snmp)
      case "$h" in *:*) target="udp6:[$h]:$p" ;; *) target="udp:$h:$p" ;; esac
      ip netns exec "$kScanNs" env MIBS= snmpget -v2c -c public -t 1 -r 1 -Oqv "$target" \
        .1.3.6.1.2.1.1.5.0 >/dev/null 2>&1
      ;;
    ntp)
      # A 48-byte NTPv4 client packet (LI 0, VN 4, mode 3) in one write; a server answers 48.
      # shellcheck disable=SC2016  # expanded by the inner bash
      [ "$(ip netns exec "$kScanNs" timeout 3 bash -c '
        exec 3<>"/dev/udp/$0/$1"
        printf "\x23%047d" 0 | tr 0 "\0" >&3
        timeout 2 head -c 48 <&3 | wc -c' "$h" "$p" 2>/dev/null)" = 48 ]
      ;;
    *) return 2 ;;
  esac
}
