#include "scan/pipeline/sinks.h"

namespace portatlas::scan {
namespace {

class UploadSink final : public FinishingSink {
 public:
  explicit UploadSink(TaskUploader& uploader) : uploader_(uploader) {}
  void Write(const ScanRecord& rec) override {
    if (!finished_) uploader_.Add(rec);
  }
  // The task's progress counts the probes of every phase (TCP, then UDP).
  void Progress(uint64_t done, uint64_t total) override {
    if (!finished_) uploader_.Progress(done, total);
  }
  Status Finish(const ScanEnd& end) override {
    finished_ = true;
    return uploader_.Finish(!end.interrupted, end.interrupted ? "interrupted" : "");
  }

 private:
  TaskUploader& uploader_;
  bool finished_ = false;
};

}  // namespace

std::unique_ptr<FinishingSink> MakeUploadSink(TaskUploader& uploader) {
  return std::make_unique<UploadSink>(uploader);
}

}  // namespace portatlas::scan
