#include "store/sqlite/row_codec.h"

#include <fmt/format.h>
#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <limits>

#include "core/json_writer.h"

namespace portatlas::store {
namespace {

constexpr size_t kPortFields = 15;
constexpr size_t kEventFields = 12;

using Writer = JsonWriter;

void Str(Writer& w, std::string_view s) { w.String(s.data(), static_cast<unsigned>(s.size())); }

// Typed access to one element (a fixed-length array) with a message naming what is wrong.
class Fields {
 public:
  Fields(const rapidjson::Value& v, size_t index) : v_(v), index_(index) {}

  Status Shape(size_t n) const {
    if (!v_.IsArray() || v_.Size() != n) return Bad("is not an array of {} values", n);
    return Status::Ok();
  }
  // Reads an integer in [lo, hi] into any integral or enum `out`.
  template <typename T>
  Status Int(unsigned i, int64_t lo, int64_t hi, T* out) const {
    const rapidjson::Value& x = v_[i];
    if (!x.IsInt64() || x.GetInt64() < lo || x.GetInt64() > hi) {
      return Bad("value {} is not an integer in [{}, {}]", i, lo, hi);
    }
    *out = static_cast<T>(x.GetInt64());
    return Status::Ok();
  }
  Status Uint(unsigned i, uint64_t* out) const {
    if (!v_[i].IsUint64()) return Bad("value {} is not an unsigned integer", i);
    *out = v_[i].GetUint64();
    return Status::Ok();
  }
  Status Text(unsigned i, std::string* out) const {
    if (!v_[i].IsString()) return Bad("value {} is not a string", i);
    out->assign(v_[i].GetString(), v_[i].GetStringLength());
    return Status::Ok();
  }
  Status Bool(unsigned i, bool* out) const {
    int v = 0;
    PA_RETURN_IF_ERROR(Int(i, 0, 1, &v));
    *out = v != 0;
    return Status::Ok();
  }

