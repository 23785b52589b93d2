// The Alibaba RPC endpoint in process, for the AVDS tests: ApiService over a real SQLite store
// and authenticator; projA has a token ("tok-a", for the native scan-task API) and an AK/SK
// pair (kKeyA), projB the same (tok-b, kKeyB); the clock is fixed and movable.
#ifndef PORTATLAS_API_ALIYUN_AVDS_API_FIXTURE_H_
#define PORTATLAS_API_ALIYUN_AVDS_API_FIXTURE_H_

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <rapidjson/document.h>
#include <stdlib.h>

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "api/aliyun/rpc_test_util.h"
#include "api/api_service.h"
#include "api/service_stack.h"

namespace portatlas::api::aliyun {

inline const testing::Key kKeyA{"AKALIYUNPROJA000001", "secret-a-0123456789abcdef0123456789ab"};
inline const testing::Key kKeyB{"AKALIYUNPROJB000001", "secret-b-0123456789abcdef0123456789ab"};

struct RpcReply {
  int status = 0;
  std::string body;
  std::string content_type;
  std::string request_id_header;
  rapidjson::Document json;  // parsed when the body is JSON

  // The body's Code, or "" when it has none (a success).
  std::string Code() const {
    return json.IsObject() && json.HasMember("Code") && json["Code"].IsString()
               ? json["Code"].GetString()
               : "";
  }
};

class AvdsApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    stack_ = std::make_unique<ServiceStack>(
        "avds", [this] { return now_; },
        [this] {
          return std::chrono::duration_cast<std::chrono::milliseconds>(now_.time_since_epoch())
              .count();
        });
    store_ = &stack_->store();
    box_ = &stack_->box();
    service_ = &stack_->service();
    AddToken("tok-a", "projA");
    AddToken("tok-b", "projB");
    AddKey(kKeyA, "projA");
    AddKey(kKeyB, "projB");
  }
  void TearDown() override { stack_.reset(); }

  void AddToken(const std::string& token, const std::string& project) {
    ASSERT_TRUE(stack_->AddToken(token, project).ok());
  }

  void AddKey(const testing::Key& key, const std::string& project) {
    store::CredentialRow c;
    c.id = "ak-" + key.id;
    c.kind = store::CredentialKind::kAkSk;
    c.project = project;
    c.eps = {"0"};
    c.access_key = key.id;
    c.sealed_sk = *box_->Seal(key.secret, key.id);
    ASSERT_TRUE(store_->PutCredential(c).ok());
  }

  // A native API call with a token; returns the parsed JSON body.
  rapidjson::Document Native(const std::string& method, const std::string& target,
                             const std::string& body, const std::string& token = "tok-a") {
    Request req;
    req.method = method;
    req.target = target;
    req.headers.emplace_back("X-Auth-Token", token);
    req.body = body;
    Response resp = service_->Dispatch(req);
    EXPECT_LT(resp.status, 300) << target << ": " << resp.body;
    rapidjson::Document d;
    d.Parse(resp.body.c_str());
    return d;
  }

  // A scan task with these records ({"ip":..., "protocol":..., ...} objects); returns its id.
  int64_t Task(const std::string& name, const std::string& targets,
               const std::vector<std::string>& records, const std::string& final_status = "",
               const std::string& token = "tok-a") {
    rapidjson::Document t =
        Native("POST", "/v1/scan-tasks",
               fmt::format(R"({{"name":"{}","kind":"connect","targets":"{}","probes_total":8}})",
                           name, targets),
               token);
    const int64_t id = t["task_id"].GetInt64();
    if (!records.empty()) {
      std::string body = R"({"records":[)";
      for (size_t i = 0; i < records.size(); ++i) body += (i > 0 ? "," : "") + records[i];
      Native("POST", fmt::format("/v1/scan-tasks/{}/records", id), body + "]}", token);
    }
    Native("POST", fmt::format("/v1/scan-tasks/{}/progress", id),
           final_status.empty() ? R"({"probes_done":2})"
                                : fmt::format(R"({{"probes_done":8,"status":"{}"}})", final_status),
           token);
    return id;
  }

  static std::string Rec(const std::string& ip, int port, const std::string& state = "open",
                         const std::string& extra = "") {
    return fmt::format(R"({{"ip":"{}","protocol":"tcp","port":{},"state":"{}"{}}})", ip, port,
                       state, extra.empty() ? "" : "," + extra);
  }

  RpcReply Send(Request req) {
    Response resp = service_->Dispatch(req);
    RpcReply r;
    r.status = resp.status;
    r.body = resp.body;
    r.content_type = resp.content_type;
    for (const auto& [k, v] : resp.headers) {
      if (k == "X-Request-Id") r.request_id_header = v;
    }
    if (resp.content_type.starts_with("application/json")) {
      r.json.Parse(r.body.c_str());
      EXPECT_FALSE(r.json.HasParseError()) << r.body;
    }
    return r;
  }

  std::string Nonce() { return fmt::format("{:032x}", ++nonce_counter_); }

  // pop-core style V1 call of `action` (GET unless told), signed with `key` at the fixture's now.
  RpcReply V1(const std::string& action, std::vector<Param> params = {},
              const std::string& method = "GET", const testing::Key& key = kKeyA) {
    params.insert(params.begin(), {"Action", action});
    return Send(testing::SignedV1(method, params, key, now_, Nonce()));
  }

  // openapi-client style V3 call (POST, parameters in the query).
  RpcReply V3(const std::string& action, const std::vector<Param>& query = {},
              const testing::Key& key = kKeyA) {
    return Send(testing::SignedV3("POST", action, query, {}, key, now_, Nonce()));
  }

  std::unique_ptr<ServiceStack> stack_;
  store::Store* store_ = nullptr;  // the stack's
  auth::SecretBox* box_ = nullptr;
  ApiService* service_ = nullptr;
  std::chrono::system_clock::time_point now_{std::chrono::seconds(1790000000)};
  uint64_t nonce_counter_ = 0;
};

}  // namespace portatlas::api::aliyun

#endif  // PORTATLAS_API_ALIYUN_AVDS_API_FIXTURE_H_
