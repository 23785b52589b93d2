// Scan tasks end to end: TaskUploader delivers records to the real `portatlas serve` (a real
// SQLite file); the task and its records read back over HTTP equal what was sent, tasks do
// not mix, a wrong token is refused, and everything survives a restart.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>
#include <signal.h>

#include <algorithm>
#include <string>
#include <tuple>
#include <vector>

#include "scan/upload/task_uploader.h"
#include "server_process.h"

namespace portatlas::e2e {
namespace {

using scan::ScanRecord;

constexpr int kRecords = 25000;
constexpr int kPageSize = 4000;

// Deterministic records: 2,500 hosts (some IPv6) with 10 ports each, one of them UDP, in every
// state, with detection fields on the open ones and TLS facts on the TLS ports.
std::vector<ScanRecord> MakeRecords(int n, const std::string& state_override = "") {
  static constexpr uint16_t kPorts[] = {22, 80, 443, 3306, 5432, 6379, 8080, 8443, 9200, 161};
  static constexpr const char* kStates[] = {"open", "closed", "filtered", "open", "unfiltered"};
  std::vector<ScanRecord> out;
  for (int i = 0; i < n; ++i) {
    const int host = i / 10;
    const int slot = i % 10;
    ScanRecord r;
    r.ip = host % 7 == 0 ? *ParseIpAddr(fmt::format("2001:2::{:x}", host))
                         : *ParseIpAddr(fmt::format("198.18.{}.{}", host / 256, host % 256));
    r.proto = slot == 9 ? Proto::kUdp : Proto::kTcp;
    r.port = kPorts[slot];
    r.state = state_override.empty() ? (slot == 9 ? "open|filtered" : kStates[(i / 3) % 5])
                                     : state_override;
    r.reason = r.state == "open" ? "syn-ack" : "reset";
    r.reason_ttl = 64 - host % 3;
    r.updated_at_ms = 1700000000000 + i;
    if (r.state == "open") {
      r.service = slot == 0 ? "ssh" : "http";
      r.product = fmt::format("product-{}", i % 13);
      r.version = fmt::format("{}.{}", i % 5, i % 7);
      r.info = i % 2 == 0 ? "" : "protocol 2.0";
      r.cpe = fmt::format("cpe:/a:vendor:product-{}:{}", i % 13, i % 5);
      r.banner_hash = fmt::format("{:064x}", i);
      if (r.port == 443 || r.port == 8443) {
        r.tls = fmt::format(R"({{"version":"TLSv1.3","sni":"h{}.test","alpn":["h2","http/1.1"]}})",
                            host);
      }
    }
    out.push_back(std::move(r));
  }
  return out;
}

// The server's order: address (numeric, IPv4 first), protocol, port.
auto SortKey(const ScanRecord& r) {
  return std::make_tuple(r.ip.family, r.ip.bytes, std::string(ProtoName(r.proto)), r.port);
}

std::string Compact(const rapidjson::Value& v) {
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  v.Accept(w);
  return std::string(buf.GetString(), buf.GetSize());
}

class ScanTaskE2eTest : public testing::Test {
 protected:
  void SetUp() override {
    ASSERT_FALSE(dir_.path().empty());
    token_ = CreateToken(dir_.path(), "scanners");
    ASSERT_FALSE(token_.empty());
    ASSERT_TRUE(server_.Start(dir_.path()));
  }

  scan::TaskSpec Spec(const std::string& name) {
    return {name, scan::TaskKind::kConnect, "198.18.0.0/20,2001:2::/116",
            "22,80,443,3306,5432,6379,8080,8443,9200,U:161", kRecords};
  }

  // Uploads `records` as a new task with progress along the way; returns its id.
  int64_t Upload(const std::string& name, const std::vector<ScanRecord>& records) {
    auto up = scan::TaskUploader::Start(server_.url(), token_, Spec(name));
    EXPECT_TRUE(up) << up.error().ToString();
    if (!up) return 0;
    for (size_t i = 0; i < records.size(); ++i) {
      (*up)->Add(records[i]);
      if (i % 100 == 0) (*up)->Progress(i, records.size());
    }
    (*up)->Progress(records.size(), records.size());
    const Status st = (*up)->Finish(true);
    EXPECT_TRUE(st.ok()) << st.ToString();
    EXPECT_EQ((*up)->stats().stored, records.size());
    return (*up)->task_id();
  }

