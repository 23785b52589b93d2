#include "core/scan_record_json.h"

#include <rapidjson/document.h>

#include <string_view>

namespace portatlas {
namespace {

void Str(JsonWriter& w, const char* key, std::string_view v) {
  w.Key(key);
  w.String(v.data(), static_cast<rapidjson::SizeType>(v.size()));
}

void StrIfSet(JsonWriter& w, const char* key, std::string_view v) {
  if (!v.empty()) Str(w, key, v);
}

bool IsJsonObject(std::string_view text) {
  rapidjson::Document doc;
  doc.Parse<rapidjson::kParseIterativeFlag>(text.data(), text.size());
  return !doc.HasParseError() && doc.IsObject();
}

// Opens the object with the fields every form has.
void WriteIdentity(JsonWriter& w, const ScanRecord& r) {
  w.StartObject();
  Str(w, "ip", r.ip.ToString());
  Str(w, "protocol", ProtoName(r.proto));
  w.Key("port");
  w.Uint(r.port);
  Str(w, "state", r.state);
}

// Every field, as the scan-task API answers it.
void WriteComplete(JsonWriter& w, const ScanRecord& r) {
  WriteIdentity(w, r);
  Str(w, "reason", r.reason);
  w.Key("reason_ttl");
  w.Int(r.reason_ttl);
  w.Key("updated_at");
  w.Int64(r.updated_at_ms);
  for (const auto& [key, value] :
       {std::pair<const char*, const std::string*>{"service", &r.service},
        {"product", &r.product},
        {"version", &r.version},
        {"info", &r.info},
        {"cpe", &r.cpe}}) {
    Str(w, key, *value);
  }
  w.Key("tls");
  if (r.tls.empty()) {
    w.Null();
  } else {
    // Stored as the compact serialisation of an object the API parsed.
    w.RawValue(r.tls.data(), r.tls.size(), rapidjson::kObjectType);
  }
  Str(w, "banner_hash", r.banner_hash);
  w.EndObject();
}

}  // namespace

void WriteScanRecord(JsonWriter& w, const ScanRecord& r, RecordForm form) {
  if (form == RecordForm::kComplete) return WriteComplete(w, r);
  WriteIdentity(w, r);
  StrIfSet(w, "reason", r.reason);
  if (r.reason_ttl != 0) {
    w.Key("reason_ttl");
    w.Int(r.reason_ttl);
  }
  if (r.updated_at_ms != 0) {
    w.Key("updated_at");
    w.Int64(r.updated_at_ms);
  }
  StrIfSet(w, "service", r.service);
  StrIfSet(w, "product", r.product);
  StrIfSet(w, "version", r.version);
  StrIfSet(w, "info", r.info);
  StrIfSet(w, "cpe", r.cpe);
  if (!r.tls.empty()) {
    if (IsJsonObject(r.tls)) {
      w.Key("tls");
      w.RawValue(r.tls.data(), r.tls.size(), rapidjson::kObjectType);
    } else {
      Str(w, "tls", r.tls);
    }
  }
  StrIfSet(w, "banner_hash", r.banner_hash);
  w.EndObject();
}

std::string ScanRecordJson(const ScanRecord& r, RecordForm form) {
  rapidjson::StringBuffer buf;
  JsonWriter w(buf);
  WriteScanRecord(w, r, form);
  return std::string(buf.GetString(), buf.GetSize());
}

}  // namespace portatlas
