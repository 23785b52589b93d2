#!/usr/bin/env bash
# hostile_bench.sh: issue 12's acceptance benchmark, on 127.0.0.1 only. Against `portatlas
# serve`, and side by side against nginx (the peer for connection handling) where it applies:
#   bodies  COUNT hostile bodies of SIZE_MIB from a token holder (deep nesting, a huge array, one
#           long string) and COUNT from nobody, all at once: the server's peak RSS above its RSS
#           before, against the bytes it took in (target: at most 2x those plus 64 MiB);
#   slow    SLOW connections sending a header one byte a second while a query is timed
#           (target: p99 under 10 ms);
#   idle    IDLE keep-alive connections that made one request each and sit idle: the server's CPU
#           over SECONDS (target: under 0.1 s, nothing), then a query timed (p99 under 10 ms);
# then slow and idle again with both servers at a descriptor limit of LOW_FD (1024), where IDLE
# connections do not fit: new clients must still be served.
#
#   bench/hostile_bench.sh [PORTATLAS_BIN]
#
# PORTATLAS_BIN defaults to $PORTATLAS_BIN, else build/release/src/cli/portatlas; hostile_client
# comes from $BENCH_BIN_DIR, else the bench/ folder of the same build tree. Needs curl and jq;
# nginx for the peer (NGINX=0 leaves it out). Tunables: SIZE_MIB (60), COUNT (8), SLOW (300),
# IDLE (2000), DURATION seconds of each phase (10), LOW_FD (1024). Exit status: 0 when every target is met, 1 when one is
# missed, 2 on a setup error.
set -euo pipefail

size_mib=${SIZE_MIB:-60}
count=${COUNT:-8}
slow=${SLOW:-300}
idle=${IDLE:-2000}
seconds=${DURATION:-10}
low_fd=${LOW_FD:-1024}
use_nginx=${NGINX:-1}
readonly ALLOWANCE_MIB=64 P99_LIMIT_MS=10 IDLE_CPU_LIMIT_S=0.1

die() {
  echo "hostile_bench: $*" >&2
  exit 2
}

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
portatlas_bin=${1:-${PORTATLAS_BIN:-$repo/build/release/src/cli/portatlas}}
[[ -x $portatlas_bin ]] || die "no portatlas binary at $portatlas_bin"
bench_dir=${BENCH_BIN_DIR:-$(dirname "$portatlas_bin")/../../bench}
client=$bench_dir/hostile_client
[[ -x $client ]] || die "no hostile_client at $client (build the hostile_client target)"
command -v jq >/dev/null || die "jq not found"
command -v curl >/dev/null || die "curl not found"
if [[ $use_nginx == 1 ]] && ! command -v nginx >/dev/null && [[ ! -x /usr/sbin/nginx ]]; then
  die "nginx not found (NGINX=0 runs without the peer)"
fi
nginx_bin=$(command -v nginx || echo /usr/sbin/nginx)
# The clients hold IDLE + SLOW descriptors.
ulimit -Sn $((idle + slow + 256)) 2>/dev/null || ulimit -Sn "$(ulimit -Hn)"

tmp_dir=$(mktemp -d)
server_pid=
nginx_pid=
cleanup() {
  [[ -z $server_pid ]] || kill "$server_pid" 2>/dev/null || true
  [[ -z $nginx_pid ]] || kill "$nginx_pid" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$tmp_dir"
}
trap cleanup EXIT

data_dir=$tmp_dir/data
mkdir -p "$data_dir"
token=$("$portatlas_bin" token create --data-dir "$data_dir" --project bench | jq -r .token)
[[ $token == pat_* ]] || die "token create printed no token"
query="/v5/bench/asset/port/statistics"