  rapidjson::Document Get(const std::string& target, int want_status = 200) {
    HttpReply r = Http(server_.port(), "GET", target, {{"X-Auth-Token", token_}});
    EXPECT_EQ(r.status, want_status) << target << ": " << r.body;
    rapidjson::Document doc;
    doc.Parse(r.body.c_str());
    EXPECT_FALSE(doc.HasParseError()) << r.body.substr(0, 200);
    return doc;
  }

  // Every record of the task, read page by page.
  std::vector<rapidjson::Document> AllRecords(int64_t id) {
    std::vector<rapidjson::Document> out;
    for (int offset = 0;; offset += kPageSize) {
      rapidjson::Document page =
          Get(fmt::format("/v1/scan-tasks/{}/records?offset={}&limit={}", id, offset, kPageSize));
      if (!page.IsObject() || !page.HasMember("records")) return out;
      for (auto& r : page["records"].GetArray()) {
        rapidjson::Document copy;
        copy.CopyFrom(r, copy.GetAllocator());
        out.push_back(std::move(copy));
      }
      if (page["records"].Size() < static_cast<rapidjson::SizeType>(kPageSize)) return out;
    }
  }

  // The records read back equal `sent`, in the server's order.
  void ExpectRecords(int64_t id, std::vector<ScanRecord> sent) {
    std::sort(sent.begin(), sent.end(),
              [](const ScanRecord& a, const ScanRecord& b) { return SortKey(a) < SortKey(b); });
    const std::vector<rapidjson::Document> got = AllRecords(id);
    ASSERT_EQ(got.size(), sent.size());
    for (size_t i = 0; i < got.size(); ++i) {
      const ScanRecord& want = sent[i];
      const rapidjson::Document& r = got[i];
      const std::string where = fmt::format("record {} ({} {}/{})", i, want.ip.ToString(),
                                            ProtoName(want.proto), want.port);
      ASSERT_EQ(r["ip"].GetString(), want.ip.ToString()) << where;
      ASSERT_EQ(r["protocol"].GetString(), ProtoName(want.proto)) << where;
      ASSERT_EQ(r["port"].GetInt(), want.port) << where;
      ASSERT_EQ(r["state"].GetString(), want.state) << where;
      ASSERT_EQ(r["reason"].GetString(), want.reason) << where;
      ASSERT_EQ(r["reason_ttl"].GetInt(), want.reason_ttl) << where;
      ASSERT_EQ(r["updated_at"].GetInt64(), want.updated_at_ms) << where;
      ASSERT_EQ(r["service"].GetString(), want.service) << where;
      ASSERT_EQ(r["product"].GetString(), want.product) << where;
      ASSERT_EQ(r["version"].GetString(), want.version) << where;
      ASSERT_EQ(r["info"].GetString(), want.info) << where;
      ASSERT_EQ(r["cpe"].GetString(), want.cpe) << where;
      ASSERT_EQ(r["tls"].IsNull() ? "" : Compact(r["tls"]), want.tls) << where;
      ASSERT_EQ(r["banner_hash"].GetString(), want.banner_hash) << where;
    }
  }