 private:
  template <typename... Args>
  Status Bad(fmt::format_string<Args...> f, Args&&... args) const {
    return InternalError(
        fmt::format("element {}: {}", index_, fmt::format(f, std::forward<Args>(args)...)));
  }
  const rapidjson::Value& v_;
  size_t index_;
};

Status ParseArray(std::string_view json, rapidjson::Document* doc) {
  doc->Parse<rapidjson::kParseIterativeFlag>(json.data(), json.size());
  if (doc->HasParseError() || !doc->IsArray()) return InternalError("not a JSON array");
  return Status::Ok();
}

constexpr int64_t kMaxInt = std::numeric_limits<int>::max();
constexpr int64_t kMaxTime = std::numeric_limits<int64_t>::max();

}  // namespace

std::string EncodePorts(std::span<const PortRow> ports) {
  rapidjson::StringBuffer buf;
  Writer w(buf);
  w.StartArray();
  for (const PortRow& r : ports) {
    w.StartArray();
    w.Uint64(r.key.netns);
    Str(w, r.key.laddr);
    w.Uint(r.key.port);
    w.Uint(static_cast<unsigned>(r.key.type));
    w.Int(r.pid);
    w.Int(r.sharers);
    Str(w, r.path);
    Str(w, r.comm);
    w.Uint(r.exe_deleted ? 1 : 0);
    Str(w, r.container_id);
    Str(w, r.container_runtime);
    Str(w, r.service);
    w.Uint(static_cast<unsigned>(r.status));
    w.Int64(r.first_seen_ms);
    w.Int64(r.last_seen_ms);
    w.EndArray();
  }
  w.EndArray();
  return std::string(buf.GetString(), buf.GetSize());
}

Status DecodePorts(std::string_view json, const HostRow& host, std::vector<PortRow>* out) {
  rapidjson::Document doc;
  PA_RETURN_IF_ERROR(ParseArray(json, &doc));
  out->reserve(out->size() + doc.Size());
  for (rapidjson::SizeType i = 0; i < doc.Size(); ++i) {
    const Fields f(doc[i], i);
    PA_RETURN_IF_ERROR(f.Shape(kPortFields));
    PortRow r;
    r.project = host.project;
    r.host_id = host.host_id;
    r.eps = host.eps;
    PA_RETURN_IF_ERROR(f.Uint(0, &r.key.netns));
    PA_RETURN_IF_ERROR(f.Text(1, &r.key.laddr));
    PA_RETURN_IF_ERROR(f.Int(2, 0, 65535, &r.key.port));
    PA_RETURN_IF_ERROR(f.Int(3, 0, 3, &r.key.type));
    PA_RETURN_IF_ERROR(f.Int(4, 0, kMaxInt, &r.pid));
    PA_RETURN_IF_ERROR(f.Int(5, 0, kMaxInt, &r.sharers));
    PA_RETURN_IF_ERROR(f.Text(6, &r.path));
    PA_RETURN_IF_ERROR(f.Text(7, &r.comm));
    PA_RETURN_IF_ERROR(f.Bool(8, &r.exe_deleted));
    PA_RETURN_IF_ERROR(f.Text(9, &r.container_id));
    PA_RETURN_IF_ERROR(f.Text(10, &r.container_runtime));
    PA_RETURN_IF_ERROR(f.Text(11, &r.service));
    PA_RETURN_IF_ERROR(f.Int(12, 0, 2, &r.status));
    PA_RETURN_IF_ERROR(f.Int(13, 0, kMaxTime, &r.first_seen_ms));
    PA_RETURN_IF_ERROR(f.Int(14, 0, kMaxTime, &r.last_seen_ms));
    out->push_back(std::move(r));
  }
  return Status::Ok();
}

std::string EncodeEvents(std::span<const PortEvent> events) {
  rapidjson::StringBuffer buf;
  Writer w(buf);
  w.StartArray();
  for (const PortEvent& e : events) {
    w.StartArray();
    w.Uint(static_cast<unsigned>(e.kind));
    w.Uint64(e.key.netns);
    Str(w, e.key.laddr);
    w.Uint(e.key.port);
    w.Uint(static_cast<unsigned>(e.key.type));
    w.Int(e.pid);
    Str(w, e.path);
    Str(w, e.container_id);
    w.Uint(static_cast<unsigned>(e.status));
    Str(w, e.old_path);
    Str(w, e.old_container_id);
    w.Uint(static_cast<unsigned>(e.old_status));
    w.EndArray();
  }
  w.EndArray();
  return std::string(buf.GetString(), buf.GetSize());
}

Status DecodeEvents(std::string_view json, std::string_view project, std::string_view host_id,
                    int64_t at_ms, std::vector<PortEvent>* out) {
  rapidjson::Document doc;
  PA_RETURN_IF_ERROR(ParseArray(json, &doc));
  for (rapidjson::SizeType i = 0; i < doc.Size(); ++i) {
    const Fields f(doc[i], i);
    PA_RETURN_IF_ERROR(f.Shape(kEventFields));
    PortEvent e;
    e.project = std::string(project);
    e.host_id = std::string(host_id);
    e.at_ms = at_ms;
    PA_RETURN_IF_ERROR(f.Int(0, 0, 2, &e.kind));
    PA_RETURN_IF_ERROR(f.Uint(1, &e.key.netns));
    PA_RETURN_IF_ERROR(f.Text(2, &e.key.laddr));
    PA_RETURN_IF_ERROR(f.Int(3, 0, 65535, &e.key.port));
    PA_RETURN_IF_ERROR(f.Int(4, 0, 3, &e.key.type));
    PA_RETURN_IF_ERROR(f.Int(5, 0, kMaxInt, &e.pid));
    PA_RETURN_IF_ERROR(f.Text(6, &e.path));
    PA_RETURN_IF_ERROR(f.Text(7, &e.container_id));
    PA_RETURN_IF_ERROR(f.Int(8, 0, 2, &e.status));
    PA_RETURN_IF_ERROR(f.Text(9, &e.old_path));
    PA_RETURN_IF_ERROR(f.Text(10, &e.old_container_id));
    PA_RETURN_IF_ERROR(f.Int(11, 0, 2, &e.old_status));
    out->push_back(std::move(e));
  }
  return Status::Ok();
}

}  // namespace portatlas::store
