# shellcheck shell=bash disable=SC2154  # constants from common.sh
# Launchers for BIND, chrony, net-snmp, Samba and Mosquitto. Sourced by testbed.sh;
# conventions in daemons_web.sh.

# The zone $kDomain: every host of a testbed of $1 hosts, the scanner, and ns = host $2.
write_zone() {
  local n="$1" ns_host="$2" j
  # shellcheck disable=SC2016  # $TTL is the zone file's
  printf '$TTL 300\n@ IN SOA ns.%s. hostmaster.%s. 1 3600 600 86400 300\n' "$kDomain" "$kDomain"
  printf '@ IN NS ns\nns IN A %s\nns IN AAAA %s\n' "$(host_ip4 "$ns_host")" "$(host_ip6 "$ns_host")"
  printf 'scan IN A %s\nscan IN AAAA %s\n' "$kScanIp4" "$kScanIp6"
  for j in $(seq "$n"); do
    printf 'h%s IN A %s\nh%s IN AAAA %s\n' "$j" "$(host_ip4 "$j")" "$j" "$(host_ip6 "$j")"
  done
}

start_named() {
  local i="$1" ns="$2" dir="$3" port
  shift 3
  port="$(spec_ports domain "$@" | head -n1)"
  write_zone "$(cat "$kState/hosts")" "$i" >"$dir/$kDomain.zone"
  # No rndc channel (it would need a key and listen on 953), no recursion, no DNSSEC trust
  # anchors: an authoritative server for the testbed's zone that answers version.bind.
  cat >"$dir/named.conf" <<EOF
options {
  directory "$dir";
  pid-file "$dir/named.pid";
  session-keyfile "$dir/session.key";
  listen-on port $port { any; };
  listen-on-v6 port $port { any; };
  recursion no;
  allow-query { any; };
  dnssec-validation no;
  notify no;
};
controls { };
logging {
  channel to_file { file "$dir/named.log"; severity info; };
  category default { to_file; };
};
zone "$kDomain" { type primary; file "$dir/$kDomain.zone"; };
EOF
  register_pidfile "$ns" named "$dir/named.pid"
  run_in_ns "$ns" "$dir/stdio.log" /usr/sbin/named -c "$dir/named.conf" -n 1
}

start_chronyd() {
  local ns="$2" dir="$3" port
  shift 3
  port="$(spec_ports ntp "$@" | head -n1)"
  # An NTP server with no upstream: "local stratum" makes it answer clients, "allow all" opens
  # the server port, "/" disables the command socket and -x keeps it off the shared clock.
  cat >"$dir/chrony.conf" <<EOF
pidfile $dir/chronyd.pid
port $port
allow all
local stratum 10
cmdport 0
bindcmdaddress /
EOF
  register_pidfile "$ns" chronyd "$dir/chronyd.pid"
  run_in_ns "$ns" "$dir/stdio.log" /usr/sbin/chronyd -x -f "$dir/chrony.conf" -l "$dir/chronyd.log"
}

start_snmpd() {
  local i="$1" ns="$2" dir="$3" port
  shift 3
  port="$(spec_ports snmp "$@" | head -n1)"
  mkdir -p "$dir/persist"
  cat >"$dir/snmpd.conf" <<EOF
[snmp] persistentDir $dir/persist
rocommunity public default
rocommunity6 public default
sysLocation portatlas testbed
sysContact hostmaster@$kDomain
sysName $(host_name "$i")
EOF
  # -C: no configuration but ours (not /etc/snmp); the listening addresses are arguments.
  # -I -smux: no SMUX listener on tcp/199 (IPv4 only, not part of the ground truth).
  register_pidfile "$ns" snmpd "$dir/snmpd.pid"
  run_in_ns "$ns" "$dir/stdio.log" env SNMP_PERSISTENT_DIR="$dir/persist" MIBS= \
    /usr/sbin/snmpd -C -c "$dir/snmpd.conf" -p "$dir/snmpd.pid" -Lf "$dir/snmpd.log" \
    -I -smux "udp:0.0.0.0:$port" "udp6:[::]:$port"
}

start_smbd() {
  local i="$1" ns="$2" dir="$3" d
  shift 3
  for d in run lock state cache private ncalrpc bind-dns share; do mkdir -p "$dir/$d"; done
  printf 'portatlas testbed\n' >"$dir/share/README"
  cat >"$dir/smb.conf" <<EOF
[global]
  workgroup = PA-TB
  netbios name = H$i
  server string = portatlas testbed
  server role = standalone server
  map to guest = bad user
  smb ports = $(spec_ports '*' "$@" | sort -rn | tr '\n' ' ')
  pid directory = $dir/run
  lock directory = $dir/lock
  state directory = $dir/state
  cache directory = $dir/cache
  private dir = $dir/private
  ncalrpc dir = $dir/ncalrpc
  binddns dir = $dir/bind-dns
  passdb backend = tdbsam:$dir/private/passdb.tdb
  usershare max shares = 0
  log file = $dir/log.%m
  load printers = no
  printing = bsd
  printcap name = /dev/null
  disable spoolss = yes
[public]
  path = $dir/share
  read only = yes
  guest ok = yes
EOF
  # smbd names its pid file after the configuration file: found after the start.
  run_in_ns "$ns" "$dir/stdio.log" /usr/sbin/smbd -D -s "$dir/smb.conf" || return 1
  local deadline=$(($(date +%s) + kStartTimeoutS)) pidfile
  while :; do
    pidfile="$(find "$dir/run" -maxdepth 1 -name 'smbd*.pid' 2>/dev/null | head -n1)"
    [ -n "$pidfile" ] && break
    [ "$(date +%s)" -lt "$deadline" ] || return 1
    sleep 0.1
  done
  register_pidfile "$ns" smbd "$pidfile"
}

start_mosquitto() {
  local ns="$2" dir="$3" port
  shift 3
  {
    cat <<EOF
pid_file $dir/mosquitto.pid
user mosquitto
persistence false
log_dest file $dir/mosquitto.log
allow_anonymous true
EOF
    # A listener without an address binds every IPv4 and IPv6 address.
    for port in $(spec_ports mqtt "$@"); do printf 'listener %s\n' "$port"; done
  } >"$dir/mosquitto.conf"
  chown mosquitto: "$dir"
  register_pidfile "$ns" mosquitto "$dir/mosquitto.pid"
  run_in_ns "$ns" "$dir/stdio.log" /usr/sbin/mosquitto -d -c "$dir/mosquitto.conf"
}