  TempDir dir_;
  std::string token_;
  ServerProcess server_;
};

TEST_F(ScanTaskE2eTest, UploadedTaskReadsBackWhole) {
  const std::vector<ScanRecord> records = MakeRecords(kRecords);
  const int64_t id = Upload("e2e nightly", records);
  ASSERT_GT(id, 0);
  const int64_t open = std::count_if(records.begin(), records.end(),
                                     [](const ScanRecord& r) { return r.state == "open"; });
  rapidjson::Document task = Get(fmt::format("/v1/scan-tasks/{}", id));
  ASSERT_TRUE(task.IsObject());
  EXPECT_EQ(task["task_id"].GetInt64(), id);
  EXPECT_STREQ(task["name"].GetString(), "e2e nightly");
  EXPECT_STREQ(task["kind"].GetString(), "connect");
  EXPECT_STREQ(task["status"].GetString(), "done");
  EXPECT_STREQ(task["ports"].GetString(), "22,80,443,3306,5432,6379,8080,8443,9200,U:161");
  EXPECT_EQ(task["probes_done"].GetInt64(), kRecords);
  EXPECT_EQ(task["probes_total"].GetInt64(), kRecords);
  EXPECT_EQ(task["record_count"].GetInt64(), kRecords);
  EXPECT_EQ(task["open_count"].GetInt64(), open);
  EXPECT_TRUE(task["finished_at"].IsInt64());
  EXPECT_STREQ(task["error"].GetString(), "");
  ExpectRecords(id, records);
}

TEST_F(ScanTaskE2eTest, TwoTasksDoNotMix) {
  const std::vector<ScanRecord> first = MakeRecords(3000);
  const std::vector<ScanRecord> second = MakeRecords(1000, "closed");  // the same keys
  const int64_t a = Upload("first", first);
  const int64_t b = Upload("second", second);
  ASSERT_GT(a, 0);
  ASSERT_GT(b, a);
  ExpectRecords(a, first);
  ExpectRecords(b, second);
  EXPECT_EQ(Get(fmt::format("/v1/scan-tasks/{}", b))["open_count"].GetInt64(), 0);
  rapidjson::Document list = Get("/v1/scan-tasks");
  ASSERT_EQ(list["total"].GetInt(), 2);
  EXPECT_EQ(list["tasks"][0]["task_id"].GetInt64(), b);  // newest first
}

TEST_F(ScanTaskE2eTest, WrongTokenFailsStartClearly) {
  auto up = scan::TaskUploader::Start(server_.url(), "not-a-token", Spec("nope"));
  ASSERT_FALSE(up);
  EXPECT_EQ(up.error().kind(), ErrorKind::kUnauthenticated);
  EXPECT_NE(up.error().message().find("401 APIGW.0301"), std::string::npos) << up.error().message();
  EXPECT_EQ(Get("/v1/scan-tasks")["total"].GetInt(), 0);
}

TEST_F(ScanTaskE2eTest, AnotherProjectCannotSeeTheTask) {
  const int64_t id = Upload("mine", MakeRecords(10));
  const std::string other = CreateToken(dir_.path(), "others");
  ASSERT_FALSE(other.empty());
  for (const std::string& target :
       {fmt::format("/v1/scan-tasks/{}", id), fmt::format("/v1/scan-tasks/{}/records", id)}) {
    HttpReply r = Http(server_.port(), "GET", target, {{"X-Auth-Token", other}});
    EXPECT_EQ(r.status, 404) << target << ": " << r.body;
    EXPECT_EQ(r.body.find("198.18"), std::string::npos);
  }
  HttpReply r =
      Http(server_.port(), "POST", fmt::format("/v1/scan-tasks/{}/records", id),
           {{"X-Auth-Token", other}},
           R"({"records":[{"ip":"198.18.9.9","protocol":"tcp","port":1,"state":"open"}]})");
  EXPECT_EQ(r.status, 404) << r.body;
  EXPECT_EQ(Get(fmt::format("/v1/scan-tasks/{}", id))["record_count"].GetInt(), 10);
}

TEST_F(ScanTaskE2eTest, TaskSurvivesARestart) {
  const std::vector<ScanRecord> records = MakeRecords(5000);
  const int64_t id = Upload("before restart", records);
  ASSERT_GT(id, 0);
  server_.Signal(SIGTERM);
  ASSERT_TRUE(server_.Start(dir_.path()));
  rapidjson::Document task = Get(fmt::format("/v1/scan-tasks/{}", id));
  ASSERT_TRUE(task.IsObject());
  EXPECT_STREQ(task["status"].GetString(), "done");
  EXPECT_STREQ(task["name"].GetString(), "before restart");
  EXPECT_EQ(task["record_count"].GetInt64(), 5000);
  ExpectRecords(id, records);
  // New tasks continue the id sequence.
  const int64_t next = Upload("after restart", MakeRecords(1));
  EXPECT_GT(next, id);
}

}  // namespace
}  // namespace portatlas::e2e
