// The --resume state file of a scan: where an interrupted scan stopped in each phase, the key
// of its probe order, and a fingerprint of the scan (targets, ports, TCP engine), so that a
// state file is only ever taken up by the same scan. One JSON object, written to a temporary
// file and renamed into place.
#ifndef PORTATLAS_SCAN_PIPELINE_RESUME_H_
#define PORTATLAS_SCAN_PIPELINE_RESUME_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "scan/targets.h"

namespace portatlas::scan {

struct ResumePoint {
  std::string fingerprint;
  uint64_t seed = 0;      // the probe order's key; 0: not chosen yet
  uint64_t tcp_next = 0;  // the first position of the TCP phase not yet reported
  uint64_t udp_next = 0;

  friend bool operator==(const ResumePoint&, const ResumePoint&) = default;
};

// Hex SHA-256 of the targets, the ports of both phases and the TCP engine's name.
std::string ScanFingerprint(const TargetSet& targets, const std::vector<uint16_t>& tcp,
                            const std::vector<uint16_t>& udp, std::string_view tcp_engine);

// nullopt when there is no file at `path`; InvalidArgument when it is not a resume file (bad
// JSON, a missing or mistyped field); the read's error otherwise.
Result<std::optional<ResumePoint>> LoadResume(const std::string& path);

// Writes `point` to path.tmp and renames it to `path`.
Status SaveResume(const std::string& path, const ResumePoint& point);

}  // namespace portatlas::scan

#endif  // PORTATLAS_SCAN_PIPELINE_RESUME_H_
