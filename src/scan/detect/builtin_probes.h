// The service probes portatlas carries itself, for hosts without nmap's nmap-service-probes.
// Written for portatlas in nmap's file format (service_probes.h), so one parser reads both;
// small on purpose: the common services of a Linux server.
//
//   NULL                 banners: OpenSSH and Dropbear, vsftpd, ProFTPD, Pure-FTPd, Postfix,
//                        Exim, Dovecot IMAP and POP3, MySQL and MariaDB handshakes
//   GetRequest           GET / HTTP/1.0: the Server header of nginx, Apache, lighttpd
//   RedisPingInfo        PING and INFO: redis_version, or an authentication error
//   MemcachedVersion     "version": memcached's version
//   PostgresSSLRequest   SSLRequest: PostgreSQL's one-byte answer (sent on 5432 only by default)
//   RdpNegotiation       X.224 connection request with RDP negotiation: the confirm
//   SmbNegotiate         SMB1 negotiate offering SMB2: the SMB1 or SMB2 answer
//
// Version fields follow nmap's conventions where that costs nothing (OpenSSH on Debian reads
// "9.2p1 Debian 2+deb12u3"): for OpenSSH, vsftpd, nginx, Redis and Postfix the built-ins and
// nmap 7.93 name the same service, product and version (builtin_probes_test). They differ on
// purpose for MariaDB (nmap: product "MySQL", version "5.5.5-10.11.6-MariaDB-0+deb12u1"; here:
// "MariaDB" "10.11.6") and in CPE vendor names (nginx is cpe:/a:f5:nginx, as in NVD today).
#ifndef PORTATLAS_SCAN_DETECT_BUILTIN_PROBES_H_
#define PORTATLAS_SCAN_DETECT_BUILTIN_PROBES_H_

#include <string_view>

namespace portatlas::scan {

// The text of the built-in probe file, ExtraServiceProbes() included. ProbeDb::BuiltIn() is the
// parsed form.
std::string_view BuiltinServiceProbes();

// Probes for what nmap-service-probes cannot name, in its format; ProbeDb::Load() adds them to
// nmap's file (before its first probe, so they come early among the probes of equal standing):
//
//   PortatlasMqtt        MQTT CONNECT and SUBSCRIBE $SYS/broker/version: the broker and, when
//                        it publishes it (Mosquitto does), its version
std::string_view ExtraServiceProbes();

}  // namespace portatlas::scan

#endif  // PORTATLAS_SCAN_DETECT_BUILTIN_PROBES_H_
