// Bad scan-task requests, a table of each kind: 400 PA.0001 naming the field, nothing stored;
// and the body parsers' limits themselves.
#include <gtest/gtest.h>

#include "api/tasks/task_api_fixture.h"
#include "api/tasks/task_body.h"

namespace portatlas::api::tasks {
namespace {

// A bad request of each kind: 400 PA.0001 naming the field, and nothing stored.
struct BadCase {
  std::string what;
  std::string method;
  std::string rest;  // after /v1/scan-tasks/{id}; "" with method POST is the create route
  std::string body;
  std::string field;  // expected at the start of error_msg
};

std::string Repeat(char c, size_t n) { return std::string(n, c); }

class TaskApiBadInputTest : public TaskApiTest, public testing::WithParamInterface<BadCase> {};

TEST_P(TaskApiBadInputTest, Is400NamingTheFieldAndStoresNothing) {
  const BadCase& c = GetParam();
  const int64_t id = CreateTask();
  const std::string target = c.rest == "create" ? "/v1/scan-tasks" : Path(id, c.rest);
  Reply r = Call(c.method, target, c.body);
  EXPECT_EQ(r.status, 400) << c.what << ": " << r.body;
  ASSERT_TRUE(r.json.IsObject() && r.json.HasMember("error_code")) << r.body;
  EXPECT_STREQ(r.json["error_code"].GetString(), "PA.0001");
  const std::string msg = r.json["error_msg"].GetString();
  EXPECT_EQ(msg.rfind(c.field, 0), 0u) << c.what << ": " << msg;
  Reply task = Call("GET", Path(id));
  EXPECT_EQ(task.json["record_count"].GetInt(), 0) << c.what;
  EXPECT_STREQ(task.json["status"].GetString(), "running") << c.what;
  EXPECT_EQ(task.json["probes_done"].GetInt(), 0) << c.what;
  EXPECT_EQ(Call("GET", "/v1/scan-tasks").json["total"].GetInt(), 1) << c.what;
}

std::string RecordsWith(const std::string& bad) {
  // A valid record first: a bad one later must keep it from being stored too.
  return std::string(
             R"({"records":[{"ip":"198.18.0.1","protocol":"tcp","port":1,"state":"open"},)") +
         bad + "]}";
}

std::string RecordWithField(const std::string& field_json) {
  return RecordsWith(R"({"ip":"198.18.0.2","protocol":"tcp","port":2,"state":"open",)" +
                     field_json + "}");
}

INSTANTIATE_TEST_SUITE_P(
    Table, TaskApiBadInputTest,
    testing::Values(
        // Create.
        BadCase{"create: empty body", "POST", "create", "", "body"},
        BadCase{"create: truncated", "POST", "create", R"({"name":"x","kind":)", "body"},
        BadCase{"create: array", "POST", "create", "[]", "body"},
        BadCase{"create: no name", "POST", "create", R"({"kind":"connect"})", "name"},
        BadCase{"create: empty name", "POST", "create", R"({"name":"","kind":"connect"})", "name"},
        BadCase{"create: long name", "POST", "create",
                R"({"name":")" + Repeat('n', 257) + R"(","kind":"connect"})", "name"},
        BadCase{"create: name not string", "POST", "create", R"({"name":5,"kind":"connect"})",
                "name"},
        BadCase{"create: unknown kind", "POST", "create", R"({"name":"x","kind":"icmp"})", "kind"},
        BadCase{"create: no kind", "POST", "create", R"({"name":"x"})", "kind"},
        BadCase{"create: oversized targets", "POST", "create",
                R"({"name":"x","kind":"syn","targets":")" + Repeat('1', 65537) + "\"}", "targets"},
        BadCase{"create: oversized ports", "POST", "create",
                R"({"name":"x","kind":"syn","ports":")" + Repeat('1', 65537) + "\"}", "ports"},
        BadCase{"create: negative total", "POST", "create",
                R"({"name":"x","kind":"syn","probes_total":-1})", "probes_total"},
        BadCase{"create: fractional total", "POST", "create",
                R"({"name":"x","kind":"syn","probes_total":1.5})", "probes_total"},
        BadCase{"create: invalid UTF-8", "POST", "create", "{\"name\":\"\xff\",\"kind\":\"syn\"}",
                "body"},
        // Records.
        BadCase{"records: empty body", "POST", "/records", "", "body"},
        BadCase{"records: truncated", "POST", "/records", R"({"records":[{"ip":)", "body"},
        BadCase{"records: trailing garbage", "POST", "/records", R"({"records":[]} x)", "body"},
        BadCase{"records: missing", "POST", "/records", R"({"recs":[]})", "records"},
        BadCase{"records: not an array", "POST", "/records", R"({"records":{}})", "records"},
        BadCase{"records: too many", "POST", "/records",
                [] {
                  std::string b = R"({"records":[)";
                  for (int i = 0; i <= 10000; ++i) b += (i > 0 ? ",{}" : "{}");
                  return b + "]}";
                }(),
                "records"},
        BadCase{"records: not an object", "POST", "/records", RecordsWith("7"), "records[1]"},
        BadCase{"records: no ip", "POST", "/records",
                RecordsWith(R"({"protocol":"tcp","port":2,"state":"open"})"), "records[1].ip"},
        BadCase{"records: bad ip", "POST", "/records",
                RecordsWith(R"({"ip":"198.18.0.256","protocol":"tcp","port":2,"state":"open"})"),
                "records[1].ip"},
        BadCase{
            "records: ip with NUL", "POST", "/records",
            RecordsWith(R"({"ip":"198.18.0.1\u0000x","protocol":"tcp","port":2,"state":"open"})"),
            "records[1].ip"},
        BadCase{"records: host name as ip", "POST", "/records",
                RecordsWith(R"({"ip":"example.com","protocol":"tcp","port":2,"state":"open"})"),
                "records[1].ip"},
        BadCase{"records: bracketed ip", "POST", "/records",
                RecordsWith(R"({"ip":"[::1]","protocol":"tcp","port":2,"state":"open"})"),
                "records[1].ip"},
        BadCase{"records: protocol", "POST", "/records",
                RecordsWith(R"({"ip":"::1","protocol":"sctp","port":2,"state":"open"})"),
                "records[1].protocol"},
        BadCase{"records: protocol upper case", "POST", "/records",
                RecordsWith(R"({"ip":"::1","protocol":"TCP","port":2,"state":"open"})"),
                "records[1].protocol"},
        BadCase{"records: port 65536", "POST", "/records",
                RecordsWith(R"({"ip":"::1","protocol":"tcp","port":65536,"state":"open"})"),
                "records[1].port"},
        BadCase{"records: port -1", "POST", "/records",
                RecordsWith(R"({"ip":"::1","protocol":"tcp","port":-1,"state":"open"})"),
                "records[1].port"},
        BadCase{"records: port string", "POST", "/records",
                RecordsWith(R"({"ip":"::1","protocol":"tcp","port":"22","state":"open"})"),
                "records[1].port"},
        BadCase{"records: port missing", "POST", "/records",
                RecordsWith(R"({"ip":"::1","protocol":"tcp","state":"open"})"), "records[1].port"},
        BadCase{"records: unknown state", "POST", "/records",
                RecordsWith(R"({"ip":"::1","protocol":"tcp","port":1,"state":"up"})"),
                "records[1].state"},
        BadCase{"records: state missing", "POST", "/records",
                RecordsWith(R"({"ip":"::1","protocol":"tcp","port":1})"), "records[1].state"},
        BadCase{"records: ttl", "POST", "/records", RecordWithField(R"("reason_ttl":256)"),
                "records[1].reason_ttl"},
        BadCase{"records: updated_at", "POST", "/records", RecordWithField(R"("updated_at":-5)"),
                "records[1].updated_at"},
        BadCase{"records: long reason", "POST", "/records",
                RecordWithField(R"("reason":")" + Repeat('r', 65) + "\""), "records[1].reason"},
        BadCase{"records: long service", "POST", "/records",
                RecordWithField(R"("service":")" + Repeat('s', 65) + "\""), "records[1].service"},
        BadCase{"records: long product", "POST", "/records",
                RecordWithField(R"("product":")" + Repeat('p', 257) + "\""), "records[1].product"},
        BadCase{"records: long version", "POST", "/records",
                RecordWithField(R"("version":")" + Repeat('v', 257) + "\""), "records[1].version"},
        BadCase{"records: long info", "POST", "/records",
                RecordWithField(R"("info":")" + Repeat('i', 1025) + "\""), "records[1].info"},
        BadCase{"records: long cpe", "POST", "/records",
                RecordWithField(R"("cpe":")" + Repeat('c', 1025) + "\""), "records[1].cpe"},
        BadCase{"records: product not string", "POST", "/records",
                RecordWithField(R"("product":["x"])"), "records[1].product"},
        BadCase{"records: tls string", "POST", "/records", RecordWithField(R"("tls":"TLSv1.3")"),
                "records[1].tls"},
        BadCase{"records: tls too big", "POST", "/records",
                RecordWithField(R"("tls":{"x":")" + Repeat('t', 16400) + "\"}"), "records[1].tls"},
        BadCase{"records: tls too deep", "POST", "/records",
                RecordWithField(R"("tls":{"a":{"b":{"c":{"d":{"e":{"f":{"g":{"h":[]}}}}}}}})"),
                "records[1].tls"},
        BadCase{"records: banner_hash", "POST", "/records",
                RecordWithField(R"("banner_hash":"abc")"), "records[1].banner_hash"},
        BadCase{"records: banner_hash upper case", "POST", "/records",
                RecordWithField(R"("banner_hash":")" + Repeat('A', 64) + "\""),
                "records[1].banner_hash"},
        BadCase{"records: deep nesting", "POST", "/records",
                R"({"records":[1],"x":)" + Repeat('[', 100000) + Repeat(']', 100000) + "}", "body"},
        BadCase{"records: nesting in a string does not count", "POST", "/records",
                R"({"records":[1],"x":")" + Repeat('[', 100) + R"(\"["})", "records[0]"},
        // Progress.
        BadCase{"progress: empty body", "POST", "/progress", "", "body"},
        BadCase{"progress: negative done", "POST", "/progress", R"({"probes_done":-1})",
                "probes_done"},
        BadCase{"progress: total string", "POST", "/progress", R"({"probes_total":"9"})",
                "probes_total"},
        BadCase{"progress: unknown status", "POST", "/progress", R"({"status":"paused"})",
                "status"},
        BadCase{"progress: status number", "POST", "/progress", R"({"status":1})", "status"},
        BadCase{"progress: long error", "POST", "/progress",
                R"({"status":"failed","error":")" + Repeat('e', 4097) + "\"}", "error"},
        // Paths and paging.
        BadCase{"id: not a number", "GET", "x", "", "id"},
        BadCase{"records page: limit 0", "GET", "/records?limit=0", "", "limit"},
        BadCase{"records page: limit 10001", "GET", "/records?limit=10001", "", "limit"},
        BadCase{"records page: offset -1", "GET", "/records?offset=-1", "", "offset"},
        BadCase{"records page: limit twice", "GET", "/records?limit=1&limit=2", "", "limit"}));

