// The scan-task API through ApiService::Dispatch: what each route does.
#include "api/tasks/task_handlers.h"

#include <gtest/gtest.h>

#include <functional>
#include <optional>
#include <tuple>

#include "api/tasks/task_api_fixture.h"

namespace portatlas::api::tasks {
namespace {

TEST_F(TaskApiTest, CreateAnswers201WithTheTask) {
  Reply r = Call("POST", "/v1/scan-tasks",
                 R"({"name":"nightly","kind":"syn","targets":"198.18.0.0/24","ports":"22,80",
                     "probes_total":512,"unknown_field":[1,2]})");
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_GT(r.json["task_id"].GetInt64(), 0);
  EXPECT_STREQ(r.json["name"].GetString(), "nightly");
  EXPECT_STREQ(r.json["kind"].GetString(), "syn");
  EXPECT_STREQ(r.json["status"].GetString(), "running");
  EXPECT_STREQ(r.json["targets"].GetString(), "198.18.0.0/24");
  EXPECT_STREQ(r.json["ports"].GetString(), "22,80");
  EXPECT_EQ(r.json["probes_done"].GetInt64(), 0);
  EXPECT_EQ(r.json["probes_total"].GetInt64(), 512);
  EXPECT_EQ(r.json["open_count"].GetInt64(), 0);
  EXPECT_EQ(r.json["created_at"].GetInt64(), now_ms_);
  EXPECT_TRUE(r.json["finished_at"].IsNull());
  Reply got = Call("GET", Path(r.json["task_id"].GetInt64()));
  ASSERT_EQ(got.status, 200) << got.body;
  EXPECT_EQ(got.body, r.body);
}

TEST_F(TaskApiTest, RecordsAreStoredAndReadBackInOrder) {
  const int64_t id = CreateTask();
  Reply r = Call("POST", Path(id, "/records"),
                 Records({kRecord, Rec("198.18.0.10", 80), Rec("2001:2::5", 443, "closed"),
                          Rec("198.18.0.2", 53, "open|filtered", "udp")}));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json["stored"].GetInt(), 4);
  Reply page = Call("GET", Path(id, "/records"));
  ASSERT_EQ(page.status, 200) << page.body;
  EXPECT_EQ(page.json["total"].GetInt(), 4);
  const auto& recs = page.json["records"];
  ASSERT_EQ(recs.Size(), 4u);
  EXPECT_STREQ(recs[0]["ip"].GetString(), "198.18.0.1");
  EXPECT_STREQ(recs[1]["ip"].GetString(), "198.18.0.2");
  EXPECT_STREQ(recs[1]["protocol"].GetString(), "udp");
  EXPECT_STREQ(recs[2]["ip"].GetString(), "198.18.0.10");  // numeric order, not text order
  EXPECT_STREQ(recs[3]["ip"].GetString(), "2001:2::5");
  // The full record comes back with the names and shapes it was sent with.
  rapidjson::Document sent;
  sent.Parse(kRecord);
  EXPECT_TRUE(recs[0] == sent) << page.body;
  EXPECT_TRUE(recs[1]["tls"].IsNull());
  Reply task = Call("GET", Path(id));
  EXPECT_EQ(task.json["record_count"].GetInt(), 4);
  EXPECT_EQ(task.json["open_count"].GetInt(), 2);
}

TEST_F(TaskApiTest, RecordsPageByOffsetAndLimit) {
  const int64_t id = CreateTask();
  std::vector<std::string> recs;
  for (int p = 1; p <= 25; ++p) recs.push_back(Rec("198.18.0.1", p));
  ASSERT_EQ(Call("POST", Path(id, "/records"), Records(recs)).status, 200);
  Reply r = Call("GET", Path(id, "/records?offset=10&limit=10"));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json["total"].GetInt(), 25);
  ASSERT_EQ(r.json["records"].Size(), 10u);
  EXPECT_EQ(r.json["records"][0]["port"].GetInt(), 11);
  r = Call("GET", Path(id, "/records?offset=20&limit=10000"));
  EXPECT_EQ(r.json["records"].Size(), 5u);
}

TEST_F(TaskApiTest, ResendingARecordReplacesIt) {
  const int64_t id = CreateTask();
  ASSERT_EQ(Call("POST", Path(id, "/records"), Records({Rec("198.18.0.1", 22)})).status, 200);
  ASSERT_EQ(Call("POST", Path(id, "/records"), Records({Rec("198.18.0.1", 22, "closed")})).status,
            200);
  Reply task = Call("GET", Path(id));
  EXPECT_EQ(task.json["record_count"].GetInt(), 1);
  EXPECT_EQ(task.json["open_count"].GetInt(), 0);
}

