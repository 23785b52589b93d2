# shellcheck shell=bash disable=SC2154  # constants from common.sh
# Launchers for Postfix and Dovecot. Sourced by testbed.sh; conventions in daemons_web.sh.

start_postfix() {
  local i="$1" ns="$2" dir="$3" port
  shift 3
  port="$(spec_ports smtp "$@" | head -n1)"
  mkdir -p "$dir/spool" "$dir/data"
  chown postfix: "$dir/data"
  # meta_directory stays /etc/postfix (postfix-files, dynamicmaps.cf: `postfix start` creates
  # the queue from them); postlogd writes the log, which must be under maillog_file_prefixes.
  # The $ of Postfix's own variables is escaped.
  cat >"$dir/main.cf" <<EOF
compatibility_level = 3.6
queue_directory = $dir/spool
data_directory = $dir/data
meta_directory = /etc/postfix
command_directory = /usr/sbin
daemon_directory = /usr/lib/postfix/sbin
shlib_directory = /usr/lib/postfix
mail_owner = postfix
setgid_group = postdrop
myhostname = $(host_name "$i")
mydomain = $kDomain
mydestination = \$myhostname, localhost
inet_interfaces = all
inet_protocols = all
mynetworks = 127.0.0.0/8 [::1]/128
smtpd_banner = \$myhostname ESMTP \$mail_name (Debian/GNU)
smtpd_relay_restrictions = permit_mynetworks reject_unauth_destination
alias_maps =
alias_database =
local_recipient_maps =
biff = no
maillog_file = $dir/maillog
maillog_file_prefixes = $kState
EOF
  # The packaged master.cf with every service out of the chroot (nothing populates one here)
  # and smtpd on the profile's port.
  cp /usr/share/postfix/master.cf.dist "$dir/master.cf"
  postconf -c "$dir" -F '*/*/chroot = n'
  if [ "$port" != 25 ]; then postconf -c "$dir" -F "smtp/inet/service = $port"; fi
  register_pidfile "$ns" postfix "$dir/spool/pid/master.pid"
  run_in_ns "$ns" "$dir/stdio.log" /usr/sbin/postfix -c "$dir" start
}

start_dovecot() {
  local i="$1" ns="$2" dir="$3" imap imaps tls
  shift 3
  tls="$(host_dir "$i")/tls"
  imap="$(spec_ports imap "$@" | head -n1)"
  imaps="$(spec_ports imaps "$@" | head -n1)"
  mkdir -p "$dir/run" "$dir/state" "$dir/mail"
  chown dovecot: "$dir/mail"
  cat >"$dir/dovecot.conf" <<EOF
base_dir = $dir/run
state_dir = $dir/state
instance_name = dovecot-h$i
log_path = $dir/dovecot.log
protocols = imap
listen = *, ::
ssl = yes
ssl_cert = <$tls/cert.pem
ssl_key = <$tls/key.pem
ssl_dh = </usr/share/dovecot/dh.pem
auth_mechanisms = plain
mail_location = maildir:$dir/mail/%u
passdb {
  driver = static
  args = password=$kPassword
}
userdb {
  driver = static
  args = uid=dovecot gid=dovecot home=$dir/mail/%u
}
service imap-login {
  inet_listener imap {
    port = ${imap:-0}
  }
  inet_listener imaps {
    port = ${imaps:-0}
    ssl = yes
  }
}
EOF
  register_pidfile "$ns" dovecot "$dir/run/master.pid"
  run_in_ns "$ns" "$dir/stdio.log" /usr/sbin/dovecot -c "$dir/dovecot.conf"
}