# start_server FD_LIMIT: the server at that descriptor limit (empty: this shell's); sets
# server_pid and port.
start_server() {
  local log=$tmp_dir/serve.log line
  : >"$log"
  (
    [[ -z $1 ]] || ulimit -Sn "$1"
    exec "$portatlas_bin" serve --data-dir "$data_dir" --listen 127.0.0.1:0 2>>"$log"
  ) &
  server_pid=$!
  port=
  for _ in $(seq 1500); do
    while IFS= read -r line; do
      [[ $line =~ listening\ on\ http://127\.0\.0\.1:([0-9]+) ]] && port=${BASH_REMATCH[1]}
    done <"$log"
    [[ -z $port ]] || return 0
    kill -0 "$server_pid" 2>/dev/null || die "the server exited: $(cat "$log")"
    sleep 0.02
  done
  die "the server did not print its port"
}
stop_server() {
  kill "$server_pid" && wait "$server_pid" 2>/dev/null || true
  server_pid=
}

# start_nginx FD_LIMIT: nginx as one process (no master) serving a small file; sets nginx_pid,
# nginx_port.
start_nginx() {
  local limit=${1:-$(ulimit -n)}
  mkdir -p "$tmp_dir/nginx/www" "$tmp_dir/nginx/logs"
  printf '{"total_num":1}\n' >"$tmp_dir/nginx/www/index.json"
  for nginx_port in $(shuf -i 20000-30000 -n 20); do
    ss -Htln "sport = :$nginx_port" | grep -q . || break
  done
  cat >"$tmp_dir/nginx/nginx.conf" <<EOF
worker_processes 1;
worker_rlimit_nofile $limit;
error_log $tmp_dir/nginx/logs/error.log crit;
pid $tmp_dir/nginx/nginx.pid;
events { worker_connections $((limit - 16)); }
http {
  access_log off;
  keepalive_timeout 75s;
  keepalive_requests 100000;
  client_header_timeout 30s;
  client_body_temp_path $tmp_dir/nginx/body;
  server {
    listen 127.0.0.1:$nginx_port;
    location / { root $tmp_dir/nginx/www; }
  }
}
EOF
  (
    ulimit -Sn "$limit"
    exec "$nginx_bin" -p "$tmp_dir/nginx" -c "$tmp_dir/nginx/nginx.conf" \
      -g 'daemon off; master_process off;'
  ) &
  nginx_pid=$!
  for _ in $(seq 250); do
    curl -fs "http://127.0.0.1:$nginx_port/index.json" >/dev/null && return 0
    kill -0 "$nginx_pid" 2>/dev/null || die "nginx exited: $(cat "$tmp_dir/nginx/logs/error.log")"
    sleep 0.02
  done
  die "nginx did not answer"
}
stop_nginx() {
  kill "$nginx_pid" && wait "$nginx_pid" 2>/dev/null || true
  nginx_pid=
}

results=$tmp_dir/results
: >"$results"
# measure LABEL MODE ARGS...: runs hostile_client and keeps its RESULT line under LABEL.
measure() {
  local label=$1
  shift
  local line
  line=$("$client" "$@" | grep '^RESULT') || die "hostile_client $* failed"
  echo "$label ${line#RESULT }" | tee -a "$results"
}
field() { awk -v l="$1" -v k="$2=" '$1 == l { for (i = 2; i <= NF; i++) if (index($i, k) == 1)
  print substr($i, length(k) + 1) }' "$results"; }

echo "== host: kernel $(uname -r), $(nproc) cpus, $("$nginx_bin" -v 2>&1 | cut -d' ' -f3)," \
  "load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "== portatlas: $portatlas_bin (descriptor limit $(ulimit -n))"
start_server ""
# A host of 50 ports, so that the query has something to count.
ports=$(seq 1 50 | awk '{ printf "%s{\"laddr\":\"0.0.0.0\",\"port\":%d,\"type\":\"TCP\"}",
  (NR > 1 ? "," : ""), 1000 + $1 }')
curl -fsS -X POST -H "X-Auth-Token: $token" -H 'Content-Type: application/json' \
  --data "{\"host_id\":\"h1\",\"agent_id\":\"a1\",\"collected_at\":1,\"seq\":1,\"ports\":[$ports]}" \
  "http://127.0.0.1:$port/v1/ingest/ports" >/dev/null || die "ingest failed"
measure pa_bodies bodies --port "$port" --pid "$server_pid" --token "$token" \
  --size $((size_mib << 20)) --count "$count"
measure pa_slow slow --port "$port" --pid "$server_pid" --token "$token" --query "$query" \
  --count "$slow" --seconds "$seconds"
measure pa_idle idle --port "$port" --pid "$server_pid" --token "$token" --query "$query" \
  --count "$idle" --seconds "$seconds"
stop_server
echo "== portatlas at a descriptor limit of $low_fd"
start_server "$low_fd"
measure pa_low_slow slow --port "$port" --pid "$server_pid" --token "$token" --query "$query" \
  --count "$slow" --seconds "$seconds"
measure pa_low_idle idle --port "$port" --pid "$server_pid" --token "$token" --query "$query" \
  --count "$idle" --seconds "$seconds"
stop_server

if [[ $use_nginx == 1 ]]; then
  echo "== nginx (the peer): one process, a static file"
  start_nginx ""
  measure nx_slow slow --port "$nginx_port" --pid "$nginx_pid" --query /index.json \
    --count "$slow" --seconds "$seconds"
  measure nx_idle idle --port "$nginx_port" --pid "$nginx_pid" --query /index.json \
    --count "$idle" --seconds "$seconds"
  stop_nginx
  echo "== nginx at a descriptor limit of $low_fd"
  start_nginx "$low_fd"
  measure nx_low_slow slow --port "$nginx_port" --pid "$nginx_pid" --query /index.json \
    --count "$slow" --seconds "$seconds"
  measure nx_low_idle idle --port "$nginx_port" --pid "$nginx_pid" --query /index.json \
    --count "$idle" --seconds "$seconds"
  stop_nginx
fi

echo "== summary"
missed=0
check() { # check WHAT OK
  if [[ $2 == 1 ]]; then echo "  met:    $1"; else echo "  MISSED: $1"; missed=1; fi
}
le() { awk -v a="$1" -v b="$2" 'BEGIN { print (a <= b) ? 1 : 0 }'; }
grew=$(field pa_bodies grew_mib)
accepted=$(field pa_bodies accepted_mib)
check "bodies: peak RSS grew ${grew} MiB for ${accepted} MiB taken in" \
  "$(le "$grew" "$((2 * ${accepted%.*} + ALLOWANCE_MIB))")"
for label in pa_slow pa_idle pa_low_slow pa_low_idle; do
  p99=$(field $label p99_ms)
  failed=$(field $label failed)
  peer=${label/pa_/nx_}
  vs=
  if [[ $use_nginx == 1 ]]; then
    vs=$(awk -v a="$p99" -v b="$(field "$peer" p99_ms)" 'BEGIN {
      printf " (nginx %.2f ms, ratio %.2f)", b, (b > 0 ? a / b : 0) }')
  fi
  check "$label: query p99 ${p99} ms${vs}, ${failed} failed" \
    "$([[ $failed == 0 ]] && le "$p99" "$P99_LIMIT_MS" || echo 0)"
done
for label in pa_idle pa_low_idle; do
  cpu=$(field $label idle_cpu_s)
  vs=
  [[ $use_nginx == 1 ]] && vs=" (nginx $(field "${label/pa_/nx_}" idle_cpu_s) s)"
  check "$label: CPU ${cpu} s over ${seconds} s with $(field $label still_open) idle connections open$vs" \
    "$(le "$cpu" "$IDLE_CPU_LIMIT_S")"
done
exit "$missed"
