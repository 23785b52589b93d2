// Service responses shared by the tests of the built-in probes and of nmap's database.
#ifndef PORTATLAS_SCAN_DETECT_TEST_BANNERS_H_
#define PORTATLAS_SCAN_DETECT_TEST_BANNERS_H_

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace portatlas::scan::testing_banners {

inline std::span<const uint8_t> Span(std::string_view s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

inline constexpr std::string_view kOpenSsh = "SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n";
inline constexpr std::string_view kVsftpd = "220 (vsFTPd 3.0.3)\r\n";
inline constexpr std::string_view kNginx =
    "HTTP/1.1 200 OK\r\n"
    "Server: nginx/1.22.1\r\n"
    "Date: Mon, 06 May 2024 10:00:00 GMT\r\n"
    "Content-Type: text/html\r\n"
    "Content-Length: 615\r\n"
    "Last-Modified: Tue, 11 Apr 2023 01:45:34 GMT\r\n"
    "Connection: close\r\n"
    "ETag: \"6434bbbe-267\"\r\n"
    "Accept-Ranges: bytes\r\n"
    "\r\n"
    "<!DOCTYPE html>\n<html>\n<head>\n<title>Welcome to nginx!</title>\n</head>\n</html>\n";
// The answer to INFO (RESP bulk string), abridged.
inline constexpr std::string_view kRedisInfo =
    "$3742\r\n"
    "# Server\r\n"
    "redis_version:7.0.15\r\n"
    "redis_git_sha1:00000000\r\n"
    "redis_git_dirty:0\r\n"
    "redis_build_id:3f3b6e3c2f2f1a0b\r\n"
    "redis_mode:standalone\r\n"
    "os:Linux 6.1.0-18-amd64 x86_64\r\n"
    "arch_bits:64\r\n"
    "tcp_port:6379\r\n"
    "\r\n"
    "# Clients\r\n"
    "connected_clients:1\r\n";

// 1 MiB meant to be expensive: protocol prefixes that start many matches, NUL bytes, invalid
// UTF-8, long runs of one character and of CRLF.
inline std::string HostileBanner() {
  static const std::string kUnit = std::string("SSH-2.0-", 8) + std::string(200, 'a') +
                                   std::string("\0\xff\xfe\xc0\x80\xed\xa0\x80", 8) +
                                   "HTTP/1.1 200 OK\r\nServer: " + std::string(300, '\r') +
                                   std::string(100, '\n') + "220 " + std::string(150, ' ') +
                                   "<html><title>" + std::string(100, '<') + "$\x01";
  std::string out;
  while (out.size() < (size_t{1} << 20)) out += kUnit;
  out.resize(size_t{1} << 20);
  return out;
}

}  // namespace portatlas::scan::testing_banners

#endif  // PORTATLAS_SCAN_DETECT_TEST_BANNERS_H_
