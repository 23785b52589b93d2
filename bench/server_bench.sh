#!/usr/bin/env bash
# server_bench.sh: the server acceptance benchmark. Loads HOSTS x PORTS_PER_HOST port records
# (100,000 x 20 = 2M) through POST /v1/ingest/ports and prints the server's memory; restarts the
# server on the same data and times its start; then measures ListPortStatistics (plain and
# filtered) and ListPortHost on the restarted server under wrk, side by side with the same
# answers computed by plain SQL on the same SQLite file, and prints the ratio. The plain peer
# works on `plain_ports`, one row per port record, which sql_baseline --materialize unpacks from
# hosts.ports (schema 2) after the server has stopped, untimed (GROUP BY / COUNT over it).
#
#   bench/server_bench.sh [PORTATLAS_BIN]
#
# PORTATLAS_BIN defaults to $PORTATLAS_BIN, else build/release/src/cli/portatlas under the
# repository. ingest_loader and sql_baseline come from $BENCH_BIN_DIR, else from the bench/
# folder of the same build tree (PORTATLAS_BIN/../../bench). Needs wrk and jq.
# Tunables (environment): HOSTS (100000), PORTS_PER_HOST (20), BATCH hosts per request (500),
# CONNECTIONS for ingest (4), SERVER_THREADS (the server's default when empty), DURATION of
# each wrk run (10s), WARMUP wrk run before each (2s), WRK_THREADS (2), WRK_CONNECTIONS (8),
# RUNS of each plain query (10), PLAIN_INDEX of the plain peer: natural (default; the index
# the row-per-port schema kept, (project, port, type)) or covering (one covering index per query).
# Each query also gets one wrk run with a single connection, which shows its service time
# apart from queueing (reported, not a target).
#
# Everything runs on 127.0.0.1 in a fresh temporary data directory; the server is stopped and
# the directory removed on exit, including on error or Ctrl-C. Needs bash 5 (EPOCHREALTIME).
#
# Targets: ingest >= 200,000 records/s; every query's server p99 < 5 ms; every query at least
# 20x the plain SQL (ratio of p50s); and every server answer equal to the plain SQL's, which
# also needs plain_ports to hold exactly the records the ingest acknowledged.
# Exit status: 0 when every target is met, 1 when one is missed, 2 on a setup error.
set -euo pipefail

readonly PROJECT=bench
readonly P99_LIMIT_MS=5
readonly RATIO_MIN=20
readonly INGEST_MIN=200000

die() {
  echo "server_bench: $*" >&2
  exit 2
}

(($# <= 1)) || die "usage: $0 [PORTATLAS_BIN]"
script_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo_root=$(dirname "$script_dir")
portatlas_bin=${1:-${PORTATLAS_BIN:-$repo_root/build/release/src/cli/portatlas}}
bench_bin_dir=${BENCH_BIN_DIR:-$(dirname "$portatlas_bin")/../../bench}
hosts=${HOSTS:-100000}
ports_per_host=${PORTS_PER_HOST:-20}
batch=${BATCH:-500}
connections=${CONNECTIONS:-4}
server_threads=${SERVER_THREADS:-}
duration=${DURATION:-10s}
warmup=${WARMUP:-2s}
wrk_threads=${WRK_THREADS:-2}
wrk_connections=${WRK_CONNECTIONS:-8}
runs=${RUNS:-10}
plain_index=${PLAIN_INDEX:-natural}
loader=$bench_bin_dir/ingest_loader
baseline=$bench_bin_dir/sql_baseline

for tool in wrk jq awk; do
  command -v "$tool" >/dev/null || die "$tool not found (scripts/setup installs it)"
done
for bin in "$portatlas_bin" "$loader" "$baseline"; do
  [[ -x $bin ]] || die "$bin not found; build the targets portatlas ingest_loader sql_baseline"
done

server_pid=
child_pid=
tmp_dir=$(mktemp -d /tmp/pa-server-bench.XXXXXX)
data_dir=$tmp_dir/data

stop_server() {
  [[ -n $server_pid ]] || return 0
  kill -TERM "$server_pid" 2>/dev/null || true
  wait "$server_pid" 2>/dev/null || true
  server_pid=
}
cleanup() {
  local rc=$?
  set +e
  [[ -n $child_pid ]] && kill -TERM "$child_pid" 2>/dev/null && wait "$child_pid" 2>/dev/null
  stop_server
  rm -rf "$tmp_dir"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Runs a command in the background and waits, so that a signal ends the wait at once (bash runs
# traps only between foreground commands). Its status is in $run_rc.
run() {
  "$@" &
  child_pid=$!
  run_rc=0
  wait "$child_pid" || run_rc=$?
  child_pid=
}

# field FILE NAME KEY: the KEY= value of the RESULT line whose first field is NAME.
field() {
  awk -v name="$2" -v key="$3=" '$1 == "RESULT" && $2 == name {
    for (i = 3; i <= NF; i++) if (index($i, key) == 1) print substr($i, length(key) + 1) }' "$1"
}
ge() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a >= b) }'; }
lt() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a < b) }'; }

