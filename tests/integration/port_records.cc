#include "port_records.h"

#include <sstream>

#include "process_runner.h"
#include "rapidjson/document.h"
#include "rapidjson/error/en.h"

#ifndef PORTATLAS_BIN
#error "PORTATLAS_BIN must name the portatlas binary under test"
#endif

namespace portatlas::itest {
namespace {

constexpr int kCollectorTimeoutMs = 60000;

class FieldReader {
 public:
  FieldReader(const rapidjson::Value& object, size_t index) : object_(object), index_(index) {}

  // Each getter records the first problem it meets and then returns a default.
  std::string String(const char* name) {
    const rapidjson::Value* v = Find(name);
    if (v == nullptr) return "";
    if (!v->IsString()) {
      Bad(name, "a string");
      return "";
    }
    return std::string(v->GetString(), v->GetStringLength());
  }
  int Int(const char* name) {
    const rapidjson::Value* v = Find(name);
    if (v == nullptr) return 0;
    if (!v->IsInt()) {
      Bad(name, "an integer");
      return 0;
    }
    return v->GetInt();
  }
  uint64_t Uint64(const char* name) {
    const rapidjson::Value* v = Find(name);
    if (v == nullptr) return 0;
    if (!v->IsUint64()) {
      Bad(name, "a non-negative integer");
      return 0;
    }
    return v->GetUint64();
  }
  bool Bool(const char* name) {
    const rapidjson::Value* v = Find(name);
    if (v == nullptr) return false;
    if (!v->IsBool()) {
      Bad(name, "a boolean");
      return false;
    }
    return v->GetBool();
  }
  const std::string& error() const { return error_; }

 private:
  const rapidjson::Value* Find(const char* name) {
    auto it = object_.FindMember(name);
    if (it == object_.MemberEnd()) {
      Note(std::string("field \"") + name + "\" is missing");
      return nullptr;
    }
    return &it->value;
  }
  void Bad(const char* name, const char* want) {
    Note(std::string("field \"") + name + "\" is not " + want);
  }
  void Note(const std::string& problem) {
    if (error_.empty()) error_ = "element " + std::to_string(index_) + ": " + problem;
  }

  const rapidjson::Value& object_;
  size_t index_;
  std::string error_;
};

}  // namespace

::testing::AssertionResult ParsePortsJson(std::string_view json, std::vector<PortRecord>* out) {
  out->clear();
  rapidjson::Document doc;
  doc.Parse(json.data(), json.size());
  if (doc.HasParseError()) {
    return ::testing::AssertionFailure()
           << "invalid JSON at offset " << doc.GetErrorOffset() << ": "
           << rapidjson::GetParseError_En(doc.GetParseError());
  }
  if (!doc.IsArray()) return ::testing::AssertionFailure() << "the JSON is not an array";
  std::vector<PortRecord> records;
  for (rapidjson::SizeType i = 0; i < doc.Size(); ++i) {
    const rapidjson::Value& element = doc[i];
    if (!element.IsObject()) {
      return ::testing::AssertionFailure() << "element " << i << " is not an object";
    }
    FieldReader reader(element, i);
    PortRecord r;
    r.type = reader.String("type");
    r.laddr = reader.String("laddr");
    r.port = reader.Int("port");
    r.pid = reader.Int("pid");
    r.sharers = reader.Int("sharers");
    r.path = reader.String("path");
    r.exe_deleted = reader.Bool("exe_deleted");
    r.comm = reader.String("comm");
    r.netns = reader.Uint64("netns");
    r.netns_name = reader.String("netns_name");
    r.container_id = reader.String("container_id");
    r.container_runtime = reader.String("container_runtime");
    r.service = reader.String("service");
    r.status = reader.String("status");
    if (!reader.error().empty()) return ::testing::AssertionFailure() << reader.error();
    records.push_back(std::move(r));
  }
  *out = std::move(records);
  return ::testing::AssertionSuccess();
}

std::string PortatlasBin() { return PORTATLAS_BIN; }

::testing::AssertionResult RunCollector(const std::string& backend, std::vector<PortRecord>* out,
                                        const std::vector<std::string>& extra_args) {
  out->clear();
  std::vector<std::string> argv = {PORTATLAS_BIN, "ports", "--json", "--backend", backend};
  argv.insert(argv.end(), extra_args.begin(), extra_args.end());
  CommandOutput output;
  ::testing::AssertionResult ran = RunCommandOk(argv, kCollectorTimeoutMs, &output);
  if (!ran) return ran;
  ::testing::AssertionResult parsed = ParsePortsJson(output.stdout_text, out);
  if (!parsed) {
    return ::testing::AssertionFailure()
           << CommandLine(argv) << ": " << parsed.message() << "\nstdout was:\n"
           << output.stdout_text.substr(0, 4000);
  }
  return ::testing::AssertionSuccess();
}

std::vector<PortRecord> FindSocket(const std::vector<PortRecord>& records, std::string_view type,
                                   std::string_view laddr, int port, uint64_t netns) {
  std::vector<PortRecord> found;
  for (const PortRecord& r : records) {
    if (r.type == type && r.laddr == laddr && r.port == port && r.netns == netns) {
      found.push_back(r);
    }
  }
  return found;
}

std::string Describe(const PortRecord& r) {
  std::ostringstream line;
  line << "{type=" << r.type << " laddr=" << r.laddr << " port=" << r.port << " pid=" << r.pid
       << " sharers=" << r.sharers << " path=\"" << r.path << "\" exe_deleted=" << r.exe_deleted
       << " comm=\"" << r.comm << "\" netns=" << r.netns << " netns_name=\"" << r.netns_name
       << "\" container_id=\"" << r.container_id << "\" container_runtime=\"" << r.container_runtime
       << "\" service=\"" << r.service << "\" status=" << r.status << "}";
  return line.str();
}

}  // namespace portatlas::itest
