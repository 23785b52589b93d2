// The API pipeline end to end below HTTP: real SQLite store, real ingestor, real authenticator.
#include "api/api_service.h"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <rapidjson/document.h>
#include <stdlib.h>

#include <filesystem>
#include <map>
#include <random>

#include "api/auth/sdk_signer.h"
#include "api/service_stack.h"

namespace portatlas::api {
namespace {

using std::chrono::system_clock;

struct Reply {
  int status;
  rapidjson::Document json;
  Response raw;
};

class ApiServiceTest : public testing::Test {
 protected:
  void SetUp() override {
    stack_ = std::make_unique<ServiceStack>("api", [this] { return now_; });
    store_ = &stack_->store();
    box_ = &stack_->box();
    service_ = &stack_->service();
    AddToken("tok-a", "projA", {"0", "ep1"});
    AddToken("tok-b", "projB", {"0"});
    store::CredentialRow k;
    k.id = "ak1";
    k.kind = store::CredentialKind::kAkSk;
    k.project = "projA";
    k.eps = {"0"};
    k.access_key = "AKTEST0000000000";
    k.sealed_sk = *box_->Seal("secret-key", k.access_key);
    ASSERT_TRUE(store_->PutCredential(k).ok());
    Ingest("tok-a", R"({"host_id":"h1","agent_id":"a1","host_name":"alpha","host_ip":"198.18.0.1",
      "collected_at":1,"seq":1,"ports":[
      {"laddr":"0.0.0.0","port":22,"type":"TCP","pid":5,"path":"/usr/sbin/sshd","netns":1},
      {"laddr":"::","port":8080,"type":"TCP6","pid":6,"path":"/srv/app","netns":1},
      {"laddr":"0.0.0.0","port":6379,"type":"TCP","pid":7,"path":"/r","netns":2,
       "container_id":")" +
                        std::string(64, 'c') + R"("}]})");
    Ingest("tok-b", R"({"host_id":"hb","agent_id":"ab","collected_at":1,"seq":1,"ports":[
      {"laddr":"0.0.0.0","port":2222,"type":"TCP","pid":9,"path":"/secret/b","netns":1}]})");
  }
  void TearDown() override { stack_.reset(); }

  void AddToken(const std::string& token, const std::string& project,
                std::vector<std::string> eps) {
    ASSERT_TRUE(stack_->AddToken(token, project, std::move(eps)).ok());
  }

  Reply Call(const std::string& method, const std::string& target, const std::string& token,
             const std::string& body = "") {
    Request req;
    req.method = method;
    req.target = target;
    if (!token.empty()) req.headers.emplace_back("X-Auth-Token", token);
    req.body = body;
    Reply r{0, {}, service_->Dispatch(req)};
    r.status = r.raw.status;
    // Every answer is JSON and valid UTF-8, whatever the request or the store held.
    r.json.Parse<rapidjson::kParseValidateEncodingFlag>(r.raw.body.c_str(), r.raw.body.size());
    EXPECT_FALSE(r.json.HasParseError()) << r.raw.body;
    bool has_id = false;
    for (const auto& [k, v] : r.raw.headers) has_id |= k == "X-Request-Id" && v.size() == 32;
    EXPECT_TRUE(has_id) << "every response carries X-Request-Id";
    return r;
  }

  void Ingest(const std::string& token, const std::string& body) {
    Reply r = Call("POST", "/v1/ingest/ports", token, body);
    ASSERT_EQ(r.status, 200) << r.raw.body;
  }

  std::unique_ptr<ServiceStack> stack_;
  store::Store* store_ = nullptr;  // the stack's
  auth::SecretBox* box_ = nullptr;
  ApiService* service_ = nullptr;
  system_clock::time_point now_ = system_clock::now();
};