TEST_F(TaskApiTest, ProgressAndFinish) {
  const int64_t id = CreateTask();
  now_ms_ += 1000;
  Reply r = Call("POST", Path(id, "/progress"), R"({"probes_done":100,"probes_total":200})");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json["probes_done"].GetInt(), 100);
  EXPECT_EQ(r.json["probes_total"].GetInt(), 200);
  EXPECT_EQ(r.json["updated_at"].GetInt64(), now_ms_);
  EXPECT_STREQ(r.json["status"].GetString(), "running");
  now_ms_ += 1000;
  r = Call("POST", Path(id, "/progress"),
           R"({"probes_done":200,"probes_total":200,"status":"done"})");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_STREQ(r.json["status"].GetString(), "done");
  EXPECT_EQ(r.json["finished_at"].GetInt64(), now_ms_);
  // A retried final report is answered with the task as it is.
  now_ms_ += 1000;
  Reply again = Call("POST", Path(id, "/progress"),
                     R"({"probes_done":200,"probes_total":200,"status":"done"})");
  EXPECT_EQ(again.status, 200) << again.body;
  EXPECT_EQ(again.json["finished_at"].GetInt64(), now_ms_ - 1000);
}

TEST_F(TaskApiTest, FinishedTaskRefusesRecordsAndOtherProgress) {
  const int64_t id = CreateTask();
  ASSERT_EQ(
      Call("POST", Path(id, "/progress"), R"({"status":"failed","error":"interrupted"})").status,
      200);
  Reply r = Call("POST", Path(id, "/records"), Records({Rec("198.18.0.1", 22)}));
  EXPECT_EQ(r.status, 409) << r.body;
  EXPECT_STREQ(r.json["error_code"].GetString(), "PA.0409");
  for (const char* body :
       {R"({"status":"done"})", R"({"status":"running"})", R"({"probes_done":5})"}) {
    r = Call("POST", Path(id, "/progress"), body);
    EXPECT_EQ(r.status, 409) << body << " -> " << r.body;
  }
  Reply task = Call("GET", Path(id));
  EXPECT_STREQ(task.json["status"].GetString(), "failed");
  EXPECT_STREQ(task.json["error"].GetString(), "interrupted");
  EXPECT_EQ(task.json["record_count"].GetInt(), 0);
}

TEST_F(TaskApiTest, ListIsNewestFirstAndPerProject) {
  const int64_t a = CreateTask();
  const int64_t b = CreateTask();
  CreateTask("tok-b");
  Reply r = Call("GET", "/v1/scan-tasks");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json["total"].GetInt(), 2);
  ASSERT_EQ(r.json["tasks"].Size(), 2u);
  EXPECT_EQ(r.json["tasks"][0]["task_id"].GetInt64(), b);
  EXPECT_EQ(r.json["tasks"][1]["task_id"].GetInt64(), a);
  EXPECT_FALSE(r.json["tasks"][0].HasMember("targets"));
  r = Call("GET", "/v1/scan-tasks?offset=1&limit=1");
  ASSERT_EQ(r.json["tasks"].Size(), 1u);
  EXPECT_EQ(r.json["tasks"][0]["task_id"].GetInt64(), a);
}

TEST_F(TaskApiTest, AnotherProjectsTaskIs404) {
  const int64_t id = CreateTask("tok-b");
  ASSERT_EQ(Call("POST", Path(id, "/records"), Records({Rec("198.18.0.1", 22)}), "tok-b").status,
            200);
  for (const auto& [method, target, body] :
       std::vector<std::tuple<std::string, std::string, std::string>>{
           {"GET", Path(id), ""},
           {"GET", Path(id, "/records"), ""},
           {"POST", Path(id, "/records"), Records({Rec("198.18.0.9", 1)})},
           {"POST", Path(id, "/progress"), R"({"status":"done"})"},
           {"GET", Path(999999), ""}}) {
    Reply r = Call(method, target, body);
    EXPECT_EQ(r.status, 404) << method << " " << target << ": " << r.body;
    EXPECT_STREQ(r.json["error_code"].GetString(), "PA.0404");
    EXPECT_EQ(r.body.find("198.18.0.1"), std::string::npos);
  }
  Reply task = Call("GET", Path(id), "", "tok-b");
  EXPECT_EQ(task.json["record_count"].GetInt(), 1);
  EXPECT_STREQ(task.json["status"].GetString(), "running");
}