echo "== host"
echo "kernel $(uname -r), $(nproc) cpus, $(wrk -v 2>&1 | head -n1 | cut -c1-40)," \
  "sqlite $(awk '/^#define SQLITE_VERSION /{gsub(/"/, "", $3); print $3}' \
    /usr/include/sqlite3.h 2>/dev/null), load average $(cut -d' ' -f1-3 /proc/loadavg)"

token=$("$portatlas_bin" token create --data-dir "$data_dir" --project "$PROJECT" |
  jq -r .token)
[[ $token == pat_* ]] || die "token create printed no token"

serve_args=(serve --data-dir "$data_dir" --listen 127.0.0.1:0)
[[ -z $server_threads ]] || serve_args+=(--threads "$server_threads")
# start_server LOG TIMEOUT_S: starts the server, which prints its port once it listens, and
# polls LOG every 20 ms with a deadline for that line. Sets server_pid, port, base, and
# listen_ms: the time from the start to the line, to within the poll. Times in microseconds
# come from EPOCHREALTIME without its decimal separator.
start_server() {
  local log=$1 deadline=$((SECONDS + $2)) line start_us=${EPOCHREALTIME/[^0-9]/}
  local listening='listening on http://127\.0\.0\.1:([0-9]+)'
  : >"$log" # before the first poll, which may run before the server's shell opens it
  "$portatlas_bin" "${serve_args[@]}" 2>>"$log" &
  server_pid=$!
  port=
  while :; do
    while IFS= read -r line; do
      if [[ $line =~ $listening ]]; then port=${BASH_REMATCH[1]}; fi
    done <"$log"
    [[ -z $port ]] || break
    kill -0 "$server_pid" 2>/dev/null || die "the server exited: $(cat "$log")"
    ((SECONDS < deadline)) || die "the server did not print its port within $2 s"
    sleep 0.02
  done
  listen_ms=$(((${EPOCHREALTIME/[^0-9]/} - start_us) / 1000))
  base=http://127.0.0.1:$port
}
start_server "$tmp_dir/serve.log" 30
empty_listen_ms=$listen_ms
echo "server: $portatlas_bin ${serve_args[*]:1} (pid $server_pid, port $port)"

echo "== ingest: $hosts hosts x $ports_per_host ports, $batch hosts per request," \
  "$connections connections"
