// The nmap-service-probes syntax (see service_probes.h), apart from the database that holds
// what it reads. Internal to the detect library; ProbeDb::Parse is the interface.
#ifndef PORTATLAS_SCAN_DETECT_PROBE_FILE_PARSER_H_
#define PORTATLAS_SCAN_DETECT_PROBE_FILE_PARSER_H_

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "scan/detect/service_probes.h"

namespace portatlas::scan {

// Fills a ProbeDb one line at a time. Not thread-safe; one parser per text.
class ProbeFileParser {
 public:
  // `db` must be empty and outlive the parser.
  explicit ProbeFileParser(ProbeDb* db) : db_(db) {}

  // `line` without its '\n'; line numbers start at 1.
  void Line(size_t line_no, std::string_view line);
  // Resolves fallbacks and closes the warnings list; call once, after the last line.
  void Finish();

 private:
  // Warns "line N: what; line skipped".
  void Skip(size_t line_no, std::string_view what);
  void StartProbe(size_t line_no, std::string_view rest);
  void Exclude(size_t line_no, std::string_view rest);
  void Directive(size_t line_no, std::string_view directive, std::string_view rest);
  void AddMatch(size_t line_no, std::string_view rest, bool soft);

  ProbeDb* db_;
  bool skipping_probe_ = false;  // after a malformed Probe line, until the next one
  bool exclude_seen_ = false;
  std::vector<size_t> fallback_line_;  // per probe: where its fallback line is (0: none)
};

}  // namespace portatlas::scan

#endif  // PORTATLAS_SCAN_DETECT_PROBE_FILE_PARSER_H_
