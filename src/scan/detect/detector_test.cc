// The detector against small servers of the test's own on 127.0.0.1: banner first, client first
// on a port no probe lists, TLS with a certificate made here, a closing (tcpwrapped) port, a
// version that only a follow-up probe reads, UDP, and a silent port bounded by its timeout.
#include "scan/detect/detector.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "scan/detect/service_probes.h"
#include "scan/detect/test_banners.h"

namespace portatlas::scan {
namespace {

// Reads what the client sends until `want` has come (or the client stops): true if it came.
bool ReadUntil(int fd, std::string_view want, std::string* got, int timeout_ms = 3000) {
  char buf[2048];
  while (got->find(want) == std::string::npos) {
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, timeout_ms) <= 0) return false;
    const ssize_t n = recv(fd, buf, sizeof(buf), 0);
    if (n <= 0) return false;
    got->append(buf, static_cast<size_t>(n));
  }
  return true;
}

void SendAll(int fd, std::string_view data) {
  while (!data.empty()) {
    const ssize_t n = send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n <= 0) return;
    data.remove_prefix(static_cast<size_t>(n));
  }
}

// A TCP (or UDP) server on 127.0.0.1 with an ephemeral port; each connection (or datagram) is
// handed to `serve` on a thread of its own. Counts connections.
class TestServer {
 public:
  explicit TestServer(std::function<void(int)> serve, bool udp = false)
      : serve_(std::move(serve)), udp_(udp) {
    fd_ = socket(AF_INET, udp ? SOCK_DGRAM : SOCK_STREAM, 0);
    sockaddr_in sin{};
    sin.sin_family = AF_INET;
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    const int one = 1;
    setsockopt(fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    EXPECT_EQ(bind(fd_, reinterpret_cast<sockaddr*>(&sin), sizeof(sin)), 0);
    socklen_t len = sizeof(sin);
    getsockname(fd_, reinterpret_cast<sockaddr*>(&sin), &len);
    port_ = ntohs(sin.sin_port);
    if (!udp) listen(fd_, 64);
    thread_ = std::thread([this] { Loop(); });
  }
  ~TestServer() {
    stop_ = true;
    shutdown(fd_, SHUT_RDWR);
    close(fd_);
    thread_.join();
    for (auto& t : handlers_) t.join();
  }
  uint16_t port() const { return port_; }
  int connections() const { return connections_.load(); }

 private:
  void Loop() {
    while (!stop_) {
      pollfd p{fd_, POLLIN, 0};
      if (poll(&p, 1, 50) <= 0) continue;
      if (udp_) {
        serve_(fd_);
        continue;
      }
      const int c = accept(fd_, nullptr, nullptr);
      if (c < 0) continue;
      ++connections_;
      handlers_.emplace_back([this, c] {
        serve_(c);
        close(c);
      });
    }
  }

  std::function<void(int)> serve_;
  bool udp_;
  int fd_ = -1;
  uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> connections_{0};
  std::thread thread_;
  std::vector<std::thread> handlers_;
};

ScanRecord Port(uint16_t port, Proto proto = Proto::kTcp) {
  ScanRecord r;
  r.ip = *ParseIpAddr("127.0.0.1");
  r.proto = proto;
  r.port = port;
  return r;
}

ScanRecord DetectOne(const ProbeDb& db, ScanRecord port, DetectOptions options = {},
                     DetectStats* stats = nullptr) {
  auto out = DetectServices(db, {std::move(port)}, options, stats);
  EXPECT_TRUE(out);
  EXPECT_EQ(out->size(), 1u);
  return out->empty() ? ScanRecord{} : out->front();
}

TEST(DetectorTest, BannerFirstServiceIsNamedFromTheNullProbe) {
  TestServer ssh([](int fd) {
    SendAll(fd, testing_banners::kOpenSsh);
    std::string got;
    ReadUntil(fd, "\n", &got, 2000);
  });
  const ProbeDb db = ProbeDb::BuiltIn();
  DetectStats stats;
  const ScanRecord r = DetectOne(db, Port(ssh.port()), {}, &stats);
  EXPECT_EQ(r.service, "ssh");
  EXPECT_EQ(r.product, "OpenSSH");
  EXPECT_EQ(r.version, "9.2p1 Debian 2+deb12u3");
  EXPECT_NE(r.cpe.find("cpe:/a:openbsd:openssh:9.2p1"), std::string::npos);
  EXPECT_EQ(r.banner_hash.size(), 64u);
  EXPECT_TRUE(r.tls.empty());
  EXPECT_EQ(stats.identified, 1u);
}

TEST(DetectorTest, ClientFirstServiceOnAnUnlistedPortDoesNotWaitForTheNullProbe) {
  // The server answers only GET; the NULL probe's 6 s would outlast the port's 3 s budget, so
  // a detector that waited for it before probing would report nothing.
  TestServer http([](int fd) {
    std::string got;
    if (ReadUntil(fd, "\r\n\r\n", &got) && got.rfind("GET / HTTP/1.0", 0) == 0) {
      SendAll(fd, testing_banners::kNginx);
    }
  });
  const ProbeDb db = ProbeDb::BuiltIn();
  DetectOptions o;
  o.port_timeout_ms = 3000;
  const ScanRecord r = DetectOne(db, Port(http.port()), o);
  EXPECT_EQ(r.service, "http");
  EXPECT_EQ(r.product, "nginx");
  EXPECT_EQ(r.version, "1.22.1");
}

TEST(DetectorTest, HttpDateDoesNotChangeTheBannerHash) {
  std::atomic<int> n{0};
  TestServer http([&n](int fd) {
    std::string got;
    if (!ReadUntil(fd, "\r\n\r\n", &got) || got.rfind("GET / HTTP/1.0", 0) != 0) return;
    std::string reply(testing_banners::kNginx);
    const size_t at = reply.find("Mon, 06");
    reply.replace(at, 7, ++n % 2 == 0 ? "Tue, 07" : "Wed, 08");
    SendAll(fd, reply);
  });
  const ProbeDb db = ProbeDb::BuiltIn();
  const ScanRecord a = DetectOne(db, Port(http.port()));
  const ScanRecord b = DetectOne(db, Port(http.port()));
  ASSERT_EQ(a.banner_hash.size(), 64u);
  EXPECT_EQ(a.banner_hash, b.banner_hash);
}

// A self-signed certificate for CN=detector.test, made with OpenSSL here.
struct TestCert {
  EVP_PKEY* key = nullptr;
  X509* cert = nullptr;
  TestCert() {
    key = EVP_EC_gen("P-256");
    cert = X509_new();
    ASN1_INTEGER_set(X509_get_serialNumber(cert), 7);
    X509_gmtime_adj(X509_getm_notBefore(cert), 0);
    X509_gmtime_adj(X509_getm_notAfter(cert), 86400L * 30);
    X509_set_pubkey(cert, key);
    X509_NAME* name = X509_get_subject_name(cert);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                               reinterpret_cast<const unsigned char*>("detector.test"), -1, -1, 0);
    X509_set_issuer_name(cert, name);
    X509_sign(cert, key, EVP_sha256());
  }
  ~TestCert() {
    X509_free(cert);
    EVP_PKEY_free(key);
  }
};

