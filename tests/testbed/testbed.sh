#!/usr/bin/env bash
# The network-namespace testbed: N hosts running real Debian daemons behind a router, and a
# scanner namespace to scan them from. See README.md beside this file.
#
#   testbed.sh up [N] [--recreate]   build N hosts (default 8) and write the ground truth
#   testbed.sh down                  stop every process by pid, delete namespaces and state
#   testbed.sh status                namespaces, and whether each ground-truth port answers
#
# `up` fails (exit 2) when a testbed, or what is left of one, exists; --recreate runs `down`
# first. A failed `up` runs `down`. `down` succeeds when nothing is up. `status` exits 0 when
# every port answers, 1 when one does not, 3 when the testbed is down.
set -euo pipefail

kSelf="$(readlink -f "${BASH_SOURCE[0]}")"
readonly kSelf
# shellcheck source=lib/common.sh
. "${kSelf%/*}/lib/common.sh"
# shellcheck source=lib/net.sh
. "$kTbLib/net.sh"
# shellcheck source=lib/probe.sh
. "$kTbLib/probe.sh"
# shellcheck source=lib/daemons_web.sh
. "$kTbLib/daemons_web.sh"
# shellcheck source=lib/daemons_mail.sh
. "$kTbLib/daemons_mail.sh"
# shellcheck source=lib/daemons_infra.sh
. "$kTbLib/daemons_infra.sh"
# shellcheck source=lib/daemons_data.sh
. "$kTbLib/daemons_data.sh"

readonly kGraceS=5   # SIGTERM to SIGKILL
readonly kTlsUnits='nginx|dovecot|xrdp'   # units that read DIR/../tls/{cert,key}.pem

usage() {
  sed -n '5,7p' "$kSelf" | sed 's/^# *//' >&2
  exit 64
}

# One up/down/status at a time; the lock is the script file itself, so it outlives the state
# directory. Daemons never inherit it (exec_clean).
take_lock() {
  exec {lock_fd}<"$kSelf"
  flock -w 120 "$lock_fd" || tb_die "another testbed.sh is running"
}

now_ms() { date +%s%3N; }

# ---------------------------------------------------------------------------------------- down

# Pids of the daemons' pid files (main processes first, so that masters stop their own
# children), each only if `ip netns identify` places it in a testbed namespace: a stale pid
# file never makes us signal a process outside the testbed.
registered_pids() {
  local ns unit pidfile pid
  [ -f "$kRegistry" ] || return 0
  while IFS=$'\t' read -r ns unit pidfile; do
    [ -f "$pidfile" ] || continue
    pid="$(head -n1 "$pidfile" | tr -dc 0-9)"
    if [ -n "$pid" ] && [ "$(ip netns identify "$pid" 2>/dev/null)" = "$ns" ]; then
      printf '%s\n' "$pid"
    fi
  done <"$kRegistry"
}

# Every process whose network namespace is a testbed one (children and helpers included).
ns_pids() {
  local ns
  for ns in $(tb_namespaces); do ip netns pids "$ns" 2>/dev/null || true; done
}

# Waits up to $1 seconds for the testbed namespaces to hold no process.
wait_no_pids() {
  local deadline=$(($(now_ms) + $1 * 1000))
  while [ -n "$(ns_pids)" ]; do
    [ "$(now_ms)" -lt "$deadline" ] || return 1
    sleep 0.1
  done
}