TEST(TaskBodyTest, MaximumSizesAreAccepted) {
  std::string body = R"({"records":[)";
  for (size_t i = 0; i < kMaxRecordsPerRequest; ++i) {
    body += fmt::format(R"({}{{"ip":"198.18.{}.{}","protocol":"udp","port":{},"state":"closed"}})",
                        i > 0 ? "," : "", i / 256, i % 256, i % 65536);
  }
  body += "]}";
  auto records = ParseRecordsBody(body);
  ASSERT_TRUE(records) << records.error().ToString();
  EXPECT_EQ(records->size(), kMaxRecordsPerRequest);
  auto task = ParseCreateTaskBody(R"({"name":")" + std::string(256, 'n') +
                                  R"(","kind":"import-masscan","targets":")" +
                                  std::string(65536, 't') + R"(","probes_total":0})");
  ASSERT_TRUE(task) << task.error().ToString();
  EXPECT_EQ(task->targets.size(), 65536u);
  auto empty = ParseRecordsBody(R"({"records":[]})");
  ASSERT_TRUE(empty);
  EXPECT_TRUE(empty->empty());
}

TEST(TaskBodyTest, HostileShapesAreRefusedBeforeParsing) {
  std::string tls_zeros = R"({"records":[{"ip":"::1","protocol":"tcp","port":1,"state":"open",)"
                          R"("tls":{"a":[)";
  for (int i = 0; i < 70000; ++i) tls_zeros += "0,";
  tls_zeros += "0]}}]}";
  const std::pair<std::string, const char*> cases[] = {
      {std::string(8 << 20, '['), "body: nests deeper than 16 levels"},
      {tls_zeros, "body: has an array or object of more than 65536 entries"},
      {R"({"records":[{"ip":")" + std::string(1 << 20, '1') + "\"}]}",
       "body: has a string longer than 393216 bytes"},
  };
  for (const auto& [body, why] : cases) {
    auto r = ParseRecordsBody(body);
    ASSERT_FALSE(r) << why;
    EXPECT_EQ(r.error().message(), why);
  }
  // Past the record limit but within the shape's: the error still names the field.
  std::string over = R"({"records":[0)";
  for (size_t i = 0; i < kMaxRecordsPerRequest; ++i) over += ",0";
  auto r = ParseRecordsBody(over + "]}");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message(), "records: at most 10000 per request, got 10001");
}