TEST_F(ApiServiceTest, ListPortsOfAHost) {
  Reply r = Call("GET", "/v5/projA/asset/ports?host_id=h1", "tok-a");
  ASSERT_EQ(r.status, 200) << r.raw.body;
  EXPECT_EQ(r.json["total_num"].GetInt(), 2);  // category defaults to host
  const auto& first = r.json["data_list"][0];
  EXPECT_STREQ(first["host_id"].GetString(), "h1");
  EXPECT_STREQ(first["laddr"].GetString(), "0.0.0.0");
  EXPECT_EQ(first["port"].GetInt(), 22);
  EXPECT_STREQ(first["type"].GetString(), "TCP");
  EXPECT_EQ(first["pid"].GetInt(), 5);
  EXPECT_STREQ(first["path"].GetString(), "/usr/sbin/sshd");
  EXPECT_STREQ(first["agent_id"].GetString(), "a1");
  EXPECT_STREQ(first["container_id"].GetString(), "");
  EXPECT_STREQ(first["status"].GetString(), "normal");
  r = Call("GET", "/v5/projA/asset/ports?host_id=h1&category=container", "tok-a");
  ASSERT_EQ(r.json["total_num"].GetInt(), 1);
  EXPECT_EQ(r.json["data_list"][0]["container_id"].GetStringLength(), 64u);
  r = Call("GET", "/v5/projA/asset/ports?host_id=h1&type=TCP6&port=8080&host_name=lph", "tok-a");
  EXPECT_EQ(r.json["total_num"].GetInt(), 1);
}

TEST_F(ApiServiceTest, StatisticsAndPortHost) {
  Reply r = Call("GET", "/v5/projA/asset/port/statistics?sort_key=port&sort_dir=desc", "tok-a");
  ASSERT_EQ(r.status, 200) << r.raw.body;
  ASSERT_EQ(r.json["total_num"].GetInt(), 2);
  EXPECT_EQ(r.json["data_list"][0]["port"].GetInt(), 8080);
  EXPECT_EQ(r.json["data_list"][0]["num"].GetInt(), 1);
  r = Call("GET", "/v5/projA/asset/port/statistics?category=container&status=danger", "tok-a");
  ASSERT_EQ(r.json["total_num"].GetInt(), 1);
  EXPECT_STREQ(r.json["data_list"][0]["status"].GetString(), "danger");
  r = Call("GET", "/v5/projA/asset/ports/detail?port=22", "tok-a");
  ASSERT_EQ(r.json["total_num"].GetInt(), 1);
  EXPECT_STREQ(r.json["data_list"][0]["host_name"].GetString(), "alpha");
  EXPECT_STREQ(r.json["data_list"][0]["host_ip"].GetString(), "198.18.0.1");
  r = Call("GET", "/v5/projA/asset/statistic", "tok-a");
  EXPECT_EQ(r.json["port_num"].GetInt(), 2);
}

struct BadParam {
  std::string path;   // under /v5/projA/asset/
  std::string query;  // appended to the required parameters
};

class ApiBadParamTest : public ApiServiceTest, public testing::WithParamInterface<BadParam> {};

TEST_P(ApiBadParamTest, Is400Hss0001) {
  Reply r =
      Call("GET", std::string("/v5/projA/asset/") + GetParam().path + GetParam().query, "tok-a");
  EXPECT_EQ(r.status, 400) << r.raw.body;
  ASSERT_TRUE(r.json.IsObject());
  EXPECT_STREQ(r.json["error_code"].GetString(), "HSS.0001");
  EXPECT_TRUE(r.json["error_msg"].IsString());
}

// Every parameter of the three APIs, bounds included.
INSTANTIATE_TEST_SUITE_P(
    Table, ApiBadParamTest,
    testing::Values(
        BadParam{"ports?", ""},  // host_id missing
        BadParam{"ports?host_id=", ""}, BadParam{"ports?host_id=h1", "&limit=9"},
        BadParam{"ports?host_id=h1", "&limit=201"}, BadParam{"ports?host_id=h1", "&limit=x"},
        BadParam{"ports?host_id=h1", "&offset=-1"}, BadParam{"ports?host_id=h1", "&offset=2000001"},
        BadParam{"ports?host_id=h1", "&port=0"}, BadParam{"ports?host_id=h1", "&port=65536"},
        BadParam{"ports?host_id=h1", "&port=22.5"}, BadParam{"ports?host_id=h1", "&type=SCTP"},
        BadParam{"ports?host_id=h1", "&type=tcp"}, BadParam{"ports?host_id=h1", "&status=bad"},
        BadParam{"ports?host_id=h1", "&category=vm"},
        BadParam{"ports?host_id=h1", "&limit=10&limit=20"},
        BadParam{"ports?host_id=h1", "&host_name=" + std::string(129, 'n')},
        BadParam{"ports?host_id=h1", "&port=%zz"}, BadParam{"port/statistics?", "limit=9"},
        BadParam{"port/statistics?", "limit=201"}, BadParam{"port/statistics?", "offset=-1"},
        BadParam{"port/statistics?", "offset=2000001"}, BadParam{"port/statistics?", "port=0"},
        BadParam{"port/statistics?", "port=65536"}, BadParam{"port/statistics?", "port_string="},
        BadParam{"port/statistics?", "type=ICMP"}, BadParam{"port/statistics?", "status=high"},
        BadParam{"port/statistics?", "category=pod"}, BadParam{"port/statistics?", "sort_dir=up"},
        BadParam{"port/statistics?", "sort_key=num"},
        BadParam{"port/statistics?", "offset=99999999999999999999"},
        BadParam{"ports/detail?", ""},  // port missing
        BadParam{"ports/detail?port=22", "&limit=9"},
        BadParam{"ports/detail?port=22", "&limit=201"},
        BadParam{"ports/detail?port=22", "&offset=-1"},
        BadParam{"ports/detail?port=22", "&offset=2000001"}, BadParam{"ports/detail?port=0", ""},
        BadParam{"ports/detail?port=65536", ""}, BadParam{"ports/detail?port=22", "&type=X"},
        BadParam{"ports/detail?port=22", "&category=x"}, BadParam{"statistic?", "category=x"}));

