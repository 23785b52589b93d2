// The scan-task API in process, for the handler tests: ApiService over a real SQLite store and
// authenticator, two projects' tokens ("tok-a" of projA, "tok-b" of projB), a fixed clock.
#ifndef PORTATLAS_API_TASKS_TASK_API_FIXTURE_H_
#define PORTATLAS_API_TASKS_TASK_API_FIXTURE_H_

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <rapidjson/document.h>
#include <stdlib.h>

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "api/api_service.h"
#include "api/auth/sdk_signer.h"
#include "store/sqlite/sqlite_store.h"

namespace portatlas::api::tasks {

struct Reply {
  int status = 0;
  rapidjson::Document json;
  std::string body;
};

inline constexpr char kRecord[] =
    R"({"ip":"198.18.0.1","protocol":"tcp","port":22,"state":"open","reason":"syn-ack",)"
    R"("reason_ttl":64,"updated_at":1700000000000,"service":"ssh","product":"OpenSSH",)"
    R"("version":"9.2p1","info":"protocol 2.0","cpe":"cpe:/a:openbsd:openssh:9.2p1",)"
    R"("tls":{"version":"TLSv1.3","alpn":["h2"]},"banner_hash":")"
    "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\"}";

class TaskApiTest : public testing::Test {
 protected:
  void SetUp() override {
    char dir[] = "/tmp/portatlas-taskapi-XXXXXX";
    ASSERT_NE(::mkdtemp(dir), nullptr);
    dir_ = dir;
    store_ = std::move(*store::OpenSqliteStore(dir_ + "/db.sqlite"));
    box_ = std::make_unique<auth::SecretBox>(
        std::move(*auth::SecretBox::FromKey(std::string(32, 'k'))));
    kb_ = std::move(*inventory::RiskKb::BuiltIn());
    ingestor_ = std::make_unique<inventory::Ingestor>(*store_, kb_, services_);
    auth_ = std::make_unique<Authenticator>(*store_, *box_,
                                            [] { return std::chrono::system_clock::now(); });
    service_ =
        std::make_unique<ApiService>(*store_, *ingestor_, *auth_, [this] { return now_ms_; });
    AddToken("tok-a", "projA");
    AddToken("tok-b", "projB");
  }
  void TearDown() override {
    service_.reset();
    ingestor_.reset();
    store_.reset();
    std::filesystem::remove_all(dir_);
  }

  void AddToken(const std::string& token, const std::string& project) {
    store::CredentialRow c;
    c.id = "id-" + token;
    c.project = project;
    c.eps = {"0"};
    c.token_hash = auth::HashToken(token);
    ASSERT_TRUE(store_->PutCredential(c).ok());
  }

  Reply Call(const std::string& method, const std::string& target, const std::string& body = "",
             const std::string& token = "tok-a") {
    Request req;
    req.method = method;
    req.target = target;
    if (!token.empty()) req.headers.emplace_back("X-Auth-Token", token);
    // As the HTTP server does: admission on the header, then the body, then the handler.
    Admission admission = service_->Admit(req);
    Response resp;
    if (admission.refusal) {
      resp = std::move(*admission.refusal);
    } else {
      EXPECT_LE(body.size(), admission.body_limit) << target;
      req.body = body;
      resp = service_->Dispatch(req);
    }
    Reply r;
    r.status = resp.status;
    r.body = resp.body;
    r.json.Parse(r.body.c_str());
    EXPECT_FALSE(r.json.HasParseError()) << r.body;
    return r;
  }

  int64_t CreateTask(const std::string& token = "tok-a") {
    Reply r = Call("POST", "/v1/scan-tasks",
                   R"({"name":"nightly","kind":"connect","targets":"198.18.0.0/24",
                       "ports":"1-1024","probes_total":262144})",
                   token);
    EXPECT_EQ(r.status, 201) << r.body;
    return r.json.IsObject() && r.json.HasMember("task_id") ? r.json["task_id"].GetInt64() : 0;
  }

  std::string Path(int64_t id, const std::string& rest = "") {
    return fmt::format("/v1/scan-tasks/{}{}", id, rest);
  }

  static std::string Records(const std::vector<std::string>& objects) {
    std::string out = R"({"records":[)";
    for (size_t i = 0; i < objects.size(); ++i) out += (i > 0 ? "," : "") + objects[i];
    return out + "]}";
  }

  static std::string Rec(const std::string& ip, int port, const std::string& state = "open",
                         const std::string& protocol = "tcp") {
    return fmt::format(R"({{"ip":"{}","protocol":"{}","port":{},"state":"{}"}})", ip, protocol,
                       port, state);
  }

  std::string dir_;
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<auth::SecretBox> box_;
  inventory::RiskKb kb_;
  inventory::ServicesDb services_;
  std::unique_ptr<inventory::Ingestor> ingestor_;
  std::unique_ptr<Authenticator> auth_;
  std::unique_ptr<ApiService> service_;
  int64_t now_ms_ = 1700000000000;
};

}  // namespace portatlas::api::tasks

#endif  // PORTATLAS_API_TASKS_TASK_API_FIXTURE_H_
