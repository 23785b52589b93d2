#include "scan/detect/builtin_probes.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <string>
#include <vector>

#include "scan/detect/service_probes.h"
#include "scan/detect/test_banners.h"

namespace portatlas::scan {
namespace {

using namespace std::string_literals;
using testing_banners::Span;

std::string Summary(const std::optional<ServiceMatch>& m) {
  if (!m) return "none";
  return m->service + "|" + m->product + "|" + m->version + "|" + m->info + "|" + m->hostname +
         (m->soft ? "|soft" : "");
}

TEST(BuiltinProbesTest, ParseWithoutWarnings) {
  const auto db = ProbeDb::Parse(BuiltinServiceProbes());
  ASSERT_TRUE(db);
  EXPECT_TRUE(db->warnings().empty()) << db->warnings().front();
  const ProbeDb builtin = ProbeDb::BuiltIn();
  ASSERT_NE(builtin.null_probe(), nullptr);
  EXPECT_EQ(builtin.null_probe()->totalwaitms, 6000);
  std::vector<std::string> names;
  for (const Probe& p : builtin.probes()) names.push_back(p.name);
  EXPECT_EQ(names,
            (std::vector<std::string>{"NULL", "GetRequest", "RedisPingInfo", "MemcachedVersion",
                                      "PostgresSSLRequest", "RdpNegotiation", "SmbNegotiate",
                                      "PortatlasMqtt", "PortatlasPgGssEnc"}));
  EXPECT_TRUE(builtin.IsExcluded(9100, true));
}

TEST(BuiltinProbesTest, IdentifiesCommonServices) {
  const ProbeDb db = ProbeDb::BuiltIn();
  const struct {
    const char* probe;
    std::string response;
    const char* want;
  } kCases[] = {
      {"NULL", std::string(testing_banners::kOpenSsh),
       "ssh|OpenSSH|9.2p1 Debian 2+deb12u3|protocol 2.0|"},
      {"NULL", "SSH-2.0-OpenSSH_8.9p1 Ubuntu-3ubuntu0.6\r\n",
       "ssh|OpenSSH|8.9p1 Ubuntu 3ubuntu0.6|Ubuntu Linux; protocol 2.0|"},
      {"NULL", "SSH-2.0-OpenSSH_9.6\r\n", "ssh|OpenSSH|9.6|protocol 2.0|"},
      {"NULL", "SSH-2.0-OpenSSH_9.6 FreeBSD-20240104\r\n",
       "ssh|OpenSSH|9.6|protocol 2.0, FreeBSD-20240104|"},
      {"NULL", "SSH-2.0-dropbear_2022.83\r\n", "ssh|Dropbear sshd|2022.83|protocol 2.0|"},
      {"NULL", "SSH-2.0-Go\r\n", "ssh|||||soft"},
      {"NULL", std::string(testing_banners::kVsftpd), "ftp|vsftpd|3.0.3||"},
      {"NULL", "220 ProFTPD 1.3.5e Server (Debian) [::ffff:198.18.0.2]\r\n",
       "ftp|ProFTPD|1.3.5e||"},
      {"NULL", "220 ProFTPD Server (ProFTPD Default Installation) [198.18.0.2]\r\n",
       "ftp|ProFTPD|||"},
      {"NULL", "220 files.example FTP server ready\r\n", "ftp|||||soft"},
      {"NULL", "220 mail.example.org ESMTP Postfix (Debian/GNU)\r\n",
       "smtp|Postfix smtpd||Debian/GNU|mail.example.org"},
      {"NULL", "220 mx.example ESMTP Exim 4.96 Mon, 06 May 2024 10:00:00 +0000\r\n",
       "smtp|Exim smtpd|4.96||mx.example"},
      {"NULL",
       "* OK [CAPABILITY IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE LITERAL+ STARTTLS "
       "AUTH=PLAIN] Dovecot (Debian) ready.\r\n",
       "imap|Dovecot imapd||Debian|"},
      {"NULL", "+OK Dovecot (Debian) ready.\r\n", "pop3|Dovecot pop3d||Debian|"},
      {"NULL",
       "Y\0\0\0\x0a"
       "5.5.5-10.11.6-MariaDB-0+deb12u1\0\x08\0\0\0"s,
       "mysql|MariaDB|10.11.6|0+deb12u1|"},
      {"NULL",
       "J\0\0\0\x0a"
       "8.0.36\0\x0b\0\0\0"s,
       "mysql|MySQL|8.0.36||"},
      {"NULL",
       "J\0\0\0\x0a"
       "8.0.36-0ubuntu0.22.04.1\0\x0b\0\0\0"s,
       "mysql|MySQL|8.0.36-0ubuntu0.22.04.1||"},
      {"NULL",
       "G\0\0\0\xffj\x04Host '198.18.0.9' is not allowed to connect to this MariaDB server"s,
       "mysql|MariaDB||client host not allowed|"},
      {"GetRequest", std::string(testing_banners::kNginx), "http|nginx|1.22.1||"},
      {"GetRequest", "HTTP/1.1 404 Not Found\r\nserver: nginx\r\n\r\n", "http|nginx|||"},
      {"GetRequest",
       "HTTP/1.1 200 OK\r\nDate: Mon, 06 May 2024 10:00:00 GMT\r\nServer: Apache/2.4.57 "
       "(Debian)\r\n"
       "Content-Length: 10\r\n\r\n",
       "http|Apache httpd|2.4.57|Debian|"},
      {"GetRequest", "HTTP/1.0 200 OK\r\nServer: lighttpd/1.4.69\r\n\r\n",
       "http|lighttpd|1.4.69||"},
      {"GetRequest", "HTTP/1.1 200 OK\r\nServer: Caddy\r\n\r\n", "http|||||soft"},
      // A Server header in the body is not a header.
      {"GetRequest", "HTTP/1.1 200 OK\r\n\r\nServer: nginx/1.0\r\n", "http|||||soft"},
      {"RedisPingInfo", std::string(testing_banners::kRedisInfo),
       "redis|Redis key-value store|7.0.15||"},
      {"RedisPingInfo", std::string("+PONG\r\n") + std::string(testing_banners::kRedisInfo),
       "redis|Redis key-value store|7.0.15||"},
      {"RedisPingInfo", "-NOAUTH Authentication required.\r\n-NOAUTH Authentication required.\r\n",
       "redis|Redis key-value store||authentication required|"},
      {"RedisPingInfo", "+PONG\r\n-ERR unknown command 'INFO'\r\n",
       "redis|Redis key-value store|||"},
      {"MemcachedVersion", "VERSION 1.6.18\r\n", "memcached|memcached|1.6.18||"},
      {"PostgresSSLRequest", "N", "postgresql|PostgreSQL||TLS not available|"},
      {"PostgresSSLRequest", "S", "postgresql|PostgreSQL||TLS available|"},
      {"PortatlasMqtt", "\x20\x02\0\0\x90\x03\0\x01\0"s, "mqtt|MQTT broker||anonymous access|"},
      {"PortatlasMqtt",
       "\x20\x02\0\0\x90\x03\0\x01\0\x31\x2d\0\x13$SYS/broker/versionmosquitto version 2.0.11"s,
       "mqtt|Mosquitto|2.0.11|anonymous access|"},
      {"PortatlasMqtt", "\x20\x02\0\0\x90\x03\0\x01\0\x31\x13\0\x13$SYS/broker/versionEMQX 5.1"s,
       "mqtt|MQTT broker|EMQX 5.1|anonymous access|"},
      {"PortatlasMqtt", "\x20\x02\0\x05"s, "mqtt|MQTT broker||connection refused, return code 5|"},
      {"PortatlasPgGssEnc", "N", "postgresql|PostgreSQL DB|12 or later||"},
      {"PortatlasPgGssEnc",
       "E\0\0\0\x5eSFATAL\0VFATAL\0C0A000\0Munsupported frontend protocol 1234.5680: server "
       "supports 3.0 to 3.0\0Fpostmaster.c\0L2096\0RProcessStartupPacket\0\0"s,
       "postgresql|PostgreSQL DB|before 12||"},
      {"RdpNegotiation", "\x03\0\0\x13\x0e\xd0\0\0\x12\x34\0\x02\x1f\x08\0\x02\0\0\0"s,
       "ms-wbt-server|RDP||selected security protocol 2|"},
      {"RdpNegotiation", "\x03\0\0\x13\x0e\xd0\0\0\x12\x34\0\x03\0\x08\0\x05\0\0\0"s,
       "ms-wbt-server|RDP||negotiation failure 5|"},
      {"SmbNegotiate",
       std::string("\0\0\0\xf8\xfeSMB", 8) + std::string(60, '\0') +
           std::string("\x41\0\x01\0\xff\x02", 6),
       "microsoft-ds|SMB||SMB 2 or later|"},
      {"SmbNegotiate",
       std::string("\0\0\0\xf8\xfeSMB", 8) + std::string(60, '\0') +
           std::string("\x41\0\x01\0\x10\x02", 6),
       "microsoft-ds|SMB||SMB 2 dialect 528|"},
      {"SmbNegotiate", std::string("\0\0\0\x55\xffSMBr\0\0\0\0\x88", 14),
       "microsoft-ds|SMB||SMB 1|"},
      {"NULL", "", "none"},
      {"GetRequest", "garbage", "none"},
  };
  for (const auto& c : kCases) {
    const Probe* p = db.FindProbe(c.probe, true);
    ASSERT_NE(p, nullptr) << c.probe;
    EXPECT_EQ(Summary(db.Match(*p, Span(c.response))), c.want) << c.probe << ": " << c.response;
  }
}

TEST(BuiltinProbesTest, CpesOfTheCommonBanners) {
  const ProbeDb db = ProbeDb::BuiltIn();
  const auto ssh = db.Match(*db.null_probe(), Span(testing_banners::kOpenSsh));
  ASSERT_TRUE(ssh);
  EXPECT_EQ(ssh->cpes, (std::vector<std::string>{"cpe:/a:openbsd:openssh:9.2p1",
                                                 "cpe:/o:debian:debian_linux"}));
  const auto nginx = db.Match(*db.FindProbe("GetRequest", true), Span(testing_banners::kNginx));
  ASSERT_TRUE(nginx);
  EXPECT_EQ(nginx->cpes, (std::vector<std::string>{"cpe:/a:f5:nginx:1.22.1"}));
}

// Where nmap's database has a line for the same banner, the built-ins name the same service,
// product and version, so results do not change when nmap-common is installed or removed.
TEST(BuiltinProbesTest, AgreeWithNmapOnTheCommonBanners) {
  const ProbeDb nmap = ProbeDb::Load("/usr/share/nmap/nmap-service-probes");
  if (nmap.FindProbe("GetRequest", true) == nullptr ||
      nmap.FindProbe("redis-server", true) == nullptr) {
    GTEST_SKIP() << "no /usr/share/nmap/nmap-service-probes";
  }
  const ProbeDb builtin = ProbeDb::BuiltIn();
  const struct {
    const char* nmap_probe;
    const char* builtin_probe;
    std::string_view response;
  } kCases[] = {
      {"NULL", "NULL", testing_banners::kOpenSsh},
      {"NULL", "NULL", testing_banners::kVsftpd},
      {"GetRequest", "GetRequest", testing_banners::kNginx},
      {"redis-server", "RedisPingInfo", testing_banners::kRedisInfo},
      {"NULL", "NULL", "SSH-2.0-OpenSSH_9.6\r\n"},
      {"NULL", "NULL", "220 mail.example.org ESMTP Postfix (Debian/GNU)\r\n"},
  };
  auto key = [](const std::optional<ServiceMatch>& m) {
    return m ? m->service + "|" + m->product + "|" + m->version : "none";
  };
  for (const auto& c : kCases) {
    const auto a = nmap.Match(*nmap.FindProbe(c.nmap_probe, true), Span(c.response));
    const auto b = builtin.Match(*builtin.FindProbe(c.builtin_probe, true), Span(c.response));
    EXPECT_EQ(key(a), key(b)) << c.response;
  }
}

}  // namespace
}  // namespace portatlas::scan
