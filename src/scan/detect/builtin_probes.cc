#include "scan/detect/builtin_probes.h"

#include <string>

namespace portatlas::scan {
namespace {

constexpr std::string_view kProbes =
    R"(# portatlas built-in service probes (nmap-service-probes format).
# Printers print whatever they receive.
Exclude T:9100-9107

Probe TCP NULL q||
# SMTP servers may pause before their greeting.
totalwaitms 6000
tcpwrappedms 3000

match ssh m|^SSH-([\d.]+)-OpenSSH_([\w.]+) Debian-(\S+)\r?\n| p/OpenSSH/ v/$2 Debian $3/ i/protocol $1/ o/Linux/ cpe:/a:openbsd:openssh:$2/ cpe:/o:debian:debian_linux/
match ssh m|^SSH-([\d.]+)-OpenSSH_([\w.]+) Ubuntu-(\S+)\r?\n| p/OpenSSH/ v/$2 Ubuntu $3/ i/Ubuntu Linux; protocol $1/ o/Linux/ cpe:/a:openbsd:openssh:$2/ cpe:/o:canonical:ubuntu_linux/
match ssh m|^SSH-([\d.]+)-OpenSSH_([\w.]+)(?: ([^\r\n]+))?\r?\n| p/OpenSSH/ v/$2/ i/protocol $1, $3/ cpe:/a:openbsd:openssh:$2/
match ssh m|^SSH-([\d.]+)-dropbear_([\w.]+)\r?\n| p/Dropbear sshd/ v/$2/ i/protocol $1/ cpe:/a:dropbear_ssh_project:dropbear_ssh:$2/
softmatch ssh m|^SSH-[\d.]+-|

match ftp m|^220 \(vsFTPd (\d[\w.]*)\)\r\n| p/vsftpd/ v/$1/ cpe:/a:vsftpd:vsftpd:$1/
match ftp m|^220 ProFTPD (\d[\w.]*) Server| p/ProFTPD/ v/$1/ cpe:/a:proftpd:proftpd:$1/
match ftp m|^220 ProFTPD Server | p/ProFTPD/ cpe:/a:proftpd:proftpd/
match ftp m|^220-{5,} Welcome to Pure-FTPd| p/Pure-FTPd/ cpe:/a:pureftpd:pure-ftpd/
softmatch ftp m|^220[ -][^\r\n]*ftp|i

match smtp m|^220 ([\w.-]+) ESMTP Postfix(?: \(([^)\r\n]+)\))?\r\n| p/Postfix smtpd/ i/$2/ h/$1/ cpe:/a:postfix:postfix/
match smtp m|^220 ([\w.-]+) ESMTP Exim (\d[\w.]*)| p/Exim smtpd/ v/$2/ h/$1/ cpe:/a:exim:exim:$2/
softmatch smtp m|^220[ -][^\r\n]*smtp|i

match imap m|^\* OK (?:\[[^\]\r\n]*\] )?Dovecot(?: \(([^)\r\n]+)\))? ready\.\r\n| p/Dovecot imapd/ i/$1/ cpe:/a:dovecot:dovecot/
match pop3 m|^\+OK (?:\[[^\]\r\n]*\] )?Dovecot(?: \(([^)\r\n]+)\))? ready\.\r\n| p/Dovecot pop3d/ i/$1/ cpe:/a:dovecot:dovecot/
softmatch imap m|^\* OK [^\r\n]*IMAP|i

# Server greeting: 3-byte length, sequence 0, protocol 10, version, NUL.
match mysql m|^.\0\0\0\x0a(?:5\.5\.5-)?(\d[\w.]*)-MariaDB(?:-([^\0]+))?\0|s p/MariaDB/ v/$1/ i/$2/ cpe:/a:mariadb:mariadb:$1/
match mysql m|^.\0\0\0\x0a(\d+\.\d+\.\d+)([^\0]*)\0|s p/MySQL/ v/$1$2/ cpe:/a:mysql:mysql:$1/
match mysql m=^.\0\0\0\xff..Host '[^']*' is not allowed to connect to this (MySQL|MariaDB) server=s p/$1/ i/client host not allowed/

