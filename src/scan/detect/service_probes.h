// ProbeDb: nmap's service-probe database (nmap-service-probes), read at run time, and the
// matcher that names the service behind a response. What to send comes from ProbesFor(), what
// came back goes to Match(). The file is nmap's (Debian: /usr/share/nmap/nmap-service-probes);
// a small built-in set in the same format stands in when it is absent (builtin_probes.h).
//
// The format, as nmap 7.x reads it (https://nmap.org/book/vscan-fileformat.html):
//
//   # comment                          whole lines only; blank lines are skipped
//   Exclude T:9100-9107                ports never probed (T:, U: or both), once, before probes
//   Probe TCP GetRequest q|GET / HTTP/1.0\r\n\r\n| [no-payload]
//                                      protocol, name, payload between any delimiter after q
//                                      (C escapes, see escapes.h); the TCP probe with an empty
//                                      payload is the NULL probe (wait for a banner)
//   ports 80,8000-8010                 where the probe is likely to succeed (plain connection)
//   sslports 443                       the same, inside TLS
//   rarity 1-9                         sent at intensity >= rarity (default 5)
//   totalwaitms 6000                   how long to wait for a response (100-300000, default 5000)
//   tcpwrappedms 3000                  a close before this means tcpwrapped (default 2000)
//   fallback GetRequest,NULL           probes whose match lines also apply (comma list)
//   match http m|^HTTP/1\.[01] |s p/Apache httpd/ v/$1/ i/($2)/ cpe:/a:apache:http_server:$1/
//   softmatch ftp m=^220[ -].*FTP=i
//                                      service, regex between any delimiter after m, flags i
//                                      (caseless) and s (dot matches newline), then version
//                                      templates (version_template.h) p/ v/ i/ h/ o/ d/ with any
//                                      delimiter and any number of cpe:/.../ (a trailing flag
//                                      letter such as the "a" of cpe:/o:linux:linux_kernel/a is
//                                      accepted and dropped)
//
// Robustness: a malformed line (unknown directive, bad port list or number, unterminated
// delimiter, unknown flag or template, bad escape, a line over kMaxLineLength, a directive
// outside a probe, a regex that does not compile) is skipped with a warning naming its line;
// after a malformed Probe line everything up to the next Probe line is skipped. A fallback
// names a probe of the same protocol or, for a TCP probe when there is none, a UDP probe (as
// nmap 7.x: the TCP DNSVersionBindReqTCP falls back to the UDP DNSVersionBindReq); other names
// are dropped with a warning. Only text over kMaxFileBytes is refused as a whole.
//
// Immutable once built; const methods are safe from any number of threads. Copies share the
// compiled regexes.
#ifndef PORTATLAS_SCAN_DETECT_SERVICE_PROBES_H_
#define PORTATLAS_SCAN_DETECT_SERVICE_PROBES_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace portatlas::scan {

class Regex;

// One match or softmatch line.
struct MatchRule {
  std::string service;  // as written; "ssl/http" means http inside TLS
  std::string pattern;  // the regex source
  bool caseless = false;
  bool dotall = false;
  bool soft = false;
  size_t line = 0;
  // Version templates, as written ("" when absent); cpes hold the whole "cpe:/a:..." text.
  std::string product, version, info, hostname, os, device;
  std::vector<std::string> cpes;
  std::shared_ptr<const Regex> regex;  // never null in a ProbeDb
};

struct Probe {
  std::string name;
  bool tcp = true;  // else UDP
  std::vector<uint8_t> payload;
  bool no_payload = false;         // "no-payload": not a UDP port-scan payload (nmap 7.94+)
  std::vector<uint16_t> ports;     // sorted, unique
  std::vector<uint16_t> sslports;  // sorted, unique
  int rarity = 5;
  int totalwaitms = 5000;
  int tcpwrappedms = 2000;
  std::vector<std::string> fallback;  // names as written, in order
  std::vector<MatchRule> matches;     // in file order
  size_t line = 0;                    // of the Probe line

  // The NULL probe: TCP, empty payload; nothing is sent, the banner is read.
  bool IsNull() const { return tcp && payload.empty(); }
  // True when `port` is in sslports (tls) or ports (plain).
  bool ListsPort(uint16_t port, bool tls) const;
  // True when one of this probe's own match lines names `service` (nmap sends only such probes
  // after a softmatch).
  bool MayDetect(std::string_view service) const;
};

