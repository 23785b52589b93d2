// The AVDS actions through ApiService::Dispatch: what each returns from the scan tasks.

#include "api/aliyun/avds_api_fixture.h"

namespace portatlas::api::aliyun {
namespace {

const std::string kSsh = R"("service":"ssh","product":"OpenSSH","version":"9.2p1",)"
                         R"("cpe":"cpe:/a:openbsd:openssh:9.2p1","updated_at":1790000001000)";
const std::string kHttp = R"("service":"http","product":"nginx","banner_hash":")" +
                          std::string(64, 'b') + R"(","updated_at":1790000002000)";

std::vector<std::string> Strings(const rapidjson::Value& array) {
  std::vector<std::string> out;
  for (const auto& v : array.GetArray()) out.emplace_back(v.GetString());
  return out;
}

TEST_F(AvdsApiTest, DescribeScanSessionsListsTheProjectsTasks) {
  // Targets as the operator gave them: commas, spaces and a newline (a JSON "\\n").
  const int64_t a = Task("nightly", "198.18.0.0/30, 198.18.1.1\\n198.18.1.2", {}, "done");
  now_ += std::chrono::seconds(10);
  const int64_t b = Task("adhoc", "127.0.0.1", {});
  Task("theirs", "198.18.9.9", {}, "", "tok-b");
  for (const std::string method : {"GET", "POST"}) {
    RpcReply r = V1("DescribeScanSessions", {}, method);
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.Code(), "");
    EXPECT_EQ(r.json["TotalCount"].GetInt(), 2);
    EXPECT_EQ(r.json["PageSize"].GetInt(), 10);
    EXPECT_EQ(r.json["PageCount"].GetInt(), 1);
    EXPECT_EQ(r.json["CurrentPage"].GetInt(), 1);
    EXPECT_EQ(r.json["Count"].GetInt(), 2);
    ASSERT_EQ(r.json["List"].Size(), 2u);
    const auto& newest = r.json["List"][0];
    EXPECT_EQ(newest["TaskId"].GetInt64(), b);
    EXPECT_EQ(newest["ScanId"].GetString(), std::to_string(b));
    EXPECT_STREQ(newest["JobStatus"].GetString(), "running");
    EXPECT_STREQ(newest["Name"].GetString(), "adhoc");
    EXPECT_EQ(Strings(newest["Targets"]), std::vector<std::string>{"127.0.0.1"});
    EXPECT_DOUBLE_EQ(newest["RunPercent"].GetDouble(), 25);  // 2 of 8 probes
    EXPECT_EQ(newest["FinishedAt"].GetInt64(), 0);
    const auto& done = r.json["List"][1];
    EXPECT_EQ(done["TaskId"].GetInt64(), a);
    EXPECT_STREQ(done["JobStatus"].GetString(), "finished");
    EXPECT_EQ(Strings(done["Targets"]),
              (std::vector<std::string>{"198.18.0.0/30", "198.18.1.1", "198.18.1.2"}));
    EXPECT_STREQ(done["TriggerType"].GetString(), "date");
    EXPECT_STREQ(done["Period"].GetString(), "");
    EXPECT_EQ(done["Interval"].GetInt(), 0);
    EXPECT_EQ(done["CreatedAt"].GetInt64(), 1790000000000);
    EXPECT_EQ(done["FinishedAt"].GetInt64(), 1790000000000);
    EXPECT_STREQ(done["ReportStatus"].GetString(), "inexistent");
    EXPECT_STREQ(done["ReportUrl"].GetString(), "");
    EXPECT_DOUBLE_EQ(done["RunPercent"].GetDouble(), 100);
  }
}