TEST(DetectorTest, TlsPortIsProbedInsideTlsWithTheCertificateFacts) {
  TestCert cert;
  SSL_CTX* ctx = SSL_CTX_new(TLS_server_method());
  ASSERT_EQ(SSL_CTX_use_certificate(ctx, cert.cert), 1);
  ASSERT_EQ(SSL_CTX_use_PrivateKey(ctx, cert.key), 1);
  TestServer https([ctx](int fd) {
    SSL* ssl = SSL_new(ctx);
    SSL_set_fd(ssl, fd);
    if (SSL_accept(ssl) == 1) {
      std::string got;
      char buf[1024];
      while (got.find("\r\n\r\n") == std::string::npos) {
        const int n = SSL_read(ssl, buf, sizeof(buf));
        if (n <= 0) break;
        got.append(buf, static_cast<size_t>(n));
      }
      if (got.rfind("GET / HTTP/1.0", 0) == 0) {
        SSL_write(ssl, testing_banners::kNginx.data(),
                  static_cast<int>(testing_banners::kNginx.size()));
      }
      SSL_shutdown(ssl);
    }
    SSL_free(ssl);
  });
  const ProbeDb db = ProbeDb::BuiltIn();
  DetectStats stats;
  const ScanRecord r = DetectOne(db, Port(https.port()), {}, &stats);
  SSL_CTX_free(ctx);
  EXPECT_EQ(r.service, "https");
  EXPECT_EQ(r.product, "nginx");
  EXPECT_EQ(r.version, "1.22.1");
  EXPECT_GE(stats.tls_handshakes, 1u);
  EXPECT_NE(r.tls.find(R"("subject":"CN=detector.test")"), std::string::npos) << r.tls;
  EXPECT_NE(r.tls.find(R"("issuer":"CN=detector.test")"), std::string::npos) << r.tls;
  EXPECT_NE(r.tls.find(R"("self_signed":true)"), std::string::npos) << r.tls;
  EXPECT_NE(r.tls.find(R"("not_after":")"), std::string::npos) << r.tls;
  EXPECT_NE(r.tls.find(R"("version":"TLSv1.3")"), std::string::npos) << r.tls;
}

// An SMTP server with (or without) STARTTLS in its EHLO answer.
void ServeSmtp(int fd, SSL_CTX* tls) {
  SendAll(fd, "220 mail.pa-tb.test ESMTP Postfix (Debian/GNU)\r\n");
  std::string got;
  while (ReadUntil(fd, "\r\n", &got, 2000)) {
    const std::string line = got.substr(0, got.find("\r\n"));
    got.erase(0, line.size() + 2);
    if (line.rfind("EHLO ", 0) == 0) {
      SendAll(fd, tls != nullptr ? "250-mail.pa-tb.test\r\n250-PIPELINING\r\n250 STARTTLS\r\n"
                                 : "250-mail.pa-tb.test\r\n250 PIPELINING\r\n");
    } else if (line == "STARTTLS" && tls != nullptr) {
      SendAll(fd, "220 2.0.0 Ready to start TLS\r\n");
      SSL* ssl = SSL_new(tls);
      SSL_set_fd(ssl, fd);
      SSL_accept(ssl);
      SSL_free(ssl);
      return;
    } else {
      SendAll(fd, "502 5.5.2 Error: command not recognized\r\n");
    }
  }
}

TEST(DetectorTest, StartTlsOnAPlainMailPortReadsTheCertificate) {
  TestCert cert;
  SSL_CTX* ctx = SSL_CTX_new(TLS_server_method());
  ASSERT_EQ(SSL_CTX_use_certificate(ctx, cert.cert), 1);
  ASSERT_EQ(SSL_CTX_use_PrivateKey(ctx, cert.key), 1);
  TestServer with([ctx](int fd) { ServeSmtp(fd, ctx); });
  TestServer without([](int fd) { ServeSmtp(fd, nullptr); });
  const ProbeDb db = ProbeDb::BuiltIn();
  const ScanRecord r = DetectOne(db, Port(with.port()));
  const ScanRecord plain = DetectOne(db, Port(without.port()));
  SSL_CTX_free(ctx);
  EXPECT_EQ(r.service, "smtp");  // still a plain port
  EXPECT_EQ(r.product, "Postfix smtpd");
  EXPECT_EQ(r.tls.rfind(R"({"starttls":true,)", 0), 0u) << r.tls;
  EXPECT_NE(r.tls.find(R"("subject":"CN=detector.test")"), std::string::npos) << r.tls;
  EXPECT_EQ(plain.service, "smtp");
  EXPECT_TRUE(plain.tls.empty()) << plain.tls;
}

TEST(DetectorTest, PortThatClosesAtOnceIsTcpwrapped) {
  TestServer wrapped([](int) {});
  const ProbeDb db = ProbeDb::BuiltIn();
  const ScanRecord r = DetectOne(db, Port(wrapped.port()));
  EXPECT_EQ(r.service, "tcpwrapped");
  EXPECT_TRUE(r.product.empty());
}

TEST(DetectorTest, HardMatchWithoutVersionIsFollowedByAProbeThatReadsIt) {
  // "Hello" names the service at rarity 1; only "Version" (rarity 9, another port) reads the
  // version. nmap stops at the first hard match.
  const auto db = ProbeDb::Parse(
      "Probe TCP NULL q||\ntotalwaitms 6000\n"
      "Probe TCP Hello q|hello\\r\\n|\nrarity 1\n"
      "match toy m|^TOY ready\\r\\n| p/Toy server/\n"
      "Probe TCP Version q|version\\r\\n|\nrarity 9\nports 1\n"
      "match toy m|^TOY ([\\d.]+)\\r\\n| p/Toy server/ v/$1/\n");
  ASSERT_TRUE(db);
  ASSERT_TRUE(db->warnings().empty()) << db->warnings().front();
  TestServer toy([](int fd) {
    std::string got;
    if (!ReadUntil(fd, "\r\n", &got)) return;
    if (got == "hello\r\n") SendAll(fd, "TOY ready\r\n");
    if (got == "version\r\n") SendAll(fd, "TOY 4.2.1\r\n");
    ReadUntil(fd, "never", &got, 1000);
  });
  const ScanRecord r = DetectOne(*db, Port(toy.port()));
  EXPECT_EQ(r.service, "toy");
  EXPECT_EQ(r.product, "Toy server");
  EXPECT_EQ(r.version, "4.2.1");
}

TEST(DetectorTest, UdpServiceAnswersItsProbe) {
  const auto db = ProbeDb::Parse(
      "Probe UDP Ping q|ping|\nrarity 1\n"
      "match toy m|^pong ([\\d.]+)$| p/Toy UDP/ v/$1/\n");
  ASSERT_TRUE(db);
  TestServer udp(
      [](int fd) {
        char buf[512];
        sockaddr_storage from{};
        socklen_t len = sizeof(from);
        const ssize_t n =
            recvfrom(fd, buf, sizeof(buf), 0, reinterpret_cast<sockaddr*>(&from), &len);
        if (n == 4 && std::string_view(buf, 4) == "ping") {
          sendto(fd, "pong 1.5", 8, 0, reinterpret_cast<sockaddr*>(&from), len);
        }
      },
      true);
  const ScanRecord r = DetectOne(*db, Port(udp.port(), Proto::kUdp));
  EXPECT_EQ(r.service, "toy");
  EXPECT_EQ(r.version, "1.5");
}

TEST(DetectorTest, SilentPortEndsWithinItsTimeoutAndNamesNothing) {
  TestServer silent([](int fd) {
    std::string got;
    ReadUntil(fd, "never", &got, 4000);
  });
  const ProbeDb db = ProbeDb::BuiltIn();
  DetectOptions o;
  o.port_timeout_ms = 800;
  const ScanRecord r = DetectOne(db, Port(silent.port()), o);
  EXPECT_TRUE(r.service.empty()) << r.service;
  EXPECT_TRUE(r.banner_hash.empty());
}

TEST(DetectorTest, ManyPortsAreDetectedTogether) {
  TestServer ssh([](int fd) {
    SendAll(fd, testing_banners::kOpenSsh);
    std::string got;
    ReadUntil(fd, "\n", &got, 1000);
  });
  TestServer ftp([](int fd) {
    SendAll(fd, testing_banners::kVsftpd);
    std::string got;
    ReadUntil(fd, "\n", &got, 1000);
  });
  const ProbeDb db = ProbeDb::BuiltIn();
  std::vector<ScanRecord> ports;
  for (int i = 0; i < 20; ++i) ports.push_back(Port(i % 2 == 0 ? ssh.port() : ftp.port()));
  DetectOptions o;
  o.threads = 2;
  auto out = DetectServices(db, ports, o);
  ASSERT_TRUE(out);
  ASSERT_EQ(out->size(), 20u);
  for (size_t i = 0; i < out->size(); ++i) {
    EXPECT_EQ((*out)[i].port, ports[i].port);
    EXPECT_EQ((*out)[i].service, i % 2 == 0 ? "ssh" : "ftp") << i;
  }
}

// Hostile or broken servers: whatever they send, detection ends, within the port's budget, and
// names nothing it cannot know.
TEST(DetectorTest, FloodingServerIsReadOnlyUpToTheCap) {
  TestServer flood([](int fd) {
    const std::string chunk(64 * 1024, 'A');
    for (int i = 0; i < 160; ++i) {  // 10 MiB, or until the detector hangs up
      if (send(fd, chunk.data(), chunk.size(), MSG_NOSIGNAL) <= 0) return;
    }
  });
  const ProbeDb db = ProbeDb::BuiltIn();
  DetectOptions o;
  o.port_timeout_ms = 5000;
  const ScanRecord r = DetectOne(db, Port(flood.port()), o);
  EXPECT_TRUE(r.service.empty()) << r.service;
  EXPECT_EQ(r.banner_hash.size(), 64u);  // it did read something
}

TEST(DetectorTest, TricklingServerEndsAtTheProbesWait) {
  // One byte every 50 ms never lets a reply go quiet; the probe's totalwaitms and the port's
  // budget end it.
  TestServer trickle([](int fd) {
    for (int i = 0; i < 100; ++i) {
      if (send(fd, "x", 1, MSG_NOSIGNAL) <= 0) return;
      usleep(50 * 1000);
    }
  });
  const auto db = ProbeDb::Parse("Probe TCP NULL q||\ntotalwaitms 1000\n");
  ASSERT_TRUE(db);
  DetectOptions o;
  o.port_timeout_ms = 2000;
  const auto t0 = std::chrono::steady_clock::now();
  const ScanRecord r = DetectOne(*db, Port(trickle.port()), o);
  EXPECT_TRUE(r.service.empty()) << r.service;
  // Not a timing assertion on speed: a bound that only a hang would break.
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(4));
}

