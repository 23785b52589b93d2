# "The internet" for the traffic view's tests: 198.19.0.1 on the scanner namespace, routed back
# by the router, and the source of every connection the scanner namespace opens to the hosts'
# subnet (a route with src, so clients that cannot bind an address still use it). Inside the
# benchmarking range 198.18.0.0/15, so nothing leaves the testbed. Source after harness_start.
#
#   internet_up      add the address and the routes
#   internet_down    remove them (idempotent)
#   internet_talk    one conversation with each testbed service the tests name (below), plus a
#                    bare TCP handshake (198.18.0.4:8843, nothing sent) and a SYN answered by
#                    RST (198.18.0.1:9); every client runs in the scanner namespace

readonly kInternetIp=198.19.0.1

internet_up() {
  ip -n "$PA_TB_SCAN_NS" addr add "$kInternetIp/32" dev "$PA_TB_SCAN_IF"
  ip -n "$PA_TB_ROUTER_NS" route add 198.19.0.0/16 via "$PA_TB_SCAN_IP4"
  ip -n "$PA_TB_SCAN_NS" route add 198.18.0.0/24 via "$PA_TB_ROUTER_IP4" src "$kInternetIp"
}

internet_down() {
  ip -n "$PA_TB_SCAN_NS" route del 198.18.0.0/24 2>/dev/null || true
  ip -n "$PA_TB_ROUTER_NS" route del 198.19.0.0/16 2>/dev/null || true
  ip -n "$PA_TB_SCAN_NS" addr del "$kInternetIp/32" dev "$PA_TB_SCAN_IF" 2>/dev/null || true
}

# in_scan CMD...: CMD in the scanner namespace, bounded to 8 s, its failure ignored (a refused
# login still carried the protocol's payload).
in_scan() { timeout 8 ip netns exec "$PA_TB_SCAN_NS" "$@" >/dev/null 2>&1 </dev/null || true; }

internet_talk() {
  in_scan curl -s http://198.18.0.1/
  in_scan curl -s http://198.18.0.4/
  in_scan curl -s http://198.18.0.6/
  in_scan curl -sk --resolve www.pa-tb.test:443:198.18.0.1 https://www.pa-tb.test/
  in_scan curl -sk --resolve www.pa-tb.test:4433:198.18.0.1 https://www.pa-tb.test:4433/
  in_scan ssh -o BatchMode=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null \
    -o ConnectTimeout=5 probe@198.18.0.1 true
  in_scan curl -s ftp://198.18.0.2/
  in_scan curl -s --mail-from a@pa-tb.test --mail-rcpt b@pa-tb.test -T /dev/null smtp://198.18.0.2/
  in_scan curl -s -u probe:wrong imap://198.18.0.2/
  in_scan redis-cli -h 198.18.0.3 ping
  in_scan psql "host=198.18.0.3 user=probe dbname=probe sslmode=disable connect_timeout=5" -c 'select 1'
  in_scan mysql --connect-timeout=5 -h 198.18.0.3 -u probe -pwrong -e 'select 1'
  in_scan curl -s mqtt://198.18.0.6/pa-tb/topic
  in_scan dig +tries=1 +time=3 @198.18.0.5 pa-tb.test SOA
  in_scan dig +tcp +tries=1 +time=3 @198.18.0.5 pa-tb.test NS
  in_scan snmpget -v2c -c public -r 0 -t 3 198.18.0.5 1.3.6.1.2.1.1.1.0
  # A bare handshake: connect, send nothing, close after a second (Apache waits for a request).
  in_scan bash -c 'exec 3<>/dev/tcp/198.18.0.4/8843; sleep 1'
  # Only a SYN from the client: nothing listens on 198.18.0.1:9, the host answers RST.
  in_scan bash -c 'exec 3<>/dev/tcp/198.18.0.1/9'
}