TEST_F(AvdsApiTest, DescribeScanSessionsFiltersAndPages) {
  const int64_t a = Task("web sweep", "198.18.0.0/24", {}, "done");
  const int64_t b = Task("db sweep", "198.18.1.0/24", {}, "failed");
  const int64_t c = Task("ongoing", "198.18.2.0/24", {});
  const auto ids = [](const RpcReply& r) {
    std::vector<int64_t> out;
    for (const auto& t : r.json["List"].GetArray()) out.push_back(t["TaskId"].GetInt64());
    return out;
  };
  EXPECT_EQ(ids(V1("DescribeScanSessions", {{"StatusList.1", "finished"}})),
            std::vector<int64_t>{a});
  EXPECT_EQ(
      ids(V1("DescribeScanSessions", {{"StatusList.1", "aborted"}, {"StatusList.2", "running"}})),
      (std::vector<int64_t>{c, b}));
  RpcReply waiting = V1("DescribeScanSessions", {{"StatusList.1", "waiting"}});
  EXPECT_EQ(waiting.json["TotalCount"].GetInt(), 0);
  EXPECT_EQ(ids(V1("DescribeScanSessions", {{"ScanId", std::to_string(b)}})),
            std::vector<int64_t>{b});
  EXPECT_TRUE(ids(V1("DescribeScanSessions", {{"ScanId", "66c07fa5-542b"}})).empty());
  EXPECT_EQ(ids(V1("DescribeScanSessions", {{"Search", "SWEEP"}})), (std::vector<int64_t>{b, a}));
  EXPECT_EQ(ids(V1("DescribeScanSessions", {{"Search", "198.18.2.*"}})), std::vector<int64_t>{c});
  RpcReply page = V1("DescribeScanSessions", {{"PageSize", "2"}, {"CurrentPage", "2"}});
  EXPECT_EQ(ids(page), std::vector<int64_t>{a});
  EXPECT_EQ(page.json["TotalCount"].GetInt(), 3);
  EXPECT_EQ(page.json["PageCount"].GetInt(), 2);
  EXPECT_EQ(page.json["Count"].GetInt(), 1);
  EXPECT_EQ(V1("DescribeScanSessions", {{"PageSize", "100"}}).status, 200);
  EXPECT_EQ(V1("DescribeScanSessions", {{"PageSize", "101"}}).Code(), "InvalidParameter");
  EXPECT_EQ(V1("DescribeScanSessions", {{"StatusList.1", "paused"}}).Code(), "InvalidParameter");
}

TEST_F(AvdsApiTest, DescribePortsReturnsTheOpenRecordsInTheSdkShape) {
  const int64_t id = Task("t", "198.18.0.0/30",
                          {Rec("198.18.0.2", 22, "open", kSsh),
                           Rec("198.18.0.1", 80, "open", kHttp), Rec("198.18.0.1", 443, "closed"),
                           Rec("198.18.0.1", 8443), Rec("198.18.0.3", 53, "open|filtered")});
  RpcReply r = V1("DescribePorts", {{"TaskId", std::to_string(id)}});
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.Code(), "");
  EXPECT_EQ(r.json["RequestId"].GetString(), r.request_id_header);
  EXPECT_EQ(r.json["Total"].GetInt(), 3);
  ASSERT_EQ(r.json["Records"].Size(), 3u);
  const auto& http = r.json["Records"][0];
  EXPECT_EQ(http["Index"].GetInt(), 1);
  EXPECT_STREQ(http["IP"].GetString(), "198.18.0.1");
  EXPECT_STREQ(http["Protocol"].GetString(), "tcp");
  ASSERT_TRUE(http["Port"].IsString());  // a string here (every SDK types it so)
  EXPECT_STREQ(http["Port"].GetString(), "80");
  EXPECT_STREQ(http["Service"].GetString(), "http");
  EXPECT_STREQ(http["Product"].GetString(), "nginx");
  EXPECT_STREQ(http["Version"].GetString(), "");
  EXPECT_EQ(http["Fingerprint"].GetString(), std::string(64, 'b'));  // no cpe: the banner hash
  ASSERT_TRUE(http["UpdatedAt"].IsInt64());
  EXPECT_EQ(http["UpdatedAt"].GetInt64(), 1790000002000);
  const auto& bare = r.json["Records"][1];
  EXPECT_STREQ(bare["Port"].GetString(), "8443");
  EXPECT_STREQ(bare["Fingerprint"].GetString(), "");
  const auto& ssh = r.json["Records"][2];
  EXPECT_EQ(ssh["Index"].GetInt(), 3);
  EXPECT_STREQ(ssh["Fingerprint"].GetString(), "cpe:/a:openbsd:openssh:9.2p1");
  EXPECT_STREQ(ssh["Version"].GetString(), "9.2p1");
  // The same through V3 (openapi-client's default).
  RpcReply v3 = V3("DescribePorts", {{"TaskId", std::to_string(id)}});
  ASSERT_EQ(v3.status, 200) << v3.body;
  EXPECT_EQ(v3.json["Total"].GetInt(), 3);
}