TEST_F(TaskApiTest, MissingOrUnknownTokenIs401) {
  const int64_t id = CreateTask();
  for (const std::string& token : {std::string(), std::string("nope")}) {
    for (const auto& [method, target] :
         std::vector<std::pair<std::string, std::string>>{{"POST", "/v1/scan-tasks"},
                                                          {"GET", "/v1/scan-tasks"},
                                                          {"GET", Path(id)},
                                                          {"POST", Path(id, "/records")},
                                                          {"POST", Path(id, "/progress")},
                                                          {"GET", Path(id, "/records")}}) {
      Reply r = Call(method, target, "{}", token);
      EXPECT_EQ(r.status, 401) << method << " " << target;
      EXPECT_STREQ(r.json["error_code"].GetString(), "APIGW.0301");
    }
  }
}

TEST_F(TaskApiTest, BadIdsAndTaskPages) {
  for (const char* target : {"/v1/scan-tasks/0", "/v1/scan-tasks/-1", "/v1/scan-tasks/1x",
                             "/v1/scan-tasks/99999999999999999999", "/v1/scan-tasks?limit=1001",
                             "/v1/scan-tasks?limit=0", "/v1/scan-tasks?offset=x"}) {
    Reply r = Call("GET", target);
    EXPECT_EQ(r.status, 400) << target << ": " << r.body;
  }
  EXPECT_EQ(Call("GET", "/v1/scan-tasks?limit=1000&offset=0").status, 200);
}

// Every spelling of a path that reaches a handler runs it the same way: the blocking decision
// and the router see one canonical path.
TEST_F(TaskApiTest, UploadsRunOffTheIoThreadsWhateverThePathSpelling) {
  for (const char* t : {"/v1/scan-tasks", "/v1/scan-tasks/1/records", "/v1/scan-tasks/1/progress",
                        "//v1/scan-tasks", "/v1/scan-tasks/", "/v1//scan-tasks/1/records",
                        "//v1/ingest/ports/", "/v1/ingest/ports", "/v1/ingest//ports?x=1"}) {
    Request req;
    req.method = "POST";
    req.target = t;
    req.headers.emplace_back("X-Auth-Token", "tok-a");
    const Admission a = service_->Admit(req);
    EXPECT_FALSE(a.refusal) << t << ": " << (a.refusal ? a.refusal->body : "");
    EXPECT_TRUE(a.blocking) << t;
  }
  Request get;
  get.method = "GET";
  get.target = "//v1/scan-tasks/1/records/";
  get.headers.emplace_back("X-Auth-Token", "tok-a");
  EXPECT_FALSE(service_->Admit(get).blocking);
}

// No credential, a wrong one, or an unknown path: refused on the header, before any body.
TEST_F(TaskApiTest, AdmissionRefusesOnTheHeader) {
  const struct {
    const char* target;
    const char* token;
    int status;
  } cases[] = {{"/v1/ingest/ports", nullptr, 401},
               {"/v1/ingest/ports", "wrong", 401},
               {"/v1/scan-tasks/1/records", nullptr, 401},
               {"/v1/nothing-here", "tok-a", 404}};
  for (const auto& c : cases) {
    Request req;
    req.method = "POST";
    req.target = c.target;
    req.headers.emplace_back("Content-Length", "60000000");
    if (c.token != nullptr) req.headers.emplace_back("X-Auth-Token", c.token);
    const Admission a = service_->Admit(req);
    ASSERT_TRUE(a.refusal) << c.target;
    EXPECT_EQ(a.refusal->status, c.status) << c.target << ": " << a.refusal->body;
  }
  Request ok;
  ok.method = "POST";
  ok.target = "/v1/ingest/ports";
  ok.headers.emplace_back("X-Auth-Token", "tok-a");
  const Admission a = service_->Admit(ok);
  EXPECT_FALSE(a.refusal);
  EXPECT_FALSE(a.anonymous);
  EXPECT_EQ(a.body_limit, 64ull << 20);
  ASSERT_TRUE(ok.principal);
  EXPECT_EQ(ok.principal->project, "projA");
}