TEST(TaskBodyTest, TlsOfEightLevelsIsAccepted) {
  auto r = ParseRecordsBody(
      R"({"records":[{"ip":"::1","protocol":"tcp","port":443,"state":"open",
          "tls":{"a":{"b":{"c":{"d":{"e":{"f":{"g":[]}}}}}}}}]})");
  ASSERT_TRUE(r) << r.error().ToString();
  EXPECT_EQ((*r)[0].tls, R"({"a":{"b":{"c":{"d":{"e":{"f":{"g":[]}}}}}}})");
}

TEST(TaskBodyTest, TlsIsKeptCompactAndNullsAreAbsent) {
  auto r = ParseRecordsBody(
      R"({"records":[{"ip":"::ffff:198.18.0.1","protocol":"tcp","port":443,"state":"open",
          "tls": { "version" : "TLSv1.2",  "sni": null },"reason":null,"banner_hash":""}]})");
  ASSERT_TRUE(r) << r.error().ToString();
  EXPECT_EQ((*r)[0].tls, R"({"version":"TLSv1.2","sni":null})");
  EXPECT_EQ((*r)[0].reason, "");
  EXPECT_EQ((*r)[0].ip.ToString(), "::ffff:198.18.0.1");
}

}  // namespace
}  // namespace portatlas::api::tasks