TEST(DetectorTest, GarbageAfterATlsRecordHeaderFailsTheHandshakeCleanly) {
  TestServer fake_tls([](int fd) {
    std::string got;
    ReadUntil(fd, "never", &got, 300);  // the ClientHello, or nothing on the NULL connection
    SendAll(fd, std::string("\x16\x03\x01\x00\x05garbage-that-is-not-a-handshake", 36));
  });
  const ProbeDb db = ProbeDb::BuiltIn();
  DetectStats stats;
  const ScanRecord r = DetectOne(db, Port(fake_tls.port()), {}, &stats);
  EXPECT_EQ(stats.tls_handshakes, 0u);
  EXPECT_TRUE(r.tls.empty());
}

TEST(DetectorTest, PortsOfOneAddressAreDetectedAFewAtATime) {
  // Six banner services on 127.0.0.1 that keep each connection a while: with per_host 1 and one
  // probe connection per port, no more than one port's connections (NULL, probe, TLS) are open
  // at once.
  std::atomic<int> open{0}, most{0};
  auto serve = [&](int fd) {
    const int now = ++open;
    int seen = most.load();
    while (now > seen && !most.compare_exchange_weak(seen, now)) {
    }
    SendAll(fd, testing_banners::kOpenSsh);
    std::string got;
    ReadUntil(fd, "never", &got, 200);
    --open;
  };
  std::vector<std::unique_ptr<TestServer>> servers;
  std::vector<ScanRecord> ports;
  for (int i = 0; i < 6; ++i) {
    servers.push_back(std::make_unique<TestServer>(serve));
    ports.push_back(Port(servers.back()->port()));
  }
  const ProbeDb db = ProbeDb::BuiltIn();
  DetectOptions o;
  o.per_host = 1;
  o.parallel = 1;
  o.threads = 2;
  auto out = DetectServices(db, ports, o);
  ASSERT_TRUE(out);
  for (const ScanRecord& r : *out) EXPECT_EQ(r.service, "ssh");
  EXPECT_LE(most.load(), 3);
}

}  // namespace
}  // namespace portatlas::scan
