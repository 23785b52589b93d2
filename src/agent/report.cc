#include "agent/report.h"

#include <fmt/format.h>
#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>

#include "collect/port_json.h"
#include "core/json_writer.h"

namespace portatlas::agent {
namespace {

constexpr size_t kMaxSummaryBytes = 200;

std::string Printable(std::string_view s) {
  std::string out;
  for (char c : s.substr(0, kMaxSummaryBytes)) {
    if (c >= ' ' && c <= '~') {
      out += c;
    } else {
      out += fmt::format("\\x{:02x}", static_cast<unsigned char>(c));
    }
  }
  if (s.size() > kMaxSummaryBytes) out += "...";
  return out;
}

std::string SummarizeResult(const rapidjson::Value& r) {
  std::string out;
  for (const char* key : {"applied", "stale"}) {
    if (r.HasMember(key) && r[key].IsBool()) {
      out += fmt::format("{}{}={}", out.empty() ? "" : " ", key, r[key].GetBool());
    }
  }
  for (const char* key : {"ports", "opened", "closed", "changed"}) {
    if (r.HasMember(key) && r[key].IsInt64()) {
      out += fmt::format("{}{}={}", out.empty() ? "" : " ", key, r[key].GetInt64());
    }
  }
  return out;
}

}  // namespace

ReportBody BuildReportBody(const ReportHeader& header,
                           const std::vector<collect::ListeningSocket>& sockets) {
  rapidjson::StringBuffer buf;
  JsonWriter w(buf);
  w.StartObject();
  collect::WriteJsonString(w, "host_id", header.host_id);
  collect::WriteJsonString(w, "agent_id", header.agent_id);
  collect::WriteJsonString(w, "host_name", header.host_name);
  collect::WriteJsonString(w, "host_ip", header.host_ip);
  if (!header.enterprise_project_id.empty()) {
    collect::WriteJsonString(w, "enterprise_project_id", header.enterprise_project_id);
  }
  w.Key("collected_at");
  w.Int64(header.collected_at_ms);
  w.Key("seq");
  w.Uint64(header.seq);
  w.Key("ports");
  w.StartArray();
  const size_t n = std::min(sockets.size(), kMaxReportPorts);
  for (size_t i = 0; i < n; ++i) collect::WritePortJson(w, sockets[i], "", "");
  w.EndArray();
  w.EndObject();
  return {std::string(buf.GetString(), buf.GetSize()), n, sockets.size() - n};
}

std::string SummarizeIngestResponse(std::string_view body) {
  rapidjson::Document doc;
  doc.Parse<rapidjson::kParseIterativeFlag>(body.data(), body.size());
  if (!doc.HasParseError() && doc.IsObject()) {
    if (doc.HasMember("results") && doc["results"].IsArray() && doc["results"].Size() == 1 &&
        doc["results"][0].IsObject()) {
      std::string s = SummarizeResult(doc["results"][0]);
      if (!s.empty()) return s;
    }
    if (doc.HasMember("error_code") && doc["error_code"].IsString()) {
      std::string msg = doc.HasMember("error_msg") && doc["error_msg"].IsString()
                            ? doc["error_msg"].GetString()
                            : "";
      const std::string code = doc["error_code"].GetString();
      return Printable(msg.empty() ? code : fmt::format("{}: {}", code, msg));
    }
  }
  return Printable(body);
}

}  // namespace portatlas::agent
