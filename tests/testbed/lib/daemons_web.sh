# shellcheck shell=bash disable=SC2154  # constants from common.sh
# Launchers for sshd, nginx, Apache, lighttpd, vsftpd and xrdp. Sourced by testbed.sh.
#
# Every launcher is called as `start_UNIT I NS DIR SPEC...`: host index, its namespace, a fresh
# directory of its own for configuration, pid file, data and logs, and one "proto:port:service:
# notes" SPEC per port the unit must serve (from profiles.conf). It writes its configuration,
# registers the pid file, starts the daemon with stdio redirected and returns; the caller then
# polls until the ports listen. Nothing is read from or written to /etc: each daemon is pointed
# at its own files, so any number of instances can run side by side.

# The ports of SPEC arguments whose service is $1 (or all of them with "*").
spec_ports() {
  local want="$1" spec rest
  shift
  for spec in "$@"; do
    rest="${spec#*:}"
    if [ "$want" = "*" ] || [ "$(cut -d: -f3 <<<"$spec")" = "$want" ]; then
      printf '%s\n' "${rest%%:*}"
    fi
  done
}

start_sshd() {
  local ns="$2" dir="$3" port
  shift 3
  {
    for port in $(spec_ports '*' "$@"); do printf 'Port %s\n' "$port"; done
    cat <<EOF
ListenAddress 0.0.0.0
ListenAddress ::
HostKey $kState/common/ssh/ssh_host_ed25519_key
HostKey $kState/common/ssh/ssh_host_ecdsa_key
HostKey $kState/common/ssh/ssh_host_rsa_key
PidFile $dir/sshd.pid
UsePAM no
UseDNS no
PermitRootLogin no
KbdInteractiveAuthentication no
X11Forwarding no
PrintMotd no
Subsystem sftp internal-sftp
EOF
  } >"$dir/sshd_config"
  register_pidfile "$ns" sshd "$dir/sshd.pid"
  # sshd re-executes itself, so it needs its absolute path.
  run_in_ns "$ns" "$dir/stdio.log" /usr/sbin/sshd -f "$dir/sshd_config" -E "$dir/sshd.log"
}

# A page for the web servers to serve, naming the host and the server.
write_www() {
  mkdir -p "$1/www"
  printf '<!doctype html><title>%s</title><p>portatlas testbed: %s on %s\n' "$2" "$2" "$3" \
    >"$1/www/index.html"
}