TEST_F(ApiServiceTest, BoundsThemselvesAreAccepted) {
  for (const char* q :
       {"limit=10", "limit=200", "offset=0", "offset=2000000", "port=1", "port=65535", "type=UDP6",
        "status=unknown", "status=unknow", "category=host", "sort_dir=asc", "port_string=2"}) {
    Reply r = Call("GET", std::string("/v5/projA/asset/port/statistics?") + q, "tok-a");
    EXPECT_EQ(r.status, 200) << q << ": " << r.raw.body;
  }
}

TEST_F(ApiServiceTest, MissingOrUnknownTokenIs401) {
  Reply r = Call("GET", "/v5/projA/asset/port/statistics", "");
  EXPECT_EQ(r.status, 401);
  EXPECT_STREQ(r.json["error_code"].GetString(), "APIGW.0301");
  r = Call("GET", "/v5/projA/asset/port/statistics", "not-a-token");
  EXPECT_EQ(r.status, 401);
  r = Call("POST", "/v1/ingest/ports", "nope", "{}");
  EXPECT_EQ(r.status, 401);
}

// A body nested a million levels deep is refused as bad JSON, not parsed recursively until the
// request thread's stack overflows.
TEST_F(ApiServiceTest, DeeplyNestedIngestBodyIs400NotACrash) {
  std::thread worker([&] {
    Reply r = Call("POST", "/v1/ingest/ports", "tok-a", std::string(1 << 20, '['));
    EXPECT_EQ(r.status, 400);
    r = Call("POST", "/v1/ingest/ports", "tok-a",
             "{\"snapshots\":" + std::string(200000, '[') + std::string(200000, ']') + "}");
    EXPECT_EQ(r.status, 400);
  });
  worker.join();
}

// Bodies that would cost many times their size as a DOM (issue 12: 60 MiB of '[' reached
// 1.5 GB) are refused by a lexical pass before any parse, naming the limit; what is stored stays.
TEST_F(ApiServiceTest, HostileIngestShapesAreRefusedBeforeParsing) {
  std::string zeros = R"({"host_id":"h9","agent_id":"a","collected_at":1,"seq":1,"ports":[)";
  for (int i = 0; i < 70000; ++i) zeros += "0,";
  zeros += "0]}";
  std::string rows = "[";
  for (int r = 0; r < 40; ++r) {
    rows += '[';
    for (int i = 0; i < 60000; ++i) rows += "0,";
    rows += "0],";
  }
  rows += "0]";
  const std::pair<std::string, const char*> cases[] = {
      {std::string(8 << 20, '['), "body nests deeper than 16 levels"},
      {zeros, "body has an array or object of more than 65536 entries"},
      {rows, "body has more than 2000000 values"},
      {R"({"host_id":")" + std::string(1 << 20, 'h') + "\"}",
       "body has a string longer than 65536 bytes"},
  };
  for (const auto& [body, why] : cases) {
    Reply r = Call("POST", "/v1/ingest/ports", "tok-a", body);
    EXPECT_EQ(r.status, 400) << why;
    EXPECT_STREQ(r.json["error_msg"].GetString(), why);
  }
  Reply r = Call("GET", "/v5/projA/asset/ports?host_id=h1", "tok-a");
  EXPECT_EQ(r.status, 200);
  EXPECT_GT(r.json["total_num"].GetInt(), 0);
}

