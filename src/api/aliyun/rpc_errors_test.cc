// Every error of the RPC endpoint: a 4xx status and the documented body, so that both Node
// clients raise (pop-core on a Code outside {200, OK, Success}, openapi-client on status >= 400).
#include "api/aliyun/rpc_errors.h"

#include "api/aliyun/avds_api_fixture.h"

namespace portatlas::api::aliyun {
namespace {

// The body every error carries, checked field by field.
void ExpectErrorBody(const RpcReply& r, int status, const std::string& code,
                     const std::string& host = "avds.aliyuncs.com") {
  EXPECT_EQ(r.status, status) << r.body;
  ASSERT_TRUE(r.json.IsObject()) << r.body;
  EXPECT_EQ(r.Code(), code) << r.body;
  for (const char* field : {"RequestId", "HostId", "Code", "Message", "Recommend"}) {
    ASSERT_TRUE(r.json.HasMember(field) && r.json[field].IsString()) << field << ": " << r.body;
  }
  EXPECT_EQ(r.json.MemberCount(), 5u) << r.body;
  EXPECT_EQ(r.json["RequestId"].GetString(), r.request_id_header);
  EXPECT_EQ(r.json["HostId"].GetString(), host);
  EXPECT_GT(r.json["Message"].GetStringLength(), 0u);
  EXPECT_EQ(r.json["Recommend"].GetString(),
            fmt::format("https://api.aliyun.com/troubleshoot?q={}&product=Avds&requestId={}", code,
                        r.request_id_header));
}

class RpcErrorTest : public AvdsApiTest {
 protected:
  void SetUp() override {
    AvdsApiTest::SetUp();
    task_ = std::to_string(Task("t", "198.18.0.1", {Rec("198.18.0.1", 22)}));
  }
  std::string task_;
};

TEST_F(RpcErrorTest, WrongSecret) {
  const testing::Key wrong{kKeyA.id, "not-the-secret"};
  for (const std::string method : {"GET", "POST"}) {
    ExpectErrorBody(V1("DescribePorts", {{"TaskId", task_}}, method, wrong), 400,
                    "SignatureDoesNotMatch");
  }
  ExpectErrorBody(V3("DescribePorts", {{"TaskId", task_}}, wrong), 400, "SignatureDoesNotMatch");
}

TEST_F(RpcErrorTest, ReplayedNonce) {
  const Request req = testing::SignedV1("GET", {{"Action", "DescribePorts"}, {"TaskId", task_}},
                                        kKeyA, now_, "replayed-nonce");
  EXPECT_EQ(Send(req).status, 200);
  ExpectErrorBody(Send(req), 400, "SignatureNonceUsed");
  const Request v3 = testing::SignedV3("POST", "DescribePorts", {{"TaskId", task_}}, {}, kKeyA,
                                       now_, "replayed-v3");
  EXPECT_EQ(Send(v3).status, 200);
  ExpectErrorBody(Send(v3), 400, "SignatureNonceUsed");
}

TEST_F(RpcErrorTest, ExpiredTimestamp) {
  const Request old = testing::SignedV1("GET", {{"Action", "DescribePorts"}, {"TaskId", task_}},
                                        kKeyA, now_ - std::chrono::minutes(16), Nonce());
  ExpectErrorBody(Send(old), 400, "InvalidTimeStamp.Expired");
  const Request future = testing::SignedV3("POST", "DescribePorts", {{"TaskId", task_}}, {}, kKeyA,
                                           now_ + std::chrono::minutes(16), Nonce());
  ExpectErrorBody(Send(future), 400, "InvalidTimeStamp.Expired");
}

TEST_F(RpcErrorTest, PageSizeOverTenAndOtherBadValues) {
  for (const std::string action : {"DescribePorts", "DescribeHosts"}) {
    ExpectErrorBody(V1(action, {{"TaskId", task_}, {"PageSize", "11"}}), 400, "InvalidParameter");
    ExpectErrorBody(V1(action, {{"TaskId", task_}, {"PageSize", "0"}}), 400, "InvalidParameter");
    ExpectErrorBody(V1(action, {{"TaskId", task_}, {"CurrentPage", "0"}}), 400, "InvalidParameter");
    ExpectErrorBody(V1(action, {{"TaskId", "abc"}}), 400, "InvalidParameter");
    ExpectErrorBody(V1(action, {{"TaskId", "-1"}}), 400, "InvalidParameter");
  }
  RpcReply r = V3("DescribePorts", {{"TaskId", task_}, {"PageSize", "11"}});
  ExpectErrorBody(r, 400, "InvalidParameter");
  EXPECT_NE(std::string(r.json["Message"].GetString()).find("\"PageSize\""), std::string::npos);
  EXPECT_EQ(V1("DescribePorts", {{"TaskId", task_}, {"PageSize", "10"}}).status, 200);
  ExpectErrorBody(V1("ListUserPorts", {{"PageSize", "101"}}), 400, "InvalidParameter");
}

TEST_F(RpcErrorTest, MissingTaskId) {
  for (const std::string action :
       {"DescribePorts", "DescribeHosts", "DescribeAttackSurfacesFacets"}) {
    RpcReply r = V1(action);
    ExpectErrorBody(r, 400, "MissingTaskId");
    EXPECT_STREQ(r.json["Message"].GetString(), "TaskId is mandatory for this action.");
  }
  ExpectErrorBody(V3("DescribePorts"), 400, "MissingTaskId");
}

TEST_F(RpcErrorTest, UnknownOrForeignTaskIsNotFound) {
  const std::string theirs =
      std::to_string(Task("b", "198.18.0.2", {Rec("198.18.0.2", 22)}, "", "tok-b"));
  for (const std::string action :
       {"DescribePorts", "DescribeHosts", "DescribeAttackSurfacesFacets"}) {
    for (const std::string& id : {theirs, std::string("999999")}) {
      RpcReply r = V1(action, {{"TaskId", id}});
      ExpectErrorBody(r, 404, "InvalidTaskId.NotFound");
      EXPECT_EQ(r.body.find("198.18.0.2"), std::string::npos);
    }
  }
  // Also when the Asset filter alone would already match nothing.
  ExpectErrorBody(V1("DescribePorts", {{"TaskId", theirs}, {"Asset", "foo.com"}}), 404,
                  "InvalidTaskId.NotFound");
  // Their own key sees it.
  EXPECT_EQ(V1("DescribePorts", {{"TaskId", theirs}}, "GET", kKeyB).status, 200);
}

TEST_F(RpcErrorTest, UnknownOrRevokedAccessKey) {
  ExpectErrorBody(V1("DescribePorts", {{"TaskId", task_}}, "GET", {"AKNOBODY", "x"}), 404,
                  "InvalidAccessKeyId.NotFound");
  ExpectErrorBody(V3("DescribePorts", {{"TaskId", task_}}, {"AKNOBODY", "x"}), 404,
                  "InvalidAccessKeyId.NotFound");
  ASSERT_TRUE(store_->RevokeCredential("ak-" + kKeyA.id).ok());
  ExpectErrorBody(V1("DescribePorts", {{"TaskId", task_}}), 404, "InvalidAccessKeyId.NotFound");
}

TEST_F(RpcErrorTest, BadFormat) {
  ExpectErrorBody(V1("DescribePorts", {{"TaskId", task_}, {"Format", "YAML"}}), 400,
                  "InvalidParameter.Format");
  ExpectErrorBody(V1("DescribePorts", {{"TaskId", task_}, {"Format", ""}}), 400,
                  "InvalidParameter.Format");
}

TEST_F(RpcErrorTest, UnsupportedMethod) {
  for (const char* method : {"PUT", "DELETE", "PATCH", "OPTIONS", "BREW"}) {
    Request req = testing::SignedV1("GET", {{"Action", "DescribePorts"}, {"TaskId", task_}}, kKeyA,
                                    now_, Nonce());
    req.method = method;
    ExpectErrorBody(Send(req), 400, "UnsupportedHTTPMethod");
  }
}

TEST_F(RpcErrorTest, UnknownActionVersionOrNone) {
  ExpectErrorBody(V1("DescribeVulnerabilities"), 404, "InvalidApi.NotFound");
  ExpectErrorBody(V1("describePorts", {{"TaskId", task_}}), 404, "InvalidApi.NotFound");
  ExpectErrorBody(V1("DescribePorts", {{"TaskId", task_}, {"Version", "2019-01-01"}}), 400,
                  "InvalidVersion");
  ExpectErrorBody(V3("DescribeVulnerabilities"), 404, "InvalidApi.NotFound");
  Request none;
  none.method = "GET";
  none.target = "/";
  ExpectErrorBody(Send(none), 400, "MissingAction");
  none.target = "/?Action=DescribePorts";
  ExpectErrorBody(Send(none), 400, "MissingVersion");
  // An unsigned request for a real action is refused by the signature check.
  none.target = "/?Action=DescribePorts&Version=2017-11-29&TaskId=" + task_;
  ExpectErrorBody(Send(none), 400, "MissingAccessKeyId");
}

TEST_F(RpcErrorTest, MalformedQueryOrBody) {
  Request bad;
  bad.method = "GET";
  bad.target = "/?Action=DescribePorts&TaskId=%zz";
  ExpectErrorBody(Send(bad), 400, "InvalidParameter");
  bad.method = "POST";
  bad.target = "/";
  bad.body = "Action=%";
  bad.headers.emplace_back("Content-Type", "application/x-www-form-urlencoded");
  ExpectErrorBody(Send(bad), 400, "InvalidParameter");
}

TEST_F(RpcErrorTest, XmlErrorsWhenXmlWasAskedFor) {
  RpcReply r = V1("DescribePorts", {{"TaskId", task_}, {"PageSize", "11"}, {"Format", "XML"}});
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.content_type, "text/xml;charset=utf-8");
  EXPECT_TRUE(r.body.starts_with(R"(<?xml version="1.0" encoding="UTF-8"?><Error><RequestId>)" +
                                 r.request_id_header +
                                 "</RequestId><HostId>avds.aliyuncs.com"
                                 "</HostId><Code>InvalidParameter</Code>"))
      << r.body;
  EXPECT_NE(r.body.find("&quot;PageSize&quot;"), std::string::npos) << r.body;
}

TEST(RpcErrorMappingTest, KindsBecomeStatusesAndCodes) {
  const struct {
    Status st;
    int http;
    const char* code;
    const char* message;
  } cases[] = {
      {MissingParameter("TaskId"), 400, "MissingTaskId", "TaskId is mandatory for this action."},
      {InvalidArgument("plain"), 400, "InvalidParameter", "plain"},
      {ParseError("parse"), 400, "InvalidParameter", "parse"},
      {Status(ErrorKind::kUnauthenticated, "who"), 400, "IncompleteSignature", "who"},
      {PermissionDenied("no"), 403, "Forbidden", "no"},
      {NotFound("gone"), 404, "ResourceNotFound", "gone"},
      {NotFound("[not a code!] x"), 404, "ResourceNotFound", "[not a code!] x"},
      {Unavailable("db: down"), 503, "ServiceUnavailable",
       "The request has failed due to a temporary failure of the server."},
      {RpcError(ErrorKind::kUnavailable, "ServiceUnavailable", "cause"), 503, "ServiceUnavailable",
       "The request has failed due to a temporary failure of the server."},
      {InternalError("[Secret] leak"), 500, "InternalError",
       "The request processing has failed due to some unknown error, exception or failure."},
  };
  for (const auto& c : cases) {
    const Response r = JsonErrorResponse(c.st, "RID");
    EXPECT_EQ(r.status, c.http) << c.st.ToString();
    rapidjson::Document d;
    d.Parse(r.body.c_str());
    ASSERT_TRUE(d.IsObject()) << r.body;
    EXPECT_STREQ(d["Code"].GetString(), c.code) << r.body;
    EXPECT_STREQ(d["Message"].GetString(), c.message) << r.body;
    EXPECT_STREQ(d["RequestId"].GetString(), "RID");
  }
}

}  // namespace
}  // namespace portatlas::api::aliyun
