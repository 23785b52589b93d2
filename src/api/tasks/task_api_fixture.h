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
#include "api/service_stack.h"

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
    stack_ = std::make_unique<ServiceStack>(
        "taskapi", [] { return std::chrono::system_clock::now(); }, [this] { return now_ms_; });
    store_ = &stack_->store();
    box_ = &stack_->box();
    service_ = &stack_->service();
    AddToken("tok-a", "projA");
    AddToken("tok-b", "projB");
  }
  void TearDown() override { stack_.reset(); }

  void AddToken(const std::string& token, const std::string& project) {
    ASSERT_TRUE(stack_->AddToken(token, project).ok());
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

  std::unique_ptr<ServiceStack> stack_;
  store::Store* store_ = nullptr;  // the stack's
  auth::SecretBox* box_ = nullptr;
  ApiService* service_ = nullptr;
  int64_t now_ms_ = 1700000000000;
};

}  // namespace portatlas::api::tasks

#endif  // PORTATLAS_API_TASKS_TASK_API_FIXTURE_H_
