#include <fmt/format.h>

#include "scan/pipeline/sinks.h"

namespace portatlas::scan {
namespace {

class TextSink final : public FinishingSink {
 public:
  explicit TextSink(std::FILE* out) : out_(out) {}
  void Write(const ScanRecord& rec) override {
    std::string text =
        fmt::format("{} {}/{} {}", rec.ip.ToString(), rec.port, ProtoName(rec.proto), rec.state);
    for (const std::string* f : {&rec.service, &rec.product, &rec.version}) {
      if (!f->empty()) text += " " + *f;
    }
    if (!rec.info.empty()) text += " (" + rec.info + ")";
    fmt::print(out_, "{}\n", text);
  }
  Status Finish(const ScanEnd&) override {
    if (std::fflush(out_) != 0) return ErrnoStatus(errno, "write the results");
    return Status::Ok();
  }

 private:
  std::FILE* out_;
};

}  // namespace

std::unique_ptr<FinishingSink> MakeTextSink(std::FILE* out) {
  return std::make_unique<TextSink>(out);
}

}  // namespace portatlas::scan