# cpu_ticks: "PROCESS BUSIEST_THREAD" CPU time (user + system) of the server, in clock ticks.
cpu_ticks() {
  cat /proc/"$server_pid"/task/*/stat 2>/dev/null | awk '{ t = $14 + $15; sum += t; if (t > max) max = t }
    END { print sum + 0, max + 0 }'
}
read -r cpu0 _ < <(cpu_ticks)
run "$loader" --url "$base" --token "$token" --hosts "$hosts" --ports-per-host "$ports_per_host" \
  --batch "$batch" --connections "$connections" >"$tmp_dir/ingest.out"
cat "$tmp_dir/ingest.out"
((run_rc == 0)) || die "ingest_loader failed (status $run_rc)"
read -r cpu1 busiest < <(cpu_ticks)
awk -v all=$((cpu1 - cpu0)) -v one="$busiest" -v hz="$(getconf CLK_TCK)" \
  -v wall="$(field "$tmp_dir/ingest.out" "hosts=$hosts" wall_s)" 'BEGIN {
  printf "server CPU during ingest: %.1f s in %.1f s of wall time (%.2f cores); busiest thread" \
    " (the store writer) %.1f s since start\n", all / hz, wall, all / hz / wall, one / hz }'
ingest_rate=$(field "$tmp_dir/ingest.out" "hosts=$hosts" records_per_s)
ingest_records=$(field "$tmp_dir/ingest.out" "hosts=$hosts" records)
# memory: the server's resident set now and its peak since start (VmRSS, VmHWM).
memory() {
  awk '$1 == "VmRSS:" { rss = $2 } $1 == "VmHWM:" { hwm = $2 }
    END { printf "VmRSS %.1f MiB, VmHWM %.1f MiB\n", rss / 1024, hwm / 1024 }' \
    /proc/"$server_pid"/status
}
echo "server memory after ingest: $(memory)"

# The queries: name, server path, and the plain SQL over `plain_ports` that computes the same
# answer (statuses and types are enum numbers: TCP 0, danger 2; category 0 is "host"). A
# group's num counts distinct hosts (category host) and its status is the worst one, MAX.
where="project = '$PROJECT' AND category = 0 AND eps IN ('0')"
stats_page="SELECT port, type, COUNT(DISTINCT host_ref), MAX(status) FROM plain_ports"
names=(stats stats_port80_tcp stats_danger porthost_22)
declare -A path sql
path[stats]="/v5/$PROJECT/asset/port/statistics"
sql[stats]="SELECT COUNT(*) FROM (SELECT 1 FROM plain_ports WHERE $where GROUP BY port, type);
  $stats_page WHERE $where GROUP BY port, type ORDER BY port, type LIMIT 10 OFFSET 0"
filter="$where AND instr(CAST(port AS TEXT), '80') > 0 AND type = 0"
path[stats_port80_tcp]="/v5/$PROJECT/asset/port/statistics?port_string=80&type=TCP"
sql[stats_port80_tcp]="SELECT COUNT(*) FROM (SELECT 1 FROM plain_ports WHERE $filter
    GROUP BY port, type);
  $stats_page WHERE $filter GROUP BY port, type ORDER BY port, type LIMIT 10 OFFSET 0"
path[stats_danger]="/v5/$PROJECT/asset/port/statistics?status=danger"
sql[stats_danger]="SELECT COUNT(*) FROM (SELECT 1 FROM plain_ports WHERE $where
    GROUP BY port, type HAVING MAX(status) = 2);
  $stats_page WHERE $where GROUP BY port, type HAVING MAX(status) = 2
    ORDER BY port, type LIMIT 10 OFFSET 0"
# ListPortHost: one row per port record of both categories (the query names none), the total
# counts them; the page is ordered by type, then the host's row id (its order of arrival), then
# the record's place in the host's array, which is sorted by netns and laddr.
path[porthost_22]="/v5/$PROJECT/asset/ports/detail?port=22"
sql[porthost_22]="SELECT COUNT(*) FROM plain_ports WHERE project = '$PROJECT' AND port = 22
    AND eps IN ('0');
  SELECT p.project, p.host_id, p.netns, p.laddr, p.port, p.type, p.eps, p.pid, p.sharers, p.path,
    p.comm, p.exe_deleted, p.container_id, p.container_runtime, p.service, p.status,
    p.first_seen, p.last_seen, h.host_name, h.host_ip, h.agent_id
  FROM plain_ports p JOIN hosts h ON h.id = p.host_ref
  WHERE p.project = '$PROJECT' AND p.port = 22 AND p.eps IN ('0')
  ORDER BY p.type, p.host_ref, p.netns, p.laddr LIMIT 10 OFFSET 0"

# get PATH: the body of one GET, over bash's /dev/tcp (HTTP/1.1, Connection: close).
get() {
  local fd response
  exec {fd}<>"/dev/tcp/127.0.0.1/$port"
  printf 'GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Auth-Token: %s\r\nConnection: close\r\n\r\n' \
    "$1" "$token" >&"$fd"
  response=$(cat <&"$fd")
  exec {fd}<&-
  [[ $response == "HTTP/1.1 200"* ]] || die "GET $1: ${response:0:300}"
  printf '%s\n' "${response#*$'\r\n\r\n'}"
}

# wrk's latency in ms from "123.45us", "1.23ms" or "1.02s".
to_ms() {
  awk -v v="$1" 'BEGIN {
    if (v ~ /us$/) printf "%.3f", v / 1000; else if (v ~ /ms$/) printf "%.3f", v + 0;
    else if (v ~ /s$/) printf "%.3f", v * 1000; else exit 1 }'
}

# wrk_run NAME THREADS CONNECTIONS OUT: one timed wrk run (after a warm-up one) of query NAME.
wrk_run() {
  local wrk_args=(-t"$2" -c"$3" --latency -H "X-Auth-Token: $token")
  run wrk "${wrk_args[@]}" -d"$warmup" "$base${path[$1]}" >/dev/null
  ((run_rc == 0)) || die "wrk failed (status $run_rc)"
  echo "== wrk $1: GET ${path[$1]} (${duration}, $2 threads, $3 connections)"
  run wrk "${wrk_args[@]}" -d"$duration" "$base${path[$1]}" >"$4"
  ((run_rc == 0)) || die "wrk failed (status $run_rc)"
  grep -E '^ +(Latency|Req/Sec|[0-9]+%) |requests in|Requests/sec|Non-2xx|Socket errors' "$4"
  ! grep -qE 'Non-2xx|Socket errors' "$4" || die "wrk saw errors for $1"
}
wrk_ms() { to_ms "$(awk -v p="$2" '$1 == p { print $2 }' "$1")"; }

# The queries run on a restarted server, which loads its state from the file.
echo "== restart: SIGTERM, then serve again on the same data directory"
stop_us=${EPOCHREALTIME/[^0-9]/}
stop_server
stop_ms=$(((${EPOCHREALTIME/[^0-9]/} - stop_us) / 1000))
start_server "$tmp_dir/restart.log" 600
echo "server: $portatlas_bin ${serve_args[*]:1} (pid $server_pid, port $port)"
first_us=${EPOCHREALTIME/[^0-9]/}
get "${path[stats]}" >/dev/null
first_ms=$(((${EPOCHREALTIME/[^0-9]/} - first_us) / 1000))
echo "restart: stopped in $stop_ms ms; listening $listen_ms ms after the start (the empty" \
  "store: $empty_listen_ms ms; polled every 20 ms); the first answer (stats) took $first_ms ms more"
echo "server memory after restart: $(memory)"

declare -A srv_p50 srv_p99 srv_rps one_p50 one_p99
for name in "${names[@]}"; do
  get "${path[$name]}" >"$tmp_dir/$name.server.json"
  wrk_run "$name" "$wrk_threads" "$wrk_connections" "$tmp_dir/$name.wrk"
  srv_p50[$name]=$(wrk_ms "$tmp_dir/$name.wrk" 50%)
  srv_p99[$name]=$(wrk_ms "$tmp_dir/$name.wrk" 99%)
  srv_rps[$name]=$(awk '$1 == "Requests/sec:" { printf "%.0f", $2 }' "$tmp_dir/$name.wrk")
  wrk_run "$name" 1 1 "$tmp_dir/$name.wrk1"
  one_p50[$name]=$(wrk_ms "$tmp_dir/$name.wrk1" 50%)
  one_p99[$name]=$(wrk_ms "$tmp_dir/$name.wrk1" 99%)
done
echo "server memory after the queries: $(memory)"
stop_server

met=1
echo "== data set ($(du -m "$data_dir/portatlas.db" | cut -f1) MB portatlas.db)"
# Untimed: one row per port record in plain_ports, in the same file, then the counts.
run "$baseline" --db "$data_dir/portatlas.db" --materialize --plain-index "$plain_index" --runs 1 \
  --query "hosts=SELECT COUNT(*) FROM hosts" --query "events=SELECT COUNT(*) FROM events" \
  >"$tmp_dir/counts.out"
((run_rc == 0)) || die "sql_baseline --materialize failed (status $run_rc)"
grep '^materialized' "$tmp_dir/counts.out"
awk '$1 == "ANSWER" { sub(/^name=/, "", $2); gsub(/[][]/, "", $3); printf "%s rows: %s\n", $2, $3 }' \
  "$tmp_dir/counts.out"
plain_rows=$(field "$tmp_dir/counts.out" name=materialize rows)
echo "plain_ports rows: $plain_rows, for $ingest_records records ingested;" \
  "portatlas.db is now $(du -m "$data_dir/portatlas.db" | cut -f1) MB"
if [[ $plain_rows != "$ingest_records" ]]; then
  echo "server_bench: the store holds $plain_rows port records, not $ingest_records" >&2
  met=0
fi

echo "== plain SQL over plain_ports ($runs runs each, the server's reader pragmas)"
queries=()
for name in "${names[@]}"; do queries+=(--query "$name=${sql[$name]}"); done
run "$baseline" --db "$data_dir/portatlas.db" --runs "$runs" --pragma cache_size=-16384 \
  --pragma mmap_size=268435456 "${queries[@]}" >"$tmp_dir/plain.out"
((run_rc == 0)) || die "sql_baseline failed (status $run_rc)"
grep -v '^ANSWER' "$tmp_dir/plain.out"

# Answers in one shape: [[total], [[port, type, num, status] ...]] for statistics, and
# [[total], [[host_id, laddr, port, type, pid, path, host_name, host_ip, agent_id, status,
# container_id] ...]] for ListPortHost, types and statuses as their enum numbers.
# shellcheck disable=SC2016 # $t and $s are jq variables
readonly JQ_ENUMS='{"TCP":0,"TCP6":1,"UDP":2,"UDP6":3} as $t |
  {"unknow":0,"normal":1,"danger":2} as $s'
server_answer() {
  if [[ $1 == porthost_* ]]; then
    jq -c "$JQ_ENUMS | [[.total_num], [.data_list[] | [.host_id, .laddr, .port, \$t[.type],
      .pid, .path, .host_name, .host_ip, .agent_id, \$s[.status], .container_id]]]" \
      "$tmp_dir/$1.server.json"
  else
    jq -c "$JQ_ENUMS | [[.total_num], [.data_list[] | [.port, \$t[.type], .num, \$s[.status]]]]" \
      "$tmp_dir/$1.server.json"
  fi
}
plain_answer() {
  local filter='[[.[0][0][0]], .[1]]'
  [[ $1 != porthost_* ]] ||
    filter='[[.[0][0][0]], [.[1][] | [.[1], .[3], .[4], .[5], .[7], .[9], .[18], .[19], .[20],
      .[15], .[12]]]]'
  awk -v name="name=$1" '$1 == "ANSWER" && $2 == name { sub(/^ANSWER [^ ]* /, ""); print }' \
    "$tmp_dir/plain.out" | jq -c "$filter"
}

echo "== results"
printf '%-17s %10s %10s %7s %10s %10s %11s %11s %8s  %s\n' query "server p50" "server p99" \
  "req/s" "1-conn p50" "1-conn p99" "plain p50" "plain p99" ratio answer
declare -A ratio
for name in "${names[@]}"; do
  plain_p50=$(field "$tmp_dir/plain.out" "name=$name" p50_ms)
  plain_p99=$(field "$tmp_dir/plain.out" "name=$name" p99_ms)
  ratio[$name]=$(awk -v a="${srv_p50[$name]}" -v b="$plain_p50" 'BEGIN { printf "%.1f", b / a }')
  if [[ $(server_answer "$name") == "$(plain_answer "$name")" ]]; then
    same="same ($(server_answer "$name" | jq '.[0][0]') total)"
  else
    same="DIFFERENT"
    met=0
    echo "server: $(server_answer "$name" | cut -c1-400)" >&2
    echo "plain:  $(plain_answer "$name" | cut -c1-400)" >&2
  fi
  printf '%-17s %7.2f ms %7.2f ms %7s %7.2f ms %7.2f ms %8.1f ms %8.1f ms %7sx  %s\n' "$name" \
    "${srv_p50[$name]}" "${srv_p99[$name]}" "${srv_rps[$name]}" "${one_p50[$name]}" \
    "${one_p99[$name]}" "$plain_p50" "$plain_p99" "${ratio[$name]}" "$same"
done
echo "(server: wrk -t$wrk_threads -c$wrk_connections -d$duration; 1-conn: wrk -t1 -c1;" \
  "plain: sql_baseline, one connection, $runs runs; ratio = plain p50 / server p50)"
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"

echo "== targets"
if ge "$ingest_rate" "$INGEST_MIN"; then verdict=MET; else verdict="NOT MET" met=0; fi
echo "TARGET ingest >= $INGEST_MIN records/s: $verdict ($ingest_rate records/s)"
for name in "${names[@]}"; do
  if lt "${srv_p99[$name]}" "$P99_LIMIT_MS"; then verdict=MET; else verdict="NOT MET" met=0; fi
  echo "TARGET $name p99 < $P99_LIMIT_MS ms: $verdict (${srv_p99[$name]} ms)"
done
for name in "${names[@]}"; do
  if ge "${ratio[$name]}" "$RATIO_MIN"; then verdict=MET; else verdict="NOT MET" met=0; fi
  echo "TARGET $name >= ${RATIO_MIN}x plain SQL: $verdict (${ratio[$name]}x)"
done
((met)) || exit 1
