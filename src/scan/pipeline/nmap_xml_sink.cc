#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>

#include "scan/pipeline/sinks.h"

namespace portatlas::scan {
namespace {

class NmapXmlSink final : public FinishingSink {
 public:
  NmapXmlSink(std::FILE* f, NmapXmlWriter::ServiceTable names)
      : file_(f, std::fclose), xml_(std::make_unique<NmapXmlWriter>(f, std::move(names))) {}

  Status Begin(const NmapRunHeader& header) { return xml_->Begin(header); }
  bool WantsClosed() const override { return true; }
  void Write(const ScanRecord& rec) override {
    if (xml_) xml_->AddRecord(rec);
  }
  Status Finish(const ScanEnd& end) override {
    if (!xml_) return Status::Ok();
    NmapRunStats st;
    st.end_s = std::chrono::duration_cast<std::chrono::seconds>(
                   std::chrono::system_clock::now().time_since_epoch())
                   .count();
    st.elapsed_s = end.elapsed_s;
    st.hosts_up = end.hosts_up;
    st.hosts_total = end.hosts_total;
    st.hosts_down = end.hosts_total - std::min(end.hosts_total, end.hosts_up);
    Status status = xml_->End(st);
    xml_.reset();
    if (std::fclose(file_.release()) != 0 && status.ok()) {
      status = ErrnoStatus(errno, "write XML");
    }
    return status;
  }

 private:
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> file_;
  std::unique_ptr<NmapXmlWriter> xml_;
};

}  // namespace

Result<std::unique_ptr<FinishingSink>> OpenNmapXmlSink(const std::string& path,
                                                       const NmapRunHeader& header,
                                                       NmapXmlWriter::ServiceTable names) {
  std::FILE* f = path == "-" ? fdopen(dup(STDOUT_FILENO), "w") : std::fopen(path.c_str(), "w");
  if (f == nullptr) return ErrnoStatus(errno, "open " + path);
  auto sink = std::make_unique<NmapXmlSink>(f, std::move(names));
  PA_RETURN_IF_ERROR(sink->Begin(header));
  return std::unique_ptr<FinishingSink>(std::move(sink));
}

}  // namespace portatlas::scan
