#include "api/tasks/task_json.h"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <string_view>

#include "core/json_writer.h"
#include "core/scan_record_json.h"

namespace portatlas::api::tasks {
namespace {

class JsonOut {
 public:
  void Str(const char* key, std::string_view v) {
    w_.Key(key);
    w_.String(v.data(), static_cast<rapidjson::SizeType>(v.size()));
  }
  void Int(const char* key, int64_t v) {
    w_.Key(key);
    w_.Int64(v);
  }
  JsonWriter& w() { return w_; }
  std::string Take() { return std::string(buf_.GetString(), buf_.GetSize()); }

 private:
  rapidjson::StringBuffer buf_;
  JsonWriter w_{buf_};
};

void WriteTask(JsonOut& out, const store::ScanTaskRow& t, bool with_texts) {
  out.w().StartObject();
  out.Int("task_id", t.id);
  out.Str("name", t.name);
  out.Str("kind", t.kind);
  out.Str("status", t.status);
  if (with_texts) {
    out.Str("targets", t.targets);
    out.Str("ports", t.ports);
  }
  out.Int("probes_done", t.probes_done);
  out.Int("probes_total", t.probes_total);
  out.Int("record_count", t.record_count);
  out.Int("open_count", t.open_count);
  out.Int("created_at", t.created_ms);
  out.Int("updated_at", t.updated_ms);
  out.w().Key("finished_at");
  if (t.finished_ms == 0) {
    out.w().Null();
  } else {
    out.w().Int64(t.finished_ms);
  }
  out.Str("error", t.error);
  out.w().EndObject();
}

}  // namespace

std::string TaskJson(const store::ScanTaskRow& task) {
  JsonOut out;
  WriteTask(out, task, true);
  return out.Take();
}

std::string TaskListJson(const store::QueryResult<store::ScanTaskRow>& page) {
  JsonOut out;
  out.w().StartObject();
  out.Int("total", page.total);
  out.w().Key("tasks");
  out.w().StartArray();
  for (const store::ScanTaskRow& t : page.rows) WriteTask(out, t, false);
  out.w().EndArray();
  out.w().EndObject();
  return out.Take();
}

std::string RecordPageJson(const store::QueryResult<store::ScanRecordRow>& page) {
  JsonOut out;
  out.w().StartObject();
  out.Int("total", page.total);
  out.w().Key("records");
  out.w().StartArray();
  for (const store::ScanRecordRow& r : page.rows)
    WriteScanRecord(out.w(), r, RecordForm::kComplete);
  out.w().EndArray();
  out.w().EndObject();
  return out.Take();
}

}  // namespace portatlas::api::tasks