// What a match line says about a response. Text fields are printable ASCII (other bytes as
// \xHH), at most kMaxFieldBytes (version_template.h), "" when the line has no such template.
struct ServiceMatch {
  std::string service;
  std::string product;
  std::string version;
  std::string info;
  std::string hostname;
  std::string os;
  std::string device;
  std::vector<std::string> cpes;  // "cpe:/a:openbsd:openssh:9.2p1", in line order
  bool soft = false;
  std::string probe;  // the probe the matching line belongs to (the probe sent or a fallback)
  size_t line = 0;    // of the matching line
};

// Counts of one Match() call, for tests and diagnostics.
struct MatchStats {
  size_t tried = 0;       // regexes run
  size_t limit_hits = 0;  // regexes stopped by a match limit (counted as no match)
};

class ProbeDb {
 public:
  static constexpr size_t kMaxFileBytes = size_t{32} << 20;
  static constexpr size_t kMaxLineLength = 16384;  // nmap 7.93's longest line is 1757
  static constexpr size_t kMaxFallbacks = 20;      // as nmap
  static constexpr size_t kMaxWarnings = 100;      // further ones are counted in a last warning
  // Match() looks at this much of a response at most (nmap stops reading at about 4 KiB); it
  // bounds the cost of unanchored regexes, whose limits apply per start position.
  static constexpr size_t kMaxResponseBytes = 64 * 1024;

  // An empty database: no probes, no warnings.
  ProbeDb() = default;

  // Parses nmap-service-probes text (see the top of this file). kInvalidArgument only for text
  // over kMaxFileBytes.
  static Result<ProbeDb> Parse(std::string_view text);
  // The built-in probes (builtin_probes.h).
  static ProbeDb BuiltIn();
  // The file at `path` (nmap-service-probes) if it can be read and parsed, with portatlas's
  // ExtraServiceProbes() after its probes and its warnings prefixed by `path`; otherwise the
  // built-ins, with a warning saying why.
  static ProbeDb Load(const std::string& path);

  // Tries the match lines of `probe` (one of this object's probes(), not a copy's: it aborts
  // otherwise), then those of its fallbacks in order, then the NULL probe's (TCP probes only;
  // each probe once), on the first kMaxResponseBytes of `response`. The first hard match wins;
  // otherwise the first softmatch met, marked soft; nullopt when nothing matches. `stats`, when
  // given, is added to.
  std::optional<ServiceMatch> Match(const Probe& probe, std::span<const uint8_t> response,
                                    MatchStats* stats = nullptr) const;

  // The probes nmap would send to `port` over `tcp` (else UDP), inside TLS when `tls`, at
  // version intensity `intensity` (nmap's default 7, --version-light 2, --version-all 9), in
  // nmap's order: the NULL probe first (TCP), then in file order the probes whose ports (or
  // sslports, with tls) list the port whatever their rarity, then in file order the others
  // with rarity <= intensity. Exclude is not applied; see IsExcluded().
  std::vector<const Probe*> ProbesFor(uint16_t port, bool tcp, bool tls, int intensity) const;

  // True when the Exclude line names `port` for the protocol (nmap skips version detection
  // there unless --allports).
  bool IsExcluded(uint16_t port, bool tcp) const;

  // The probe named `name` for the protocol, or nullptr.
  const Probe* FindProbe(std::string_view name, bool tcp) const;
  const Probe* null_probe() const;  // nullptr when there is none
  const std::vector<Probe>& probes() const { return probes_; }
  size_t match_count() const;      // match lines kept
  size_t softmatch_count() const;  // softmatch lines kept

  // "line 12: ...; line skipped", ... in the order met.
  const std::vector<std::string>& warnings() const { return warnings_; }

 private:
  friend class ProbeFileParser;

  void Warn(std::string warning);
  size_t IndexOf(const Probe& probe) const;

  std::vector<Probe> probes_;               // file order
  std::vector<std::vector<size_t>> chain_;  // per probe: itself, fallbacks, NULL
  std::vector<uint16_t> excluded_tcp_;      // sorted, unique
  std::vector<uint16_t> excluded_udp_;
  std::vector<std::string> warnings_;
  size_t unreported_warnings_ = 0;
};

// The same as ProbeDb::Parse.
Result<ProbeDb> ParseServiceProbes(std::string_view text);

}  // namespace portatlas::scan

#endif  // PORTATLAS_SCAN_DETECT_SERVICE_PROBES_H_
