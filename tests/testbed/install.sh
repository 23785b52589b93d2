#!/usr/bin/env bash
# Installs, from Debian's packages, every daemon the namespace testbed runs (tests/testbed),
# the clients its status check uses, and the peer scanners the benchmarks compare against.
# No daemon may start in the root namespace: package scripts are stopped by a policy-rc.d
# that denies every start, and any listener that still appears is stopped by its pid.
# Idempotent: packages already present are left alone, and it is safe to run twice.
# Run as root; scripts/setup calls it. `install.sh --list` prints the package names, one a line.
set -euo pipefail

readonly kPolicy=/usr/sbin/policy-rc.d

packages=(
  # daemons the testbed hosts run
  openssh-server nginx apache2 lighttpd vsftpd postfix dovecot-imapd bind9 chrony snmpd
  redis-server memcached mariadb-server postgresql samba mosquitto xrdp
  # what testbed.sh itself uses: self-signed certificates, namespaces and ss, ps, setpriv
  openssl iproute2 procps util-linux
  # real clients for the UDP checks of `testbed.sh status`
  bind9-dnsutils snmp
  # peer scanners for later side-by-side benchmarks
  nmap ndiff masscan
  # the traffic view: a real NetFlow/IPFIX exporter, the peer collectors, capture replay
  softflowd nfdump pmacct tcpreplay tcpdump libndpi-bin   # ndpiReader: the pcap path's peer
)

log() { printf 'testbed/install.sh: %s\n' "$*" >&2; }

if [ "${1:-}" = --list ]; then
  printf '%s\n' "${packages[@]}"
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  log "run as root (it installs Debian packages)"
  exit 1
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
    missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  log "all ${#packages[@]} packages present"
  exit 0
fi

# Listeners as "proto local-address:port", one per line, sorted (ss prints one line per socket).
listeners() { ss -tulnH | awk '{ print $1, $5 }' | sort -u; }

before="$(listeners)"

created_policy=0
# shellcheck disable=SC2317  # called from the EXIT trap
remove_policy() {
  if [ "$created_policy" -eq 1 ]; then
    rm -f "$kPolicy"
    log "removed the $kPolicy this script created"
  fi
}
trap remove_policy EXIT
if [ ! -e "$kPolicy" ]; then
  # invoke-rc.d asks this file before it starts anything; 101 means "action forbidden".
  printf '#!/bin/sh\n# Created by portatlas tests/testbed/install.sh for the duration of an install.\nexit 101\n' >"$kPolicy"
  chmod 0755 "$kPolicy"
  created_policy=1
  log "created $kPolicy (denies every daemon start during the install)"
else
  log "$kPolicy already present; invoke-rc.d asks it before every start"
fi

log "installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends "${missing[@]}"

# On a systemd host, units enabled by the packages would start at the next boot (and some
# postinsts start them directly): disable and stop every unit the new packages ship.
if [ -d /run/systemd/system ]; then
  units=()
  for p in "${missing[@]}"; do
    while IFS= read -r f; do
      case "$f" in
        /lib/systemd/system/*.service | /usr/lib/systemd/system/*.service | \
          /lib/systemd/system/*.socket | /usr/lib/systemd/system/*.socket)
          case "$f" in *@.service | *@.socket) ;; *) units+=("${f##*/}") ;; esac ;;
      esac
    done < <(dpkg-query -L "$p" 2>/dev/null)
  done
  if [ ${#units[@]} -gt 0 ]; then
    log "systemd: disabling ${units[*]}"
    systemctl disable --now "${units[@]}" || log "systemd: some units could not be disabled"
  fi
fi

# Anything listening now that did not before was started by a package script despite the
# policy; stop it by pid, but only if its executable belongs to a package (a concurrent test of
# another engineer may have opened a listener of its own meanwhile: that one is reported, not
# killed).
after="$(listeners)"
new="$(comm -13 <(printf '%s\n' "$before") <(printf '%s\n' "$after") | sed '/^$/d')"
if [ -z "$new" ]; then
  log "no new listener in the root namespace"
  exit 0
fi
log "new listeners in the root namespace after the install:"
printf '  %s\n' "$new" >&2
status=0
while read -r proto addr; do
  pids="$(ss -tulnpH | awk -v p="$proto" -v a="$addr" '$1 == p && $5 == a' |
    grep -o 'pid=[0-9]*' | cut -d= -f2 | sort -u)"
  for pid in $pids; do
    exe="$(readlink "/proc/$pid/exe" 2>/dev/null || true)"
    if [ -n "$exe" ] && dpkg-query -S "$exe" >/dev/null 2>&1; then
      log "stopping pid $pid ($exe) listening on $proto $addr"
      kill -TERM "$pid" 2>/dev/null || true
      for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      kill -KILL "$pid" 2>/dev/null || true
    else
      log "NOT stopping pid $pid ($exe): not a packaged program; check it by hand"
      status=1
    fi
  done
done <<<"$new"
exit "$status"
