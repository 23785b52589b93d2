// The sinks of the scan pipeline, one output each: text lines, JSON lines (-oJ), nmap XML
// (-oX) and the scan-task uploader (--server). Each Finish() ends its output once the scan is
// over; records after it are not taken.
#ifndef PORTATLAS_SCAN_PIPELINE_SINKS_H_
#define PORTATLAS_SCAN_PIPELINE_SINKS_H_

#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>

#include "core/status.h"
#include "scan/formats/nmap_xml_writer.h"
#include "scan/pipeline/pipeline.h"
#include "scan/upload/task_uploader.h"

namespace portatlas::scan {

// How a scan ended, for the sinks that close with a summary.
struct ScanEnd {
  double elapsed_s = 0;
  uint64_t hosts_total = 0;
  uint64_t hosts_up = 0;
  bool interrupted = false;
};

class FinishingSink : public ResultSink {
 public:
  virtual Status Finish(const ScanEnd& end) = 0;
};

// "IP PORT/PROTO STATE [service product version] [(info)]" per listed port, to `out`
// (not owned).
std::unique_ptr<FinishingSink> MakeTextSink(std::FILE* out);

// One JSON object a line (scan/record_json.h) to `path` ("-": standard output), appended to
// when `append` (a resumed scan). Errors: the open's.
Result<std::unique_ptr<FinishingSink>> OpenJsonLinesSink(const std::string& path, bool append);

// nmap's XML to `path` ("-": standard output); closed ports are listed too. Errors: the open's
// or the header's write.
Result<std::unique_ptr<FinishingSink>> OpenNmapXmlSink(const std::string& path,
                                                       const NmapRunHeader& header,
                                                       NmapXmlWriter::ServiceTable names);

// Records and progress to a scan task; Finish reports it done, or failed when interrupted.
// `uploader` must outlive the sink.
std::unique_ptr<FinishingSink> MakeUploadSink(TaskUploader& uploader);

}  // namespace portatlas::scan

#endif  // PORTATLAS_SCAN_PIPELINE_SINKS_H_