TEST_F(ApiServiceTest, ProjectATokenGetsNoDataOfProjectB) {
  for (const char* path : {"/v5/projB/asset/ports?host_id=hb", "/v5/projB/asset/port/statistics",
                           "/v5/projB/asset/ports/detail?port=2222", "/v5/projB/asset/statistic"}) {
    Reply r = Call("GET", path, "tok-a");
    EXPECT_EQ(r.status, 403) << path;
    EXPECT_EQ(r.raw.body.find("2222"), std::string::npos);
    EXPECT_EQ(r.raw.body.find("/secret/b"), std::string::npos);
  }
  // And B's host is invisible under A's own path.
  Reply r = Call("GET", "/v5/projA/asset/ports/detail?port=2222", "tok-a");
  EXPECT_EQ(r.json["total_num"].GetInt(), 0);
}

TEST_F(ApiServiceTest, EnterpriseProjects) {
  Reply r = Call("GET", "/v5/projA/asset/port/statistics?enterprise_project_id=ep1", "tok-a");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.json["total_num"].GetInt(), 0);  // nothing reported into ep1
  r = Call("GET", "/v5/projA/asset/port/statistics?enterprise_project_id=all_granted_eps", "tok-a");
  EXPECT_EQ(r.json["total_num"].GetInt(), 2);
  r = Call("GET", "/v5/projA/asset/port/statistics?enterprise_project_id=ep9", "tok-a");
  EXPECT_EQ(r.status, 403);
}

TEST_F(ApiServiceTest, UnknownPathAndMethod) {
  Reply r = Call("GET", "/v5/projA/asset/nothing", "tok-a");
  EXPECT_EQ(r.status, 404);
  EXPECT_STREQ(r.json["error_code"].GetString(), "APIGW.0101");
  r = Call("DELETE", "/v5/projA/asset/ports", "tok-a");
  EXPECT_EQ(r.status, 404);
}

TEST_F(ApiServiceTest, AkSkSignedRequest) {
  auto signed_call = [&](const std::string& sk, system_clock::time_point date) {
    auth::WireRequest wire{"GET", "/v5/projA/asset/port/statistics?limit=10", {}, ""};
    wire.headers = {{"Host", "127.0.0.1:8080"},
                    {"Content-Type", "application/json"},
                    {"X-Sdk-Date", auth::FormatSdkDate(date)}};
    auto authz =
        auth::SignSdkRequest(wire, "AKTEST0000000000", sk, {"content-type", "host", "x-sdk-date"});
    EXPECT_TRUE(authz);
    Request req;
    req.method = wire.method;
    req.target = wire.target;
    req.headers = wire.headers;
    req.headers.emplace_back("Authorization", *authz);
    return service_->Dispatch(req);
  };
  EXPECT_EQ(signed_call("secret-key", now_).status, 200);
  EXPECT_EQ(signed_call("wrong-key", now_).status, 401);
  EXPECT_EQ(signed_call("secret-key", now_ - std::chrono::minutes(16)).status, 401);
}

TEST_F(ApiServiceTest, IngestRejectsBadBodiesWithoutApplyingAnything) {
  for (const char* body :
       {"", "{", "[]", "null", R"({"host_id":"h9"})",
        R"({"host_id":"h9","agent_id":"a","collected_at":1,"seq":1,"ports":[{"port":1}]})",
        R"({"host_id":"h9","agent_id":"a","collected_at":1,"seq":1,"ports":[
           {"laddr":"0.0.0.0","port":70000,"type":"TCP"}]})",
        R"({"host_id":"h9","agent_id":"a","collected_at":1,"seq":-1,"ports":[]})",
        R"({"snapshots":[]})",
        R"({"snapshots":[{"host_id":"h9","agent_id":"a","collected_at":1,"seq":1,"ports":[]},
           {"host_id":"h10"}]})"}) {
    Reply r = Call("POST", "/v1/ingest/ports", "tok-a", body);
    EXPECT_EQ(r.status, 400) << body << " -> " << r.raw.body;
    EXPECT_STREQ(r.json["error_code"].GetString(), "PA.0001");
  }
  Reply r = Call("GET", "/v5/projA/asset/ports?host_id=h9", "tok-a");
  EXPECT_EQ(r.json["total_num"].GetInt(), 0);  // the valid first snapshot was not applied either
}