start_nginx() {
  local i="$1" ns="$2" dir="$3" port tls
  shift 3
  tls="$(host_dir "$i")/tls"
  write_www "$dir" nginx "$(host_name "$i")"
  mkdir -p "$dir/tmp"
  {
    cat <<EOF
daemon on;
pid $dir/nginx.pid;
error_log $dir/error.log;
user www-data;
worker_processes 1;
events { worker_connections 256; }
http {
  access_log off;
  client_body_temp_path $dir/tmp/body;
  proxy_temp_path $dir/tmp/proxy;
  fastcgi_temp_path $dir/tmp/fastcgi;
  uwsgi_temp_path $dir/tmp/uwsgi;
  scgi_temp_path $dir/tmp/scgi;
  default_type text/html;
  ssl_certificate $tls/cert.pem;
  ssl_certificate_key $tls/key.pem;
  server {
    server_name $(host_name "$i");
    root $dir/www;
EOF
    for port in $(spec_ports http "$@"); do
      printf '    listen %s;\n    listen [::]:%s;\n' "$port" "$port"
    done
    for port in $(spec_ports https "$@"); do
      printf '    listen %s ssl;\n    listen [::]:%s ssl;\n' "$port" "$port"
    done
    printf '  }\n}\n'
  } >"$dir/nginx.conf"
  register_pidfile "$ns" nginx "$dir/nginx.pid"
  run_in_ns "$ns" "$dir/stdio.log" nginx -c "$dir/nginx.conf" -p "$dir/" -e "$dir/error.log"
}

start_apache() {
  local i="$1" ns="$2" dir="$3" port mods=/usr/lib/apache2/modules
  shift 3
  write_www "$dir" "Apache httpd" "$(host_name "$i")"
  mkdir -p "$dir/run"
  {
    cat <<EOF
ServerRoot "$dir"
ServerName $(host_name "$i")
DefaultRuntimeDir "$dir/run"
PidFile "$dir/apache2.pid"
Mutex file:$dir/run default
LoadModule mpm_event_module $mods/mod_mpm_event.so
LoadModule authz_core_module $mods/mod_authz_core.so
LoadModule dir_module $mods/mod_dir.so
LoadModule mime_module $mods/mod_mime.so
TypesConfig /etc/mime.types
User www-data
Group www-data
StartServers 1
ServerLimit 2
ThreadsPerChild 8
MinSpareThreads 8
MaxSpareThreads 16
MaxRequestWorkers 16
ErrorLog "$dir/error.log"
LogLevel warn
DocumentRoot "$dir/www"
DirectoryIndex index.html
<Directory "$dir/www">
  Require all granted
</Directory>
EOF
    for port in $(spec_ports '*' "$@"); do printf 'Listen %s\n' "$port"; done
  } >"$dir/apache2.conf"
  register_pidfile "$ns" apache "$dir/apache2.pid"
  run_in_ns "$ns" "$dir/stdio.log" /usr/sbin/apache2 -f "$dir/apache2.conf" -k start
}

start_lighttpd() {
  local i="$1" ns="$2" dir="$3" port first
  shift 3
  write_www "$dir" lighttpd "$(host_name "$i")"
  first="$(spec_ports '*' "$@" | head -n1)"
  {
    cat <<EOF
server.document-root = "$dir/www"
server.pid-file = "$dir/lighttpd.pid"
server.errorlog = "$dir/error.log"
server.username = "www-data"
server.groupname = "www-data"
server.port = $first
server.bind = "0.0.0.0"
index-file.names = ( "index.html" )
mimetype.assign = ( ".html" => "text/html" )
EOF
    # shellcheck disable=SC2016  # lighttpd's $SERVER
    printf '$SERVER["socket"] == "[::]:%s" { }\n' "$first"
    for port in $(spec_ports '*' "$@" | tail -n +2); do
      # shellcheck disable=SC2016
      printf '$SERVER["socket"] == "0.0.0.0:%s" { }\n$SERVER["socket"] == "[::]:%s" { }\n' \
        "$port" "$port"
    done
  } >"$dir/lighttpd.conf"
  chown www-data: "$dir"
  register_pidfile "$ns" lighttpd "$dir/lighttpd.pid"
  run_in_ns "$ns" "$dir/stdio.log" lighttpd -f "$dir/lighttpd.conf"
}

start_vsftpd() {
  local ns="$2" dir="$3" port
  shift 3
  port="$(spec_ports ftp "$@" | head -n1)"
  # vsftpd refuses to start with both anonymous and local logins off: anonymous read-only it is.
  mkdir -p "$dir/empty" "$dir/pub"
  printf 'portatlas testbed\n' >"$dir/pub/README"
  cat >"$dir/vsftpd.conf" <<EOF
listen=NO
listen_ipv6=YES
listen_port=$port
background=NO
anonymous_enable=YES
no_anon_password=YES
anon_root=$dir/pub
local_enable=NO
write_enable=NO
secure_chroot_dir=$dir/empty
pam_service_name=vsftpd
xferlog_enable=NO
vsftpd_log_file=$dir/vsftpd.log
seccomp_sandbox=NO
EOF
  # listen_ipv6 on "::" also accepts IPv4 (a dual-stack socket). vsftpd writes no pid file, so
  # it runs in the foreground and its pid is taken from the shell.
  spawn_in_ns "$ns" "$dir/stdio.log" "$dir/vsftpd.pid" vsftpd /usr/sbin/vsftpd "$dir/vsftpd.conf"
}

start_xrdp() {
  local i="$1" ns="$2" dir="$3" port tls
  shift 3
  tls="$(host_dir "$i")/tls"
  port="$(spec_ports ms-wbt-server "$@" | head -n1)"
  # The packaged xrdp.ini, pointed at this host's certificate and a log file of its own.
  # A bare port number listens on "::", dual-stack (tcp://:PORT would be IPv4 only).
  sed -e "s|^port=.*|port=$port|" -e "s|^certificate=.*|certificate=$tls/cert.pem|" \
    -e "s|^key_file=.*|key_file=$tls/key.pem|" -e "s|^LogFile=.*|LogFile=$dir/xrdp.log|" \
    -e 's|^EnableSyslog=.*|EnableSyslog=false|' /etc/xrdp/xrdp.ini >"$dir/xrdp.ini"
  spawn_in_ns "$ns" "$dir/stdio.log" "$dir/xrdp.pid" xrdp \
    /usr/sbin/xrdp --nodaemon --config "$dir/xrdp.ini"
}