# The header lines before the Server header never include the blank line that ends them.
Probe TCP GetRequest q|GET / HTTP/1.0\r\n\r\n|
rarity 1
ports 80,81,591,8000,8008,8080,8081,8088,8888
sslports 443,4443,8443,9443
match http m|^HTTP/1\.[01] \d\d\d[^\r\n]*\r\n(?:[^\r\n]+\r\n)*?(?i:server): nginx/(\d[\w.]*)[^\r\n]*\r\n|s p/nginx/ v/$1/ cpe:/a:f5:nginx:$1/
match http m|^HTTP/1\.[01] \d\d\d[^\r\n]*\r\n(?:[^\r\n]+\r\n)*?(?i:server): nginx\r\n|s p/nginx/ cpe:/a:f5:nginx/
match http m|^HTTP/1\.[01] \d\d\d[^\r\n]*\r\n(?:[^\r\n]+\r\n)*?(?i:server): Apache/(\d[\w.]*)(?: \(([^)\r\n]+)\))?[^\r\n]*\r\n|s p/Apache httpd/ v/$1/ i/$2/ cpe:/a:apache:http_server:$1/
match http m|^HTTP/1\.[01] \d\d\d[^\r\n]*\r\n(?:[^\r\n]+\r\n)*?(?i:server): Apache\r\n|s p/Apache httpd/ cpe:/a:apache:http_server/
match http m|^HTTP/1\.[01] \d\d\d[^\r\n]*\r\n(?:[^\r\n]+\r\n)*?(?i:server): lighttpd/(\d[\w.]*)\r\n|s p/lighttpd/ v/$1/ cpe:/a:lighttpd:lighttpd:$1/
softmatch http m|^HTTP/1\.[01] \d\d\d |

Probe TCP RedisPingInfo q|PING\r\n*1\r\n$4\r\nINFO\r\n|
rarity 5
ports 6379
match redis m|^(?:\+PONG\r\n)?\$\d+\r\n(?:[^\r\n]*\r\n)*?redis_version:(\d[\w.]*)\r\n|s p/Redis key-value store/ v/$1/ cpe:/a:redislabs:redis:$1/
match redis m|^-NOAUTH | p/Redis key-value store/ i/authentication required/ cpe:/a:redislabs:redis/
match redis m|^-DENIED Redis is running in protected mode| p/Redis key-value store/ i/protected mode/ cpe:/a:redislabs:redis/
match redis m|^\+PONG\r\n| p/Redis key-value store/ cpe:/a:redislabs:redis/

Probe TCP MemcachedVersion q|version\r\n|
rarity 5
ports 11211
match memcached m|^VERSION (\d[\w.-]*)\r\n| p/memcached/ v/$1/ cpe:/a:memcached:memcached:$1/

Probe TCP PostgresSSLRequest q|\0\0\0\x08\x04\xd2\x16\x2f|
rarity 8
ports 5432
match postgresql m|^S$| p/PostgreSQL/ i/TLS available/ cpe:/a:postgresql:postgresql/
match postgresql m|^N$| p/PostgreSQL/ i/TLS not available/ cpe:/a:postgresql:postgresql/
match postgresql m=^E\0\0..S(?:FATAL|ERROR)\0=s p/PostgreSQL/ cpe:/a:postgresql:postgresql/

