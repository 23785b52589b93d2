// RPC parameters: the union of query and form body, decoding, strict getters.
#include "api/aliyun/rpc_params.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

namespace portatlas::api::aliyun {
namespace {

Request Req(std::string target, std::string body = "",
            std::string content_type = "application/x-www-form-urlencoded") {
  Request r;
  r.method = body.empty() ? "GET" : "POST";
  r.target = std::move(target);
  r.body = std::move(body);
  if (!content_type.empty()) r.headers.emplace_back("Content-Type", std::move(content_type));
  return r;
}

std::string CodeOf(const Status& st) { return st.message().substr(0, st.message().find(']') + 1); }

TEST(RpcParamsTest, UnionOfQueryAndFormBodyInOrder) {
  auto p = ParseRpcParams(Req("/?Action=DescribePorts&TaskId=7", "PageSize=5&Asset=a%20b"));
  ASSERT_TRUE(p) << p.error().ToString();
  EXPECT_EQ(p->query, (std::vector<Param>{{"Action", "DescribePorts"}, {"TaskId", "7"}}));
  EXPECT_EQ(p->body, (std::vector<Param>{{"PageSize", "5"}, {"Asset", "a b"}}));
  EXPECT_EQ(p->All().size(), 4u);
  EXPECT_EQ(*p->Get("Asset"), std::optional<std::string>("a b"));
  EXPECT_EQ(*p->Get("Action"), std::optional<std::string>("DescribePorts"));
  EXPECT_EQ(*p->Get("Nope"), std::nullopt);
}

TEST(RpcParamsTest, DecodesPercentAndPlus) {
  const struct {
    const char* query;
    const char* name;
    const char* value;
  } cases[] = {
      {"/?a=x+y", "a", "x y"},    // form rule: '+' is a space
      {"/?a=x%2By", "a", "x+y"},  // %2B is a plus sign
      {"/?a=x%20y", "a", "x y"},
      {"/?a=%e4%B8%ad", "a", "\xE4\xB8\xAD"},  // hex digits of either case
      {"/?a=!'()*~", "a", "!'()*~"},           // raw sub-delimiters are kept
      {"/?a", "a", ""},                        // no '=': an empty value
      {"/?a=", "a", ""},
      {"/?a==b", "a", "=b"},      // split at the first '='
      {"/?&&a=1&&", "a", "1"},    // empty pieces are skipped
      {"/?a%3Db=c", "a=b", "c"},  // an encoded '=' belongs to the name
      {"/?StatusList.1=running", "StatusList.1", "running"},
  };
  for (const auto& c : cases) {
    auto p = ParseRpcParams(Req(c.query));
    ASSERT_TRUE(p) << c.query << ": " << p.error().ToString();
    auto v = p->Get(c.name);
    ASSERT_TRUE(v) << c.query;
    EXPECT_EQ(*v, std::optional<std::string>(c.value)) << c.query;
  }
}

TEST(RpcParamsTest, MalformedEscapesAreInvalidParameter) {
  for (const char* target : {"/?a=%", "/?a=%4", "/?a=%zz", "/?%g1=b", "/?a=b%"}) {
    auto p = ParseRpcParams(Req(target));
    ASSERT_FALSE(p) << target;
    EXPECT_EQ(p.error().kind(), ErrorKind::kInvalidArgument);
    EXPECT_EQ(CodeOf(p.error()), "[InvalidParameter]");
  }
  auto body = ParseRpcParams(Req("/", "a=%ZZ"));
  ASSERT_FALSE(body);
  EXPECT_NE(body.error().message().find("form body"), std::string::npos);
}

TEST(RpcParamsTest, BodyIsReadOnlyWhenFormEncoded) {
  for (const char* type :
       {"application/x-www-form-urlencoded", "Application/X-WWW-Form-Urlencoded; charset=UTF-8",
        " application/x-www-form-urlencoded ;charset=utf-8"}) {
    auto p = ParseRpcParams(Req("/", "TaskId=1", type));
    ASSERT_TRUE(p);
    EXPECT_EQ(p->body.size(), 1u) << type;
  }
  for (const char* type : {"", "application/json", "text/plain", "multipart/form-data",
                           "application/x-www-form-urlencodedx"}) {
    auto p = ParseRpcParams(Req("/", "TaskId=1", type));
    ASSERT_TRUE(p);
    EXPECT_TRUE(p->body.empty()) << type;
  }
  // A JSON body is not parsed at all, so it cannot be malformed form data.
  EXPECT_TRUE(ParseRpcParams(Req("/", "{\"a\":\"%\"}", "application/json")));
}

TEST(RpcParamsTest, RepeatedNamesAreInvalidWhereverTheyAre) {
  for (auto req : {Req("/?PageSize=1&PageSize=2"), Req("/?PageSize=1", "PageSize=1"),
                   Req("/", "PageSize=1&PageSize=2")}) {
    auto p = ParseRpcParams(req);
    ASSERT_TRUE(p);
    auto v = p->Get("PageSize");
    ASSERT_FALSE(v);
    EXPECT_EQ(CodeOf(v.error()), "[InvalidParameter]");
    EXPECT_NE(v.error().message().find("\"PageSize\""), std::string::npos);
  }
}

TEST(RpcParamsTest, IntegersAreStrict) {
  const struct {
    const char* value;
    bool ok;
    int64_t want;
  } cases[] = {
      {"1", true, 1},    {"10", true, 10},
      {"0", false, 0},   {"11", false, 0},
      {"-1", false, 0},  {"", false, 0},
      {"1.0", false, 0}, {" 1", false, 0},
      {"1 ", false, 0},  {"+1", false, 0},
      {"0x1", false, 0}, {"1e1", false, 0},
      {"01", true, 1},   {"99999999999999999999", false, 0},
  };
  for (const auto& c : cases) {
    auto p = ParseRpcParams(Req(fmt::format("/?PageSize={}", c.value)));
    ASSERT_TRUE(p);
    auto v = p->Int("PageSize", 1, 10);
    EXPECT_EQ(v.has_value(), c.ok) << c.value;
    if (v && c.ok) {
      EXPECT_EQ(**v, c.want);
    }
    if (!v) {
      EXPECT_EQ(CodeOf(v.error()), "[InvalidParameter]") << c.value;
    }
  }
  auto absent = ParseRpcParams(Req("/"))->Int("PageSize", 1, 10);
  ASSERT_TRUE(absent);
  EXPECT_FALSE(absent->has_value());
}

TEST(RpcParamsTest, StringsHaveAByteLimit) {
  auto p = ParseRpcParams(Req("/?Search=abcd"));
  EXPECT_TRUE(p->String("Search", 4));
  EXPECT_FALSE(p->String("Search", 3));
}

TEST(RpcParamsTest, RepeatListsInIndexOrder) {
  auto p = ParseRpcParams(Req("/?StatusList.2=running&StatusList.1=finished"));
  auto list = p->RepeatList("StatusList", 10);
  ASSERT_TRUE(list) << list.error().ToString();
  EXPECT_EQ(*list, (std::vector<std::string>{"finished", "running"}));
  EXPECT_TRUE(ParseRpcParams(Req("/?Status=1"))->RepeatList("StatusList", 10)->empty());
  for (const char* bad : {"/?StatusList.2=a", "/?StatusList.0=a", "/?StatusList.11=a",
                          "/?StatusList.x=a", "/?StatusList.1=a&StatusList.1=b",
                          "/?StatusList.01=a&StatusList.1=b", "/?StatusList.-1=a"}) {
    auto r = ParseRpcParams(Req(bad))->RepeatList("StatusList", 10);
    EXPECT_FALSE(r) << bad;
  }
  // "StatusList" itself and "StatusList." are not items.
  EXPECT_TRUE(ParseRpcParams(Req("/?StatusList=a"))->RepeatList("StatusList", 10)->empty());
}

TEST(RpcParamsTest, TooManyParametersAreRefused) {
  std::string query = "/?";
  for (size_t i = 0; i < kMaxParams; ++i) query += fmt::format("p{}=1&", i);
  EXPECT_TRUE(ParseRpcParams(Req(query)));
  EXPECT_FALSE(ParseRpcParams(Req(query + "one=more")));
  EXPECT_FALSE(ParseRpcParams(Req(query, "one=more")));
}

}  // namespace
}  // namespace portatlas::api::aliyun