TEST_F(AvdsApiTest, DescribePortsPagesWithAGlobalIndexAndFiltersByAsset) {
  std::vector<std::string> records;
  for (int port = 1; port <= 12; ++port) records.push_back(Rec("198.18.0.1", port));
  records.push_back(Rec("198.18.0.2", 22));
  const int64_t id = Task("t", "198.18.0.0/30", records);
  const std::string task = std::to_string(id);
  RpcReply page2 = V1("DescribePorts", {{"TaskId", task}, {"PageSize", "5"}, {"CurrentPage", "2"}});
  EXPECT_EQ(page2.json["Total"].GetInt(), 13);
  ASSERT_EQ(page2.json["Records"].Size(), 5u);
  EXPECT_EQ(page2.json["Records"][0]["Index"].GetInt(), 6);
  EXPECT_STREQ(page2.json["Records"][0]["Port"].GetString(), "6");
  RpcReply defaults = V1("DescribePorts", {{"TaskId", task}});
  EXPECT_EQ(defaults.json["Records"].Size(), 10u);  // PageSize defaults to 10
  RpcReply past = V1("DescribePorts", {{"TaskId", task}, {"CurrentPage", "9"}});
  EXPECT_EQ(past.json["Total"].GetInt(), 13);
  EXPECT_EQ(past.json["Records"].Size(), 0u);
  RpcReply one = V1("DescribePorts", {{"TaskId", task}, {"Asset", "198.18.0.2"}});
  EXPECT_EQ(one.json["Total"].GetInt(), 1);
  EXPECT_STREQ(one.json["Records"][0]["IP"].GetString(), "198.18.0.2");
  RpcReply domain = V1("DescribePorts", {{"TaskId", task}, {"Asset", "foo.com"}});
  EXPECT_EQ(domain.status, 200);
  EXPECT_EQ(domain.json["Total"].GetInt(), 0);
  EXPECT_EQ(domain.json["Records"].Size(), 0u);
}

TEST_F(AvdsApiTest, DescribeHostsAndFacetsCountAddressesWithOpenPorts) {
  const int64_t id =
      Task("t", "198.18.0.0/30",
           {Rec("198.18.0.1", 22, "open", kSsh), Rec("198.18.0.1", 80, "open", kHttp),
            Rec("198.18.0.2", 443, "closed"), Rec("2001:2::5", 22)});
  RpcReply hosts = V1("DescribeHosts", {{"TaskId", std::to_string(id)}});
  ASSERT_EQ(hosts.status, 200) << hosts.body;
  EXPECT_EQ(hosts.json["Total"].GetInt(), 2);
  ASSERT_EQ(hosts.json["Records"].Size(), 2u);
  const auto& h = hosts.json["Records"][0];
  EXPECT_EQ(h["Index"].GetInt(), 1);
  EXPECT_STREQ(h["IP"].GetString(), "198.18.0.1");
  EXPECT_STREQ(h["Hostname"].GetString(), "");
  EXPECT_STREQ(h["OS"].GetString(), "");
  EXPECT_STREQ(h["IsUp"].GetString(), "Up");
  EXPECT_EQ(h["UpdatedAt"].GetInt64(), 1790000002000);  // its newest open record
  EXPECT_STREQ(hosts.json["Records"][1]["IP"].GetString(), "2001:2::5");

  RpcReply facets = V1("DescribeAttackSurfacesFacets", {{"TaskId", std::to_string(id)}});
  ASSERT_EQ(facets.status, 200) << facets.body;
  EXPECT_EQ(facets.json["Ports"].GetInt(), 3);
  EXPECT_EQ(facets.json["Hosts"].GetInt(), 2);
  for (const char* zero : {"Domains", "Subdomains", "DNSMap", "WebTechs", "WebServers", "WebPaths",
                           "CrawlerRequests"}) {
    EXPECT_EQ(facets.json[zero].GetInt(), 0) << zero;
  }
  EXPECT_TRUE(facets.json["RequestId"].IsString());
}

TEST_F(AvdsApiTest, ListUserPortsShowsTheNewestStateOfEachPort) {
  Task("old", "198.18.0.0/30",
       {Rec("198.18.0.1", 22, "open", R"("updated_at":1000)"),
        Rec("198.18.0.1", 80, "open", R"("updated_at":1000)")});
  Task("new", "198.18.0.0/30",
       {Rec("198.18.0.1", 22, "closed", R"("updated_at":2000)"),
        Rec("198.18.0.3", 3306, "open", R"("service":"mysql","updated_at":2000)")});
  Task("theirs", "198.18.0.9", {Rec("198.18.0.9", 25)}, "", "tok-b");
  RpcReply r = V1("ListUserPorts");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json["TotalCount"].GetInt(), 2);
  EXPECT_EQ(r.json["PageSize"].GetInt(), 10);
  EXPECT_EQ(r.json["CurrentPage"].GetInt(), 1);
  ASSERT_EQ(r.json["Records"].Size(), 2u);
  const auto& first = r.json["Records"][0];
  ASSERT_TRUE(first["Port"].IsInt());  // a number here, unlike DescribePorts
  EXPECT_EQ(first["Port"].GetInt(), 80);
  EXPECT_EQ(first["Id"].GetInt(), 1);
  EXPECT_EQ(first["Index"].GetInt(), 1);
  EXPECT_STREQ(first["IP"].GetString(), "198.18.0.1");
  EXPECT_EQ(first["UpdatedAt"].GetInt64(), 1000);
  EXPECT_EQ(r.json["Records"][1]["Port"].GetInt(), 3306);
  RpcReply search = V1("ListUserPorts", {{"Search", "MySQL"}});
  EXPECT_EQ(search.json["TotalCount"].GetInt(), 1);
  RpcReply page = V1("ListUserPorts", {{"PageSize", "1"}, {"CurrentPage", "2"}});
  EXPECT_EQ(page.json["Records"][0]["Index"].GetInt(), 2);
  EXPECT_EQ(page.json["Records"][0]["Id"].GetInt(), 2);
}