Probe TCP RdpNegotiation q|\x03\0\0\x13\x0e\xe0\0\0\0\0\0\x01\0\x08\0\x03\0\0\0|
rarity 6
ports 3389
match ms-wbt-server m|^\x03\0\0\x13\x0e\xd0.{5}\x02.\x08\0(....)|s p/RDP/ i/selected security protocol $I(1,"<")/
match ms-wbt-server m|^\x03\0\0\x13\x0e\xd0.{5}\x03.\x08\0(....)|s p/RDP/ i/negotiation failure $I(1,"<")/
match ms-wbt-server m|^\x03\0\0\x0b\x06\xd0|s p/RDP/ i/no security negotiation/

Probe TCP SmbNegotiate q|\0\0\0\x45\xffSMBr\0\0\0\0\x18\x01\x48\0\0\0\0\0\0\0\0\0\0\0\0\0\0\x2f\x4b\0\0\0\0\0\x22\0\x02NT LM 0.12\0\x02SMB 2.002\0\x02SMB 2.???\0|
rarity 6
ports 445
match microsoft-ds m|^\0...\xfeSMB.{60}\x41\0..\xff\x02|s p/SMB/ i/SMB 2 or later/
match microsoft-ds m|^\0...\xfeSMB.{60}\x41\0..(..)|s p/SMB/ i/SMB 2 dialect $I(1,"<")/
match microsoft-ds m|^\0...\xffSMBr\0\0\0\0|s p/SMB/ i/SMB 1/
)";

// Probes nmap-service-probes lacks, added to it at load time (and to the built-ins).
constexpr std::string_view kExtraProbes =
    R"(# portatlas additions to nmap-service-probes.
# MQTT 3.1.1: CONNECT (clean session, keep-alive 60 s, an empty client id: the broker makes one
# up, so probes of one broker at once, over IPv4 and IPv6, never take over each other's session)
# and, without waiting for the CONNACK as the protocol allows, SUBSCRIBE to $SYS/broker/version
# at QoS 0. A broker that lets anonymous clients in answers CONNACK, SUBACK and, when it
# publishes it, the retained version. nmap's own mqtt probe has rarity 9 and reads no version.
Probe TCP PortatlasMqtt q|\x10\x0c\0\x04MQTT\x04\x02\0\x3c\0\0\x82\x18\0\x01\0\x13$SYS/broker/version\0|
rarity 3
ports 1883
sslports 8883
match mqtt m|^\x20\x02[\0\x01]\0.*\$SYS/broker/versionmosquitto version ([\w.-]+)|s p/Mosquitto/ v/$1/ i/anonymous access/ cpe:/a:eclipse:mosquitto:$1/
match mqtt m|^\x20\x02[\0\x01]\0.*\$SYS/broker/version([\x20-\x7e]{1,64})|s p/MQTT broker/ v/$1/ i/anonymous access/
match mqtt m|^\x20\x02[\0\x01]\0| p/MQTT broker/ i/anonymous access/
match mqtt m|^\x20\x02[\0\x01]([\x01-\x05])| p/MQTT broker/ i/connection refused, return code $I(1,">")/

# PostgreSQL: a GSSENCRequest. Servers since 12 answer one byte, G or N (as to an SSLRequest);
# older ones take it for a startup packet of an unknown protocol and send an error. nmap's lines
# say "9.6.0 or later" at best. Rarity 9: sent on 5432, or when a reply names postgresql.
Probe TCP PortatlasPgGssEnc q|\0\0\0\x08\x04\xd2\x16\x30|
rarity 9
ports 5432
match postgresql m|^[GN]$| p/PostgreSQL DB/ v/12 or later/ cpe:/a:postgresql:postgresql/
match postgresql m|^E\0\0..S(?:FATAL\0V)?FATAL\0C0A000\0M[^\0]*1234\.5680|s p/PostgreSQL DB/ v/before 12/ cpe:/a:postgresql:postgresql/
)";

}  // namespace

std::string_view BuiltinServiceProbes() {
  static const std::string kAll = std::string(kProbes) + "\n" + std::string(kExtraProbes);
  return kAll;
}

std::string_view ExtraServiceProbes() { return kExtraProbes; }

}  // namespace portatlas::scan