TEST_F(ApiServiceTest, IngestIntoUngrantedEnterpriseProjectIs403) {
  Reply r = Call("POST", "/v1/ingest/ports", "tok-b",
                 R"({"host_id":"x","agent_id":"a","collected_at":1,"seq":1,
                     "enterprise_project_id":"ep1","ports":[]})");
  EXPECT_EQ(r.status, 403);
}

TEST_F(ApiServiceTest, EventsRecordCloses) {
  Ingest("tok-a", R"({"host_id":"h1","agent_id":"a1","collected_at":2,"seq":2,"ports":[
      {"laddr":"0.0.0.0","port":22,"type":"TCP","pid":5,"path":"/usr/sbin/sshd","netns":1}]})");
  Reply r = Call("GET", "/v1/events?host_id=h1&since=2", "tok-a");
  ASSERT_EQ(r.status, 200) << r.raw.body;
  ASSERT_EQ(r.json["events"].Size(), 2u);
  EXPECT_STREQ(r.json["events"][0]["kind"].GetString(), "close");
}

// A JSON string literal holding `raw` byte for byte (quote, backslash and controls escaped;
// every other byte as it is, invalid UTF-8 included).
std::string RawJsonString(std::string_view raw) {
  std::string out = "\"";
  for (char c : raw) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (u < 0x20) {
      out += fmt::format("\\u{:04x}", u);
    } else {
      out += c;
    }
  }
  return out + "\"";
}

std::string PercentEncodeAll(std::string_view raw) {
  std::string out;
  for (char c : raw) out += fmt::format("%{:02X}", static_cast<unsigned char>(c));
  return out;
}

// An ingest body whose field `field` (of the snapshot, or of its one port) holds `value`.
std::string IngestBodyWith(const std::string& field, const std::string& value) {
  std::map<std::string, std::string> snap = {{"host_id", "\"h9\""},  {"agent_id", "\"a9\""},
                                             {"host_name", "\"n\""}, {"host_ip", "\"198.18.0.9\""},
                                             {"collected_at", "5"},  {"seq", "5"}};
  std::map<std::string, std::string> port = {
      {"laddr", "\"0.0.0.0\""},       {"port", "25"},       {"type", "\"TCP\""},
      {"path", "\"/usr/sbin/exim\""}, {"comm", "\"exim\""}, {"container_id", "\"\""},
      {"container_runtime", "\"\""}};
  if (snap.contains(field)) snap[field] = RawJsonString(value);
  if (port.contains(field)) port[field] = RawJsonString(value);
  auto object = [](const std::map<std::string, std::string>& m, const std::string& tail) {
    std::string o = "{";
    for (const auto& [k, v] : m) o += "\"" + k + "\":" + v + ",";
    return o + tail + "}";
  };
  return object(snap, "\"ports\":[" + object(port, "\"pid\":1") + "]");
}

const char* const kIngestStringFields[] = {"host_id", "agent_id",     "host_name",
                                           "host_ip", "laddr",        "path",
                                           "comm",    "container_id", "container_runtime"};

// Issue 12.4: a string that is not UTF-8 is refused in any field, and the inventory stays as
// it was (and valid JSON for every client).
TEST_F(ApiServiceTest, InvalidUtf8InAnyIngestStringIsRefused) {
  for (const char* bad : {"bad\xc3\x28", "\xff\xfe", "\xc0\xaf", "\xed\xa0\x80"}) {
    for (const char* field : kIngestStringFields) {
      Reply r = Call("POST", "/v1/ingest/ports", "tok-a", IngestBodyWith(field, bad));
      EXPECT_EQ(r.status, 400) << field << ": " << r.raw.body;
    }
  }
  EXPECT_EQ(
      Call("POST", "/v1/ingest/ports", "tok-a", IngestBodyWith("path", "/srv/caf\xc3\xa9")).status,
      200);
  Reply host = Call("GET", "/v5/projA/asset/ports/detail?port=25", "tok-a");
  ASSERT_EQ(host.status, 200) << host.raw.body;
  EXPECT_EQ(host.json["total_num"].GetInt(), 1) << host.raw.body;
}