procs_stop() {
  local pids
  mapfile -t pids < <(registered_pids)
  if [ ${#pids[@]} -gt 0 ]; then
    tb_log "stopping ${#pids[@]} daemons by pid file"
    kill -TERM "${pids[@]}" 2>/dev/null || true
    wait_no_pids 2 && return 0
  fi
  mapfile -t pids < <(ns_pids | sort -un)
  [ ${#pids[@]} -eq 0 ] && return 0
  tb_log "stopping ${#pids[@]} remaining processes of the testbed namespaces:" \
    "$(for p in "${pids[@]}"; do printf '%s(%s) ' "$(cat "/proc/$p/comm" 2>/dev/null)" "$p"; done)"
  kill -TERM "${pids[@]}" 2>/dev/null || true
  wait_no_pids "$kGraceS" && return 0
  mapfile -t pids < <(ns_pids | sort -un)
  tb_log "still running after ${kGraceS}s, SIGKILL: ${pids[*]}"
  kill -KILL "${pids[@]}" 2>/dev/null || true
  wait_no_pids 3 && return 0
  tb_log "processes survived SIGKILL: $(ns_pids | tr '\n' ' ')"
  return 1
}

# Stops unit $2 of host $1 (an optional one that did not come up): its registered pids.
unit_stop() {
  local want_ns r_ns r_unit pidfile pid pids=() deadline
  want_ns="$(host_ns "$1")"
  while IFS=$'\t' read -r r_ns r_unit pidfile; do
    if [ "$r_ns" != "$want_ns" ] || [ "$r_unit" != "$2" ] || [ ! -f "$pidfile" ]; then continue; fi
    pid="$(head -n1 "$pidfile" | tr -dc 0-9)"
    if [ -n "$pid" ] && [ "$(ip netns identify "$pid" 2>/dev/null)" = "$want_ns" ]; then
      pids+=("$pid")
    fi
  done <"$kRegistry"
  [ ${#pids[@]} -eq 0 ] && return 0
  kill -TERM "${pids[@]}" 2>/dev/null || true
  deadline=$(($(now_ms) + kGraceS * 1000))
  while any_alive "${pids[@]}" && [ "$(now_ms)" -lt "$deadline" ]; do sleep 0.1; done
  kill -KILL "${pids[@]}" 2>/dev/null || true
}

any_alive() {
  local pid
  for pid in "$@"; do kill -0 "$pid" 2>/dev/null && return 0; done
  return 1
}

cmd_down() {
  local t0 ok=0
  t0=$(now_ms)
  if [ -z "$(tb_namespaces)" ] && [ ! -e "$kState" ]; then
    tb_log "down: nothing is up"
    return 0
  fi
  procs_stop || ok=1
  net_down
  if [ -f "$kState/created-run-sshd" ]; then rmdir /run/sshd 2>/dev/null || true; fi
  if [ -e "$kMarker" ]; then
    rm -rf "$kState"
  elif [ -e "$kState" ]; then
    tb_log "not deleting $kState: it has no $kMarker (not made by testbed.sh)"
    ok=1
  fi
  [ -z "$(tb_namespaces)" ] || ok=1
  tb_log "down in $(($(now_ms) - t0))ms"
  return "$ok"
}

# ------------------------------------------------------------------------------------------ up

# Host keys shared by every sshd of the testbed, and a self-signed certificate per TLS host.
make_ssh_keys() {
  local d="$kState/common/ssh" t
  mkdir -p "$d"
  for t in ed25519 ecdsa rsa; do
    ssh-keygen -q -t "$t" -N '' -C "portatlas-testbed" -f "$d/ssh_host_${t}_key" </dev/null
  done
}

make_cert() {
  local i="$1" d
  d="$(host_dir "$i")/tls"
  mkdir -p "$d"
  openssl req -x509 -newkey rsa:2048 -nodes -days 30 -keyout "$d/key.pem" -out "$d/cert.pem" \
    -subj "/O=portatlas testbed/CN=$(host_name "$i")" \
    -addext "subjectAltName=DNS:$(host_name "$i"),IP:$(host_ip4 "$i"),IP:$(host_ip6 "$i")" \
    </dev/null >/dev/null 2>&1
  chmod 0644 "$d/key.pem"   # read by the daemons' unprivileged users; testbed-only keys
}

# Starts unit $2 on host $1 and waits until all its ports listen. Writes "ok" or the reason
# it failed to DIR/result.
unit_job() {
  local i="$1" unit="$2" ns dir specs=() spec ports=() missing t0
  ns="$(host_ns "$i")"
  dir="$(host_dir "$i")/$unit"
  mkdir -p "$dir"
  mapfile -t specs < <(unit_ports "$(host_profile "$i")" "$unit")
  for spec in "${specs[@]}"; do ports+=("$(cut -d: -f1,2 <<<"$spec")"); done
  t0=$(now_ms)
  if ! "start_$unit" "$i" "$ns" "$dir" "${specs[@]}"; then
    echo "did not start" >"$dir/result"
    return 1
  fi
  if ! missing="$(wait_listening "$ns" "$i" "$spawned_pid" "${ports[@]}")"; then
    echo "not listening: $missing" >"$dir/result"
    return 1
  fi
  echo "ok $(($(now_ms) - t0))ms" >"$dir/result"
}

# The last log lines of a failed unit, for the error message.
unit_logs() {
  local f
  for f in "$1"/*.log "$1"/maillog "$1"/log.smbd; do
    [ -s "$f" ] || continue
    printf '    %s:\n' "${f##*/}"
    tail -n 5 "$f" | sed 's/^/      /'
  done
}

write_ground_truth() {
  local n="$1" i p unit proto port service product package notes ns ip4 ip6 listeners dir
  local -A upstream=() debver=()
  printf 'host\tproto\tport\tservice\tproduct\tversion\tnotes\n'
  for i in $(seq "$n"); do
    p="$(host_profile "$i")"
    ns="$(host_ns "$i")"
    ip4="$(host_ip4 "$i")"
    ip6="$(host_ip6 "$i")"
    listeners="$(ns_listeners "$ns")"
    while IFS='|' read -r unit proto port service product package notes; do
      dir="$(host_dir "$i")/$unit"
      grep -q '^ok' "$dir/result" 2>/dev/null || continue
      if [ -z "${upstream[$package]:-}" ]; then
        upstream[$package]="$(deb_upstream "$package")"
        debver[$package]="$(deb_version "$package")"
      fi
      notes="ns=$ns,pkg=$package,pkgver=${debver[$package]}${notes:+,$notes}"
      notes="${notes%,-}"
      if listener_serves "$listeners" "$proto" "$port" 4 "$ip4"; then
        printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$ip4" "$proto" "$port" "$service" "$product" \
          "${upstream[$package]}" "$notes"
      fi
      if listener_serves "$listeners" "$proto" "$port" 6 "$ip6"; then
        printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$ip6" "$proto" "$port" "$service" "$product" \
          "${upstream[$package]}" "$notes"
      fi
    done < <(profile_rows "$p")
  done
}

write_env() {
  cat <<EOF
# portatlas testbed: source this file to get the addresses of the running testbed.
PA_TB_HOSTS=$1
PA_TB_SCAN_NS=$kScanNs
PA_TB_SCAN_IF=eth0
PA_TB_SCAN_MAC=$kScanMac
PA_TB_SCAN_IP4=$kScanIp4
PA_TB_SCAN_IP6=$kScanIp6
PA_TB_ROUTER_NS=$kRouterNs
PA_TB_ROUTER_MAC=$kScanGwMac
PA_TB_ROUTER_IP4=$kScanGw4
PA_TB_ROUTER_IP6=$kScanGw6
PA_TB_TARGETS4=$(host_ip4 1)-$(host_ip4 "$1")
PA_TB_GROUND_TRUTH=$kGroundTruth
EOF
}

up_failed() {
  tb_log "up failed; tearing down what was built"
  cmd_down || true
}

cmd_up() {
  local n=8 recreate=0 arg t0 i unit pids=() jobs_of=() failed=() skipped=() job_i=0 r
  for arg in "$@"; do
    case "$arg" in
      --recreate) recreate=1 ;;
      '' | *[!0-9]*) usage ;;
      *) n="$arg" ;;
    esac
  done
  if [ "$n" -lt 1 ] || [ "$n" -gt "$kMaxHosts" ]; then tb_die "N must be 1..$kMaxHosts, not $n"; fi
  if [ -n "$(tb_namespaces)" ] || [ -e "$kState" ]; then
    if [ "$recreate" -eq 0 ]; then
      printf 'testbed: already up (or left over): namespaces [%s], state %s.\n' \
        "$(tb_namespaces | tr '\n' ' ' | sed 's/ $//')" "$kState" >&2
      printf 'testbed: run "%s down" first, or "up %s --recreate".\n' "$0" "$n" >&2
      exit 2
    fi
    cmd_down
  fi
  t0=$(now_ms)
  trap up_failed EXIT
  trap 'exit 130' INT TERM   # so that the EXIT trap tears down
  mkdir -p "$kState"
  chmod 0755 "$kState"
  : >"$kMarker"
  : >"$kRegistry"
  echo "$n" >"$kState/hosts"

  # Keys and certificates are made while the network is built.
  make_ssh_keys &
  pids+=($!)
  for i in $(seq "$n"); do
    if profile_units "$(host_profile "$i")" | grep -qxE "$kTlsUnits"; then
      make_cert "$i" &
      pids+=($!)
    fi
  done
  net_up "$n"
  for r in "${pids[@]}"; do wait "$r" || tb_die "could not make ssh keys or certificates"; done
  tb_log "network of $n hosts up in $(($(now_ms) - t0))ms"
  # sshd's privilege separation directory is compiled in.
  if [ ! -d /run/sshd ]; then
    mkdir -m 0755 /run/sshd
    : >"$kState/created-run-sshd"
  fi

  # Every unit of every host starts at once; each job waits for its own ports.
  pids=()
  for i in $(seq "$n"); do
    for unit in $(profile_units "$(host_profile "$i")"); do
      unit_job "$i" "$unit" </dev/null &
      pids+=($!)
      jobs_of+=("$i $unit")
    done
  done
  for r in "${pids[@]}"; do
    if ! wait "$r"; then
      read -r i unit <<<"${jobs_of[$job_i]}"
      if profile_rows "$(host_profile "$i")" | grep -q "^$unit|.*optional"; then
        skipped+=("h$i/$unit")
        tb_log "WARNING: optional $unit on h$i: $(cat "$(host_dir "$i")/$unit/result" \
          2>/dev/null); stopped and left out of the ground truth"
        unit_stop "$i" "$unit"
      else
        failed+=("h$i/$unit")
        tb_log "$unit on h$i $(cat "$(host_dir "$i")/$unit/result" 2>/dev/null || echo failed)"
        unit_logs "$(host_dir "$i")/$unit" >&2
      fi
    fi
    job_i=$((job_i + 1))
  done
  [ ${#failed[@]} -eq 0 ] || tb_die "services did not start: ${failed[*]}"

  write_ground_truth "$n" >"$kGroundTruth"
  write_env "$n" >"$kEnvFile"
  local problems
  problems="$(net_audit)"
  [ -z "$problems" ] || tb_die "isolation check: $problems"
  trap - EXIT
  tb_log "up: $n hosts, $(($(wc -l <"$kGroundTruth") - 1)) ground-truth lines in $kGroundTruth," \
    "$(($(now_ms) - t0))ms${skipped[*]:+; left out: ${skipped[*]}}"
}

# -------------------------------------------------------------------------------------- status

cmd_status() {
  local nss h proto port service product version notes answers bad=0 state
  nss="$(tb_namespaces)"
  if [ ! -f "$kGroundTruth" ]; then
    echo "testbed is down${nss:+ (left-over namespaces: $(tr '\n' ' ' <<<"$nss"))}"
    return 3
  fi
  echo "namespaces: $(tr '\n' ' ' <<<"$nss")"
  echo "scanner: ip netns exec $kScanNs ... (eth0 $kScanIp4 $kScanIp6, gateway $kScanGw4 $kScanGwMac)"
  local problems
  problems="$(net_audit)"
  [ -z "$problems" ] || {
    echo "ISOLATION: $problems"
    bad=1
  }
  declare -A tcp_state=()
  while read -r h port state; do tcp_state["$h $port"]="$state"; done < <(
    awk -F'\t' 'NR > 1 && $2 == "tcp" { print $1, $3 }' "$kGroundTruth" | probe_tcp_batch)
  printf '%-16s %-5s %-6s %-14s %-30s %s\n' HOST PROTO PORT SERVICE "PRODUCT VERSION" STATE
  while IFS=$'\t' read -r h proto port service product version notes; do
    if [ "$proto" = tcp ]; then
      state="${tcp_state["$h $port"]:-closed}"
    elif probe_udp "$h" "$port" "$service"; then
      state=open
    else
      state=closed
    fi
    answers=answers
    if [ "$state" != open ]; then
      answers="NO ANSWER"
      bad=1
    fi
    printf '%-16s %-5s %-6s %-14s %-30s %s\n' "$h" "$proto" "$port" "$service" \
      "$product $version" "$answers"
  done < <(tail -n +2 "$kGroundTruth")
  return "$bad"
}

main() {
  [ "$(id -u)" -eq 0 ] || tb_die "run as root (namespaces)"
  # The path goes into a dozen daemon configurations unquoted; sockets limit its length.
  [[ "$kState" =~ ^/[A-Za-z0-9._/-]{1,40}$ ]] ||
    tb_die "PA_TESTBED_DIR must be an absolute path of at most 40 characters [A-Za-z0-9._/-]"
  [ $# -ge 1 ] || usage
  local cmd="$1"
  shift
  take_lock
  case "$cmd" in
    up) cmd_up "$@" ;;
    down) [ $# -eq 0 ] || usage; cmd_down ;;
    status) [ $# -eq 0 ] || usage; cmd_status ;;
    *) usage ;;
  esac
}

main "$@"
