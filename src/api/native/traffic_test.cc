// The traffic endpoints below HTTP: a real SQLite store and authenticator.
#include "api/native/traffic.h"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include <set>

#include "api/service_stack.h"

namespace portatlas::api {
namespace {

constexpr const char* kBatch = R"({"collector":"c1","batch":1,"records":[
  {"ip":"198.18.0.2","protocol":"tcp","port":443,"hour":1765000800000,"bytes_in":100,
   "bytes_out":900,"packets_in":2,"packets_out":3,"flows":1,"sources":"e:00000000000000ff",
   "protocols":{"TLS":1000},"unknown":{}},
  {"ip":"198.18.0.2","protocol":"udp","port":53,"hour":1765000800000,"bytes_in":60,"flows":1,
   "protocols":{"DNS":60}}]})";

class TrafficApiTest : public testing::Test {
 protected:
  void SetUp() override {
    stack_ = std::make_unique<ServiceStack>("traffic_api",
                                            [] { return std::chrono::system_clock::now(); });
    ASSERT_TRUE(stack_->AddToken("tok-a", "projA").ok());
    ASSERT_TRUE(stack_->AddToken("tok-b", "projB").ok());
  }

  Response Call(const std::string& method, const std::string& target, const std::string& token,
                const std::string& body = "") {
    Request req;
    req.method = method;
    req.target = target;
    if (!token.empty()) req.headers.emplace_back("X-Auth-Token", token);
    req.body = body;
    return stack_->service().Dispatch(req);
  }

  std::unique_ptr<ServiceStack> stack_;
};

TEST_F(TrafficApiTest, ABatchSentTwiceCountsOnceAndOnlyForItsProject) {
  Response r = Call("POST", "/v1/ingest/traffic", "tok-a", kBatch);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.body, R"({"applied":true,"duplicate":false,"records":2})");
  r = Call("POST", "/v1/ingest/traffic", "tok-a", kBatch);
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.body, R"({"applied":false,"duplicate":true,"records":0})");

  r = Call("GET", "/v1/traffic?protocol=tcp", "tok-a");
  ASSERT_EQ(r.status, 200) << r.body;
  rapidjson::Document doc;
  doc.Parse(r.body.c_str());
  ASSERT_TRUE(doc.IsObject());
  EXPECT_STREQ(doc["granularity"].GetString(), "hour");
  ASSERT_EQ(doc["records"].Size(), 1u);
  const auto& rec = doc["records"][0];
  EXPECT_EQ(rec["bytes_in"].GetUint64(), 100u);
  EXPECT_EQ(rec["bucket"].GetInt64(), 1765000800000);
  EXPECT_EQ(rec["distinct_sources"].GetUint64(), 1u);
  r = Call("GET", "/v1/traffic?granularity=day", "tok-a");
  doc.Parse(r.body.c_str());
  ASSERT_EQ(doc["records"].Size(), 2u);
  EXPECT_EQ(doc["records"][0]["bucket"].GetInt64(), 1764979200000);  // the UTC day
  r = Call("GET", "/v1/traffic", "tok-b");
  doc.Parse(r.body.c_str());
  EXPECT_EQ(doc["records"].Size(), 0u);
}

TEST_F(TrafficApiTest, BadInputIsRefusedNamingItAndStoresNothing) {
  const std::pair<const char*, const char*> bodies[] = {
      {"{", "body"},
      {R"({"collector":"c1","batch":1,"records":[{"ip":"198.18.0.2","protocol":"tcp",
        "port":443,"hour":1765000800000,"bytes_in":-1}]})",
       "records[0].bytes_in"},
  };
  for (const auto& [body, field] : bodies) {
    Response r = Call("POST", "/v1/ingest/traffic", "tok-a", body);
    EXPECT_EQ(r.status, 400) << body;
    EXPECT_NE(r.body.find(field), std::string::npos) << r.body;
  }
  for (const char* q : {"granularity=week", "from=-1", "ip=nope", "protocol=icmp", "port=70000",
                        "limit=0", "limit=10001"}) {
    Response r = Call("GET", std::string("/v1/traffic?") + q, "tok-a");
    EXPECT_EQ(r.status, 400) << q << " " << r.body;
  }
  EXPECT_EQ(Call("POST", "/v1/ingest/traffic", "", kBatch).status, 401);
  EXPECT_EQ(Call("GET", "/v1/traffic", "wrong").status, 401);
  Response r = Call("GET", "/v1/traffic", "tok-a");
  EXPECT_NE(r.body.find(R"("records":[])"), std::string::npos) << r.body;
}

TEST_F(TrafficApiTest, ListenersComeFromAgentsAndOpenScanRecords) {
  Response r = Call("POST", "/v1/ingest/ports", "tok-a", R"({"host_id":"h1","agent_id":"a1",
    "host_ip":"198.18.0.7","collected_at":1,"seq":1,"ports":[
    {"laddr":"0.0.0.0","port":22,"type":"TCP","pid":5,"netns":1},
    {"laddr":"198.18.0.8","port":53,"type":"UDP","pid":6,"netns":1},
    {"laddr":"127.0.0.1","port":6379,"type":"TCP","pid":7,"netns":1}]})");
  ASSERT_EQ(r.status, 200) << r.body;
  store::ScanTaskRow task;
  task.project = "projA";
  task.kind = "connect";
  ASSERT_TRUE(stack_->store()
                  .Write([&](store::StoreWriter& w) -> Status {
                    PA_ASSIGN_OR_RETURN(id, w.CreateScanTask(task));
                    std::vector<store::ScanRecordRow> records(2);
                    records[0].ip = *ParseIpAddr("198.18.0.9");
                    records[0].port = 8443;
                    records[0].state = "open";
                    records[1].ip = *ParseIpAddr("198.18.0.9");
                    records[1].port = 8444;
                    records[1].state = "closed";
                    return w.PutScanRecords(id, records, 1);
                  })
                  .ok());
  r = Call("GET", "/v1/listeners", "tok-a");
  ASSERT_EQ(r.status, 200) << r.body;
  rapidjson::Document doc;
  doc.Parse(r.body.c_str());
  std::set<std::string> got;
  for (const auto& l : doc["listeners"].GetArray()) {
    got.insert(fmt::format("{} {} {} {}", l["ip"].GetString(), l["protocol"].GetString(),
                           l["port"].GetUint(), l["source"].GetString()));
  }
  EXPECT_EQ(got, (std::set<std::string>{"198.18.0.7 tcp 22 agent", "198.18.0.8 udp 53 agent",
                                        "198.18.0.9 tcp 8443 scan"}));
  r = Call("GET", "/v1/listeners", "tok-b");
  EXPECT_NE(r.body.find(R"("listeners":[])"), std::string::npos) << r.body;
  EXPECT_EQ(Call("GET", "/v1/listeners?limit=0", "tok-a").status, 400);
}

}  // namespace
}  // namespace portatlas::api
