// One response body rendered as JSON or as Alibaba's XML.
#include "api/aliyun/rpc_body.h"

#include <gtest/gtest.h>

namespace portatlas::api::aliyun {
namespace {

Response Sample(bool xml) {
  RpcBody b(xml, "DescribeScanSessionsResponse");
  b.Str("RequestId", "R-1").Int("TotalCount", 2).Float("RunPercent", 42.857142);
  b.BeginArray("List");
  b.BeginItem().Int("TaskId", 7).BeginArray("Targets").StrItem("a").StrItem("b").EndArray();
  b.EndItem();
  b.BeginItem().Int("TaskId", 8).BeginArray("Targets").EndArray().EndItem();
  b.EndArray();
  b.BeginArray("Empty").EndArray();
  return b.Done();
}

TEST(RpcBodyTest, JsonKeepsTypesAndNesting) {
  const Response r = Sample(false);
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.content_type, "application/json;charset=UTF-8");
  EXPECT_EQ(r.body, R"({"RequestId":"R-1","TotalCount":2,"RunPercent":42.86,"List":[{"TaskId":7,)"
                    R"("Targets":["a","b"]},{"TaskId":8,"Targets":[]}],"Empty":[]})");
}

TEST(RpcBodyTest, XmlRepeatsArrayItemsUnderTheArrayName) {
  const Response r = Sample(true);
  EXPECT_EQ(r.content_type, "text/xml;charset=utf-8");
  EXPECT_EQ(r.body,
            R"(<?xml version="1.0" encoding="UTF-8"?><DescribeScanSessionsResponse>)"
            "<RequestId>R-1</RequestId><TotalCount>2</TotalCount><RunPercent>42.86</RunPercent>"
            "<List><TaskId>7</TaskId><Targets>a</Targets><Targets>b</Targets></List>"
            "<List><TaskId>8</TaskId></List></DescribeScanSessionsResponse>");
}

TEST(RpcBodyTest, EscapesTextForEachFormat) {
  const std::string nasty = std::string("<a href=\"x\">&'\x01\t\xE4\xB8\xAD") + '\0' + "z";
  RpcBody j(false, "R");
  j.Str("S", nasty);
  EXPECT_EQ(j.Done().body, "{\"S\":\"<a href=\\\"x\\\">&'\\u0001\\t\xE4\xB8\xAD\\u0000z\"}");
  RpcBody x(true, "R");
  x.Str("S", nasty);
  EXPECT_EQ(x.Done().body,
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><R><S>&lt;a href=&quot;x&quot;&gt;&amp;"
            "&apos;\xEF\xBF\xBD\t\xE4\xB8\xAD\xEF\xBF\xBDz</S></R>");
}

TEST(RpcBodyTest, FloatsHaveAtMostTwoDecimals) {
  const struct {
    double v;
    const char* want;
  } cases[] = {{100, "100"},    {0, "0"},      {0.5, "0.5"},        {33.333333, "33.33"},
               {99.999, "100"}, {-0.001, "0"}, {1e300 * 1e300, "0"}};
  for (const auto& c : cases) {
    RpcBody b(false, "R");
    b.Float("F", c.v);
    EXPECT_EQ(b.Done().body, std::string("{\"F\":") + c.want + "}") << c.v;
  }
}

TEST(RpcBodyTest, StatusIsTheCallers) {
  RpcBody b(false, "Error");
  b.Str("Code", "X");
  EXPECT_EQ(b.Done(404).status, 404);
}

}  // namespace
}  // namespace portatlas::api::aliyun
