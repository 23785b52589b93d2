# shellcheck shell=bash disable=SC2154  # constants from common.sh
# Launchers for Redis, memcached, MariaDB and PostgreSQL. Sourced by testbed.sh; conventions in
# daemons_web.sh.

start_redis() {
  local ns="$2" dir="$3" port auth=()
  shift 3
  port="$(spec_ports redis "$@" | head -n1)"
  case "$*" in *requirepass*) auth=(--requirepass "$kPassword") ;; esac
  # Protected mode would answer remote clients only "-DENIED"; "-::*" makes IPv6 optional.
  register_pidfile "$ns" redis "$dir/redis.pid"
  run_in_ns "$ns" "$dir/stdio.log" /usr/bin/redis-server --port "$port" --bind '* -::*' \
    --protected-mode no --daemonize yes --pidfile "$dir/redis.pid" --logfile "$dir/redis.log" \
    --dir "$dir" --save '' --appendonly no "${auth[@]}"
}

start_memcached() {
  local ns="$2" dir="$3" port
  shift 3
  port="$(spec_ports memcached "$@" | head -n1)"
  # Without -l memcached binds every IPv4 and IPv6 address; -U 0: no UDP.
  chown memcache: "$dir"
  register_pidfile "$ns" memcached "$dir/memcached.pid"
  run_in_ns "$ns" "$dir/stdio.log" /usr/bin/memcached -d -u memcache -P "$dir/memcached.pid" \
    -p "$port" -U 0 -m 16 -c 256
}

start_mariadb() {
  local ns="$2" dir="$3" port
  shift 3
  port="$(spec_ports mysql "$@" | head -n1)"
  mkdir -p "$dir/data" "$dir/tmp"
  chown -R mysql: "$dir"
  # --no-defaults: nothing from /etc/mysql. Without a user whose host matches the client,
  # remote clients get error 1130 instead of the handshake (and its version): 'app'@'%'.
  printf "CREATE USER IF NOT EXISTS 'app'@'%%' IDENTIFIED BY '%s';\nGRANT ALL ON *.* TO 'app'@'%%';\n" \
    "$kPassword" >"$dir/init.sql"
  chown mysql: "$dir/init.sql"
  /usr/bin/mariadb-install-db --no-defaults --user=mysql --datadir="$dir/data" \
    --skip-test-db --skip-name-resolve --auth-root-authentication-method=socket \
    --innodb-log-file-size=8M \
    </dev/null >>"$dir/install-db.log" 2>&1 || return 1
  # mariadbd stays in the foreground.
  spawn_in_ns "$ns" "$dir/stdio.log" "$dir/mariadbd.pid" mariadb \
    /usr/sbin/mariadbd --no-defaults --user=mysql --datadir="$dir/data" --port="$port" \
    --socket="$dir/mysqld.sock" --pid-file="$dir/mysqld.pid" --tmpdir="$dir/tmp" \
    --log-error="$dir/error.log" --init-file="$dir/init.sql" --skip-name-resolve \
    --skip-log-bin --innodb-buffer-pool-size=16M --innodb-log-file-size=8M
}

start_postgres() {
  local ns="$2" dir="$3" port bin
  shift 3
  port="$(spec_ports postgresql "$@" | head -n1)"
  bin="$(find /usr/lib/postgresql -mindepth 2 -maxdepth 2 -name bin -type d | sort -V | tail -n1)"
  [ -x "$bin/postgres" ] || return 1
  chown postgres: "$dir"
  local as_postgres=(setpriv --reuid=postgres --regid=postgres --init-groups)
  (cd "$dir" && "${as_postgres[@]}" "$bin/initdb" -D "$dir/data" -U postgres -A trust \
    --no-sync --no-instructions -E UTF8 --locale=C) </dev/null >>"$dir/initdb.log" 2>&1 ||
    return 1
  printf 'host all all 0.0.0.0/0 trust\nhost all all ::/0 trust\n' >>"$dir/data/pg_hba.conf"
  # postgres stays in the foreground; setpriv execs, so the pid is the postmaster's.
  spawn_in_ns "$ns" "$dir/stdio.log" "$dir/postgres.pid" postgres \
    "${as_postgres[@]}" "$bin/postgres" -D "$dir/data" -c "listen_addresses=*" -c "port=$port" \
    -c "unix_socket_directories=$dir" -c fsync=off -c shared_buffers=16MB \
    -c dynamic_shared_memory_type=mmap \
    -c logging_collector=off
}