// A store whose writes cannot commit (a full disk, say); reads go to the real one.
class UncommittableStore final : public store::Store {
 public:
  explicit UncommittableStore(store::Store& real) : real_(real) {}
  Status Write(const std::function<Status(store::StoreWriter&)>&) override {
    return Unavailable("commit failed: disk full");
  }
  Result<store::QueryResult<store::PortHostRow>> ListPorts(const store::PortQuery& q) override {
    return real_.ListPorts(q);
  }
  Result<store::QueryResult<store::PortStatRow>> ListPortStatistics(
      const store::PortStatQuery& q) override {
    return real_.ListPortStatistics(q);
  }
  Result<store::QueryResult<store::PortHostRow>> ListPortHosts(
      const store::PortHostQuery& q) override {
    return real_.ListPortHosts(q);
  }
  Result<int64_t> CountPorts(const store::PortCountQuery& q) override {
    return real_.CountPorts(q);
  }
  Result<std::vector<store::PortEvent>> ListEvents(std::string_view project,
                                                   std::string_view host_id, int64_t since_ms,
                                                   int limit) override {
    return real_.ListEvents(project, host_id, since_ms, limit);
  }
  Result<std::optional<store::ScanTaskRow>> GetScanTask(std::string_view project,
                                                        int64_t id) override {
    return real_.GetScanTask(project, id);
  }
  Result<store::QueryResult<store::ScanTaskRow>> ListScanTasks(std::string_view project,
                                                               store::PageRequest page) override {
    return real_.ListScanTasks(project, page);
  }
  Result<store::QueryResult<store::ScanRecordRow>> ListScanRecords(
      std::string_view project, int64_t task_id, store::PageRequest page) override {
    return real_.ListScanRecords(project, task_id, page);
  }
  Result<store::QueryResult<store::ScanTaskRow>> FindScanTasks(
      const store::ScanTaskQuery& q) override {
    return real_.FindScanTasks(q);
  }
  Result<store::QueryResult<store::ScanRecordRow>> ListScanOpenPorts(
      const store::ScanPortQuery& q) override {
    return real_.ListScanOpenPorts(q);
  }
  Result<store::QueryResult<store::ScanHostRow>> ListScanHosts(
      const store::ScanPortQuery& q) override {
    return real_.ListScanHosts(q);
  }
  Result<store::ScanSurfaceCounts> CountScanSurface(std::string_view project,
                                                    int64_t task_id) override {
    return real_.CountScanSurface(project, task_id);
  }
  Result<store::QueryResult<store::ScanRecordRow>> ListProjectOpenPorts(
      const store::ProjectPortQuery& q) override {
    return real_.ListProjectOpenPorts(q);
  }
  Result<std::vector<store::TrafficRecord>> ListTraffic(const store::TrafficQuery& q) override {
    return real_.ListTraffic(q);
  }
  Status PutCredential(const store::CredentialRow& c) override { return real_.PutCredential(c); }
  Result<std::optional<store::CredentialRow>> FindToken(std::string_view hash) override {
    return real_.FindToken(hash);
  }
  Result<std::optional<store::CredentialRow>> FindAccessKey(std::string_view ak) override {
    return real_.FindAccessKey(ak);
  }
  Result<std::vector<store::CredentialRow>> ListCredentials() override {
    return real_.ListCredentials();
  }
  Status RevokeCredential(std::string_view id) override { return real_.RevokeCredential(id); }

 private:
  store::Store& real_;
};

TEST_F(TaskApiTest, StoreThatCannotCommitIs503) {
  const int64_t id = CreateTask();
  UncommittableStore broken(*store_);
  Authenticator auth(broken, *box_, [] { return std::chrono::system_clock::now(); });
  ApiService service(broken, stack_->ingestor(), auth, [this] { return now_ms_; });
  for (const auto& [target, body] : std::vector<std::pair<std::string, std::string>>{
           {"/v1/scan-tasks", R"({"name":"x","kind":"udp"})"},
           {Path(id, "/records"), Records({Rec("198.18.0.1", 22)})},
           {Path(id, "/progress"), R"({"status":"done"})"}}) {
    Request req;
    req.method = "POST";
    req.target = target;
    req.headers.emplace_back("X-Auth-Token", "tok-a");
    req.body = body;
    const Response resp = service.Dispatch(req);
    EXPECT_EQ(resp.status, 503) << target << ": " << resp.body;
    EXPECT_NE(resp.body.find("PA.0503"), std::string::npos) << resp.body;
  }
  Reply task = Call("GET", Path(id));
  EXPECT_EQ(task.json["record_count"].GetInt(), 0);
  EXPECT_STREQ(task.json["status"].GetString(), "running");
  EXPECT_EQ(Call("GET", "/v1/scan-tasks").json["total"].GetInt(), 1);
}

}  // namespace
}  // namespace portatlas::api::tasks