TEST_F(AvdsApiTest, AnswersInXmlWhenAskedAndAcceptsFormatInEitherCase) {
  const int64_t id = Task("t", "198.18.0.1", {Rec("198.18.0.1", 22, "open", kSsh)});
  RpcReply xml = V1("DescribePorts", {{"TaskId", std::to_string(id)}, {"Format", "XML"}});
  ASSERT_EQ(xml.status, 200) << xml.body;
  EXPECT_EQ(xml.content_type, "text/xml;charset=utf-8");
  EXPECT_TRUE(
      xml.body.starts_with(R"(<?xml version="1.0" encoding="UTF-8"?><DescribePortsResponse>)"))
      << xml.body;
  EXPECT_NE(xml.body.find("<Total>1</Total><Records><Port>22</Port><Index>1</Index>"),
            std::string::npos)
      << xml.body;
  EXPECT_EQ(V1("DescribePorts", {{"TaskId", std::to_string(id)}, {"Format", "xml"}}).content_type,
            "text/xml;charset=utf-8");
  RpcReply json = V1("DescribePorts", {{"TaskId", std::to_string(id)}, {"Format", "json"}});
  EXPECT_EQ(json.status, 200);  // openapi-client sends lower-case "json"
  EXPECT_EQ(json.json["Total"].GetInt(), 1);
}

TEST_F(AvdsApiTest, RequestIdsHaveAlibabasShape) {
  RpcReply r = V1("DescribeScanSessions");
  ASSERT_EQ(r.status, 200);
  const std::string id = r.json["RequestId"].GetString();
  // 8-4-4-4-12 upper-case hex digits.
  ASSERT_EQ(id.size(), 36u) << id;
  for (size_t i = 0; i < id.size(); ++i) {
    const bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    const char c = id[i];
    EXPECT_TRUE(dash ? c == '-' : ((c >= '0' && c <= '9') || (c >= 'A' && c <= 'F'))) << id;
  }
  EXPECT_EQ(r.request_id_header, id);
  EXPECT_NE(V1("DescribeScanSessions").json["RequestId"].GetString(), id);
}

// The parameter checks come before the signature: a repeated parameter is InvalidParameter
// even when the request is not signed at all; an empty SignatureNonce is refused.
TEST_F(AvdsApiTest, RepeatedParametersAndEmptyNoncesAreParameterErrors) {
  Request unsigned_req;
  unsigned_req.method = "GET";
  unsigned_req.target = "/?Action=DescribePorts&Version=2017-11-29&TaskId=1&TaskId=2";
  RpcReply dup = Send(unsigned_req);
  EXPECT_EQ(dup.status, 400) << dup.body;
  EXPECT_EQ(std::string(dup.json["Code"].GetString()), "InvalidParameter") << dup.body;
  EXPECT_NE(dup.body.find("TaskId"), std::string::npos) << dup.body;

  Request empty_nonce =
      testing::SignedV1("GET", {{"Action", "DescribeScanSessions"}}, kKeyA, now_, "");
  RpcReply r = Send(empty_nonce);
  EXPECT_NE(r.status, 200) << r.body;
  EXPECT_NE(r.body.find("SignatureNonce"), std::string::npos) << r.body;
}

// "//" is the RPC endpoint too, and answers with the same RequestId shape.
TEST_F(AvdsApiTest, ThePathAliasOfTheEndpointAnswersInItsShape) {
  Request req;
  req.method = "GET";
  req.target = "//?Action=DescribeScanSessions";
  RpcReply r = Send(req);
  ASSERT_TRUE(r.json.IsObject()) << r.body;
  EXPECT_EQ(std::string(r.json["RequestId"].GetString()).size(), 36u) << r.body;
  EXPECT_EQ(r.request_id_header.size(), 36u);
}

}  // namespace
}  // namespace portatlas::api::aliyun
