#include <fmt/format.h>
#include <unistd.h>

#include <cerrno>

#include "core/scan_record_json.h"
#include "scan/pipeline/sinks.h"

namespace portatlas::scan {
namespace {

class JsonLinesSink final : public FinishingSink {
 public:
  explicit JsonLinesSink(std::FILE* f) : file_(f, std::fclose) {}
  void Write(const ScanRecord& rec) override {
    fmt::print(file_.get(), "{}\n", ScanRecordJson(rec));
  }
  Status Finish(const ScanEnd&) override {
    if (!file_) return Status::Ok();
    const int rc = std::fclose(file_.release());
    if (rc != 0) return ErrnoStatus(errno, "write the JSON lines");
    return Status::Ok();
  }

 private:
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> file_;
};

}  // namespace

Result<std::unique_ptr<FinishingSink>> OpenJsonLinesSink(const std::string& path, bool append) {
  std::FILE* f =
      path == "-" ? fdopen(dup(STDOUT_FILENO), "w") : std::fopen(path.c_str(), append ? "a" : "w");
  if (f == nullptr) return ErrnoStatus(errno, "open " + path);
  return std::unique_ptr<FinishingSink>(std::make_unique<JsonLinesSink>(f));
}

}  // namespace portatlas::scan