TEST_F(ApiServiceTest, InvalidUtf8InAQueryParameterIsRefused) {
  for (const char* target :
       {"/v5/projA/asset/ports?host_id=bad%C3%28",
        "/v5/projA/asset/ports/detail?port=22&host_name=%FF%FE", "/v1/events?host_id=%C0%AF"}) {
    Reply r = Call("GET", target, "tok-a");
    EXPECT_EQ(r.status, 400) << target << ": " << r.raw.body;
  }
}

// Whatever the store holds (rows from before the check, or written by another path), every
// answer is valid JSON: invalid bytes come out as U+FFFD.
TEST_F(ApiServiceTest, AnswersStayValidJsonWhateverIsStored) {
  inventory::HostSnapshot s;
  s.project = "projA";
  s.host_id = "bad\xc3\x28";
  s.agent_id = "\xff\xfe";
  s.host_name = "\xc0\xaf";
  s.host_ip = "198.18.0.7";
  s.eps = "0";
  s.collected_at_ms = 9;
  s.seq = 9;
  inventory::SnapshotPort p;
  p.key = {1, "0.0.0.0", 22, SockType::kTcp};
  p.pid = 3;
  p.path = "/usr/sbin/\xe4\xb8";
  p.comm = "\x80";
  p.container_id = "\xf8\x88\x80\x80\x80";
  s.ports.push_back(p);
  std::vector<inventory::HostSnapshot> batch;
  batch.push_back(std::move(s));
  auto ingested = stack_->ingestor().Ingest(std::move(batch));
  ASSERT_TRUE(ingested) << ingested.error().ToString();
  ASSERT_EQ(ingested->size(), 1u);
  ASSERT_TRUE((*ingested)[0].applied);
  for (const char* target :
       {"/v5/projA/asset/ports?host_id=bad", "/v5/projA/asset/ports/detail?port=22",
        "/v5/projA/asset/port/statistics", "/v5/projA/asset/statistic", "/v1/events"}) {
    Reply r = Call("GET", target, "tok-a");  // Call asserts valid UTF-8 JSON
    EXPECT_EQ(r.status, 200) << target << ": " << r.raw.body;
  }
  Reply events = Call("GET", "/v1/events", "tok-a");
  EXPECT_NE(events.raw.body.find("bad\xef\xbf\xbd("), std::string::npos) << events.raw.body;
  EXPECT_NE(events.raw.body.find("/usr/sbin/\xef\xbf\xbd\xef\xbf\xbd"), std::string::npos)
      << events.raw.body;
}

// Issue 12, acceptance 3: random bytes in every string field of the ingest body and in the
// query parameters; every answer, of every kind, parses as valid JSON (Call checks), and the
// store's answers stay valid afterwards.
TEST_F(ApiServiceTest, RandomBytesInEveryStringFieldNeverBreakAnAnswer) {
  std::mt19937 rng(12);
  std::uniform_int_distribution<int> len(0, 12);
  std::uniform_int_distribution<int> byte(0, 255);
  auto random_bytes = [&] {
    std::string out;
    for (int n = len(rng); n > 0; --n) out += static_cast<char>(byte(rng));
    return out;
  };
  for (int round = 0; round < 40; ++round) {
    for (const char* field : kIngestStringFields) {
      Call("POST", "/v1/ingest/ports", "tok-a", IngestBodyWith(field, random_bytes()));
    }
    for (const char* path : {"/v5/projA/asset/ports", "/v5/projA/asset/ports/detail",
                             "/v5/projA/asset/port/statistics", "/v1/events", "/v1/scan-tasks"}) {
      Call("GET",
           std::string(path) + "?" + PercentEncodeAll(random_bytes()) + "=" +
               PercentEncodeAll(random_bytes()) +
               "&port=22&host_id=" + PercentEncodeAll(random_bytes()),
           "tok-a");
    }
    Call("POST", "/v1/scan-tasks", "tok-a",
         "{\"name\":" + RawJsonString(random_bytes()) + ",\"kind\":\"connect\",\"targets\":" +
             RawJsonString(random_bytes()) + ",\"ports\":\"1-10\"}");
  }
  for (const char* target :
       {"/v5/projA/asset/ports?host_id=h1", "/v5/projA/asset/ports/detail?port=25", "/v1/events",
        "/v1/scan-tasks"}) {
    EXPECT_EQ(Call("GET", target, "tok-a").status, 200) << target;
  }
}

}  // namespace
}  // namespace portatlas::api
