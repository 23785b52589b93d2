#include "store/store_conformance.h"

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace portatlas::store {
namespace {

constexpr char kProject[] = "p1";

PortRow Port(const std::string& host, uint16_t port, SockType t, std::string laddr = "0.0.0.0",
             uint64_t netns = 4026531840u) {
  PortRow r;
  r.project = kProject;
  r.host_id = host;
  r.key = {netns, std::move(laddr), port, t};
  r.pid = 100 + port;
  r.path = "/usr/bin/x";
  r.first_seen_ms = 1;
  r.last_seen_ms = 2;
  return r;
}

HostRow Host(const std::string& host, const std::string& name, const std::string& eps = "0") {
  HostRow h;
  h.project = kProject;
  h.host_id = host;
  h.agent_id = "a-" + host;
  h.host_name = name;
  h.host_ip = "198.18.0." + std::to_string(name.size());
  h.eps = eps;
  return h;
}

// Stores a host with its whole port set (sorted here, as PutHost requires).
void Put(Store& store, const HostRow& host, std::vector<PortRow> ports,
         std::vector<PortEvent> events = {}) {
  for (PortRow& p : ports) p.eps = host.eps;
  std::sort(ports.begin(), ports.end(),
            [](const PortRow& a, const PortRow& b) { return a.key < b.key; });
  const Status st = store.Write([&](StoreWriter& w) { return w.PutHost(host, ports, events); });
  ASSERT_TRUE(st.ok()) << st.ToString();
}

std::vector<std::string> Keys(const QueryResult<PortHostRow>& r) {
  std::vector<std::string> out;
  for (const PortHostRow& row : r.rows) {
    out.push_back(row.port.host_id + ":" + std::to_string(row.port.key.port) + "/" +
                  std::to_string(static_cast<int>(row.port.key.type)) + "@" + row.port.key.laddr);
  }
  return out;
}

PortHostQuery HostsOf(uint16_t port, int limit, int offset) {
  PortHostQuery q;
  q.project = kProject;
  q.eps = {"0"};
  q.port = port;
  q.page = {limit, offset};
  return q;
}

}  // namespace

void StoreConformanceTest::SetUp() {
  store_ = GetParam().make();
  ASSERT_NE(store_, nullptr);
}

std::string BackendName(const ::testing::TestParamInfo<StoreBackend>& info) {
  return info.param.name;
}

TEST_P(StoreConformanceTest, AFailedWriteLeavesNothingAndAnOkOneIsRead) {
  const Status failed = store().Write([&](StoreWriter& w) -> Status {
    PA_RETURN_IF_ERROR(w.PutHost(Host("h1", "web"), {Port("h1", 22, SockType::kTcp)}, {}));
    return InvalidArgument("changed my mind");
  });
  EXPECT_EQ(failed.kind(), ErrorKind::kInvalidArgument);
  EXPECT_FALSE(store()
                   .Write([](StoreWriter& w) -> Status {
                     auto h = w.GetHost(kProject, "h1");
                     if (!h) return h.error();
                     return h->has_value() ? Status::Ok() : NotFound("h1");
                   })
                   .ok());
  Put(store(), Host("h1", "web"), {Port("h1", 22, SockType::kTcp)});
  PortCountQuery count;
  count.project = kProject;
  count.eps = {"0"};
  EXPECT_EQ(*store().CountPorts(count), 1);
}

TEST_P(StoreConformanceTest, ListPortsOrdersByPortTypeAddressAndNamespaceAndFilters) {
  Put(store(), Host("h1", "web-1"),
      {Port("h1", 443, SockType::kTcp), Port("h1", 22, SockType::kTcp6, "::"),
       Port("h1", 22, SockType::kTcp, "198.18.0.2"), Port("h1", 22, SockType::kTcp, "0.0.0.0", 7),
       Port("h1", 22, SockType::kTcp, "0.0.0.0", 5), Port("h1", 53, SockType::kUdp)});
  PortQuery q;
  q.project = kProject;
  q.eps = {"0"};
  q.host_id = "h1";
  q.page = {200, 0};
  auto all = store().ListPorts(q);
  ASSERT_TRUE(all.has_value());
  EXPECT_EQ(all->total, 6);
  EXPECT_EQ(Keys(*all),
            (std::vector<std::string>{"h1:22/0@0.0.0.0", "h1:22/0@0.0.0.0", "h1:22/0@198.18.0.2",
                                      "h1:22/1@::", "h1:53/2@0.0.0.0", "h1:443/0@0.0.0.0"}));
  EXPECT_EQ(all->rows[0].port.key.netns, 5u);
  EXPECT_EQ(all->rows[0].host_name, "web-1");
  q.type = SockType::kTcp;
  q.page = {2, 1};
  auto page = store().ListPorts(q);
  EXPECT_EQ(page->total, 4);
  EXPECT_EQ(Keys(*page), (std::vector<std::string>{"h1:22/0@0.0.0.0", "h1:22/0@198.18.0.2"}));
  q = {};
  q.project = kProject;
  q.eps = {"0"};
  q.host_id = "h1";
  q.host_name = "WEB";  // substrings are case-sensitive
  EXPECT_EQ(store().ListPorts(q)->total, 0);
  q.host_name = "eb-";
  EXPECT_EQ(store().ListPorts(q)->total, 6);
  q.eps = {"other"};  // an enterprise project not granted sees nothing
  EXPECT_EQ(store().ListPorts(q)->total, 0);
}

TEST_P(StoreConformanceTest, StatisticsCountHostsPerPortAndTypeInBothOrders) {
  Put(store(), Host("h1", "a"), {Port("h1", 22, SockType::kTcp), Port("h1", 80, SockType::kTcp)});
  Put(store(), Host("h2", "b"),
      {Port("h2", 22, SockType::kTcp), Port("h2", 22, SockType::kTcp, "198.18.0.9"),
       Port("h2", 8080, SockType::kTcp)});
  PortStatQuery q;
  q.project = kProject;
  q.eps = {"0"};
  q.page = {10, 0};
  auto up = store().ListPortStatistics(q);
  ASSERT_TRUE(up.has_value());
  EXPECT_EQ(up->total, 3);
  ASSERT_EQ(up->rows.size(), 3u);
  EXPECT_EQ(up->rows[0].port, 22);
  EXPECT_EQ(up->rows[0].num, 2);  // hosts, not sockets
  EXPECT_EQ(up->rows[2].port, 8080);
  q.descending = true;
  auto down = store().ListPortStatistics(q);
  EXPECT_EQ(down->rows[0].port, 8080);
  q.descending = false;
  q.port_substring = "80";
  auto sub = store().ListPortStatistics(q);
  EXPECT_EQ(sub->total, 2);  // 80 and 8080
}

// Hosts come in the order they were first stored, whatever their names; pages tile.
TEST_P(StoreConformanceTest, PortHostsOrderByTypeThenHostAndPagesTile) {
  Put(store(), Host("hb", "b"), {Port("hb", 22, SockType::kTcp), Port("hb", 22, SockType::kTcp6)});
  Put(store(), Host("ha", "a"),
      {Port("ha", 22, SockType::kTcp), Port("ha", 22, SockType::kTcp, "198.18.0.3")});
  Put(store(), Host("hc", "c"), {Port("hc", 22, SockType::kTcp6), Port("hc", 80, SockType::kTcp)});
  auto all = store().ListPortHosts(HostsOf(22, 100, 0));
  ASSERT_TRUE(all.has_value());
  EXPECT_EQ(all->total, 5);
  const std::vector<std::string> want = {"hb:22/0@0.0.0.0", "ha:22/0@0.0.0.0", "ha:22/0@198.18.0.3",
                                         "hb:22/1@0.0.0.0", "hc:22/1@0.0.0.0"};
  EXPECT_EQ(Keys(*all), want);
  std::vector<std::string> tiled;
  for (int offset = 0; offset < 6; offset += 2) {
    auto page = store().ListPortHosts(HostsOf(22, 2, offset));
    ASSERT_TRUE(page.has_value());
    EXPECT_EQ(page->total, 5);
    for (const std::string& k : Keys(*page)) tiled.push_back(k);
  }
  EXPECT_EQ(tiled, want);
  auto past = store().ListPortHosts(HostsOf(22, 10, 50));
  EXPECT_TRUE(past->rows.empty());
  EXPECT_EQ(past->total, 5);
}

TEST_P(StoreConformanceTest, AReplacedHostKeepsItsPlaceAndItsNewPorts) {
  Put(store(), Host("h1", "a"), {Port("h1", 22, SockType::kTcp)});
  Put(store(), Host("h2", "b"), {Port("h2", 22, SockType::kTcp)});
  Put(store(), Host("h1", "a"), {Port("h1", 22, SockType::kTcp), Port("h1", 25, SockType::kTcp)});
  auto all = store().ListPortHosts(HostsOf(22, 10, 0));
  EXPECT_EQ(Keys(*all), (std::vector<std::string>{"h1:22/0@0.0.0.0", "h2:22/0@0.0.0.0"}));
  PortCountQuery count;
  count.project = kProject;
  count.eps = {"0"};
  EXPECT_EQ(*store().CountPorts(count), 3);
  count.host_id = "h1";
  EXPECT_EQ(*store().CountPorts(count), 2);
}

TEST_P(StoreConformanceTest, EventsComeOldestFirst) {
  auto event = [](int64_t at, uint16_t port) {
    PortEvent e;
    e.project = kProject;
    e.host_id = "h1";
    e.at_ms = at;
    e.kind = EventKind::kOpen;
    e.key = {4026531840u, "0.0.0.0", port, SockType::kTcp};
    return e;
  };
  Put(store(), Host("h1", "a"), {Port("h1", 22, SockType::kTcp)}, {event(100, 22)});
  Put(store(), Host("h1", "a"), {Port("h1", 22, SockType::kTcp), Port("h1", 80, SockType::kTcp)},
      {event(200, 80)});
  auto events = store().ListEvents(kProject, "h1", 0, 10);
  ASSERT_TRUE(events.has_value());
  ASSERT_EQ(events->size(), 2u);
  EXPECT_EQ((*events)[0].key.port, 22);
  EXPECT_EQ((*events)[1].key.port, 80);
  EXPECT_EQ(store().ListEvents(kProject, "h1", 150, 10)->size(), 1u);
}

TEST_P(StoreConformanceTest, ScanTasksAreNewestFirstAndRecordsInAddressOrder) {
  ScanTaskRow task;
  task.project = kProject;
  task.name = "first";
  task.kind = "connect";
  int64_t first = 0, second = 0;
  ASSERT_TRUE(store()
                  .Write([&](StoreWriter& w) -> Status {
                    PA_ASSIGN_OR_RETURN(a, w.CreateScanTask(task));
                    first = a;
                    task.name = "second";
                    PA_ASSIGN_OR_RETURN(b, w.CreateScanTask(task));
                    second = b;
                    return Status::Ok();
                  })
                  .ok());
  EXPECT_GT(second, first);
  auto tasks = store().ListScanTasks(kProject, {10, 0});
  ASSERT_EQ(tasks->rows.size(), 2u);
  EXPECT_EQ(tasks->rows[0].id, second);
  std::vector<ScanRecordRow> records;
  for (const char* ip : {"2001:2::1", "198.18.0.10", "198.18.0.9", "198.18.0.10"}) {
    ScanRecordRow r;
    r.ip = *ParseIpAddr(ip);
    r.port = 22;
    r.state = "open";
    records.push_back(r);
  }
  records.back().port = 21;
  ASSERT_TRUE(
      store().Write([&](StoreWriter& w) { return w.PutScanRecords(first, records, 5); }).ok());
  auto page = store().ListScanRecords(kProject, first, {10, 0});
  ASSERT_TRUE(page.has_value());
  EXPECT_EQ(page->total, 4);
  std::vector<std::string> order;
  for (const ScanRecordRow& r : page->rows) {
    order.push_back(r.ip.ToString() + ":" + std::to_string(r.port));
  }
  EXPECT_EQ(order, (std::vector<std::string>{"198.18.0.9:22", "198.18.0.10:21", "198.18.0.10:22",
                                             "2001:2::1:22"}));
  EXPECT_FALSE(store().ListScanRecords("other", first, {10, 0}).has_value());  // not found
}

Status OkOf(const Result<bool>& r) { return r ? Status::Ok() : r.error(); }

TrafficRecord TrafficAt(const char* ip, uint16_t port, int64_t bucket, uint64_t bytes) {
  TrafficRecord r;
  r.ip = *ParseIpAddr(ip);
  r.proto = Proto::kTcp;
  r.port = port;
  r.bucket_ms = bucket;
  r.bytes_in = bytes;
  r.flows = 1;
  r.sources = "e:00000000000000ff";
  r.protocols = {{"TLS", bytes}};
  r.unknown = {{"no_payload", 2}};
  return r;
}

TEST_P(StoreConformanceTest, ATrafficBatchNameIsClaimedOnce) {
  auto claim = [&](const char* project, const char* collector, uint64_t batch) {
    bool fresh = false;
    EXPECT_TRUE(store()
                    .Write([&](StoreWriter& w) -> Status {
                      PA_ASSIGN_OR_RETURN(f, w.ClaimTrafficBatch(project, collector, batch, 7));
                      fresh = f;
                      return Status::Ok();
                    })
                    .ok());
    return fresh;
  };
  EXPECT_TRUE(claim(kProject, "c1", 1));
  EXPECT_FALSE(claim(kProject, "c1", 1));
  EXPECT_TRUE(claim(kProject, "c1", 2));
  EXPECT_TRUE(claim(kProject, "c2", 1));
  EXPECT_TRUE(claim("other", "c1", 1));
  // A failed transaction leaves the name unclaimed.
  EXPECT_FALSE(store()
                   .Write([&](StoreWriter& w) -> Status {
                     PA_RETURN_IF_ERROR(OkOf(w.ClaimTrafficBatch(kProject, "c1", 3, 7)));
                     return Unavailable("rolled back");
                   })
                   .ok());
  EXPECT_TRUE(claim(kProject, "c1", 3));
}

TEST_P(StoreConformanceTest, TrafficRecordsRoundTripInKeyOrderWithFilters) {
  const int64_t h = 1'765'000'800'000;
  ASSERT_TRUE(store()
                  .Write([&](StoreWriter& w) -> Status {
                    for (const TrafficRecord& r :
                         {TrafficAt("2001:2::1", 22, h, 5), TrafficAt("198.18.0.10", 443, h, 6),
                          TrafficAt("198.18.0.9", 443, h + 3'600'000, 7),
                          TrafficAt("198.18.0.9", 443, h, 8), TrafficAt("198.18.0.9", 22, h, 9)}) {
                      PA_RETURN_IF_ERROR(w.PutTraffic(kProject, TrafficGranularity::kHour, r));
                    }
                    TrafficRecord big = TrafficAt("198.18.0.9", 22, h, 1);
                    big.bytes_out = UINT64_MAX;  // stored as INT64_MAX
                    PA_RETURN_IF_ERROR(w.PutTraffic(kProject, TrafficGranularity::kDay, big));
                    return w.PutTraffic(kProject, TrafficGranularity::kHour,
                                        TrafficAt("198.18.0.9", 22, h, 10));  // replaces
                  })
                  .ok());
  TrafficQuery q;
  q.project = kProject;
  auto all = store().ListTraffic(q);
  ASSERT_TRUE(all) << all.error().ToString();
  std::vector<std::string> order;
  for (const TrafficRecord& r : *all) {
    order.push_back(
        fmt::format("{}:{}@{}={}", r.ip.ToString(), r.port, r.bucket_ms - h, r.bytes_in));
  }
  EXPECT_EQ(order, (std::vector<std::string>{"198.18.0.9:22@0=10", "198.18.0.9:443@0=8",
                                             "198.18.0.9:443@3600000=7", "198.18.0.10:443@0=6",
                                             "2001:2::1:22@0=5"}));
  EXPECT_EQ((*all)[0].protocols, (NamedCounts{{"TLS", 10}}));
  EXPECT_EQ((*all)[0].unknown, (NamedCounts{{"no_payload", 2}}));
  EXPECT_EQ((*all)[0].sources, "e:00000000000000ff");
  q.port = 443;
  q.from_ms = h + 1;
  auto later = store().ListTraffic(q);
  ASSERT_EQ(later->size(), 1u);
  EXPECT_EQ((*later)[0].bytes_in, 7u);
  q = {};
  q.project = kProject;
  q.granularity = TrafficGranularity::kDay;
  auto day = store().ListTraffic(q);
  ASSERT_EQ(day->size(), 1u);
  EXPECT_EQ((*day)[0].bytes_out, static_cast<uint64_t>(INT64_MAX));
  q.project = "other";
  EXPECT_TRUE(store().ListTraffic(q)->empty());
  TrafficRecord key = TrafficAt("198.18.0.9", 443, h, 0);
  ASSERT_TRUE(
      store()
          .Write([&](StoreWriter& w) -> Status {
            PA_ASSIGN_OR_RETURN(got, w.GetTraffic(kProject, TrafficGranularity::kHour, key));
            if (!got || got->bytes_in != 8) return InternalError("not read back");
            key.port = 1;
            PA_ASSIGN_OR_RETURN(none, w.GetTraffic(kProject, TrafficGranularity::kHour, key));
            return none ? InternalError("found a record never stored") : Status::Ok();
          })
          .ok());
}

TEST_P(StoreConformanceTest, PruneTrafficDeletesOnlyWhatIsOlder) {
  const int64_t h = 1'765'000'800'000;
  ASSERT_TRUE(store()
                  .Write([&](StoreWriter& w) -> Status {
                    PA_RETURN_IF_ERROR(w.PutTraffic(kProject, TrafficGranularity::kHour,
                                                    TrafficAt("198.18.0.1", 1, h, 1)));
                    PA_RETURN_IF_ERROR(w.PutTraffic(kProject, TrafficGranularity::kHour,
                                                    TrafficAt("198.18.0.1", 1, h + 3'600'000, 1)));
                    PA_RETURN_IF_ERROR(w.PutTraffic(kProject, TrafficGranularity::kDay,
                                                    TrafficAt("198.18.0.1", 1, h, 1)));
                    return OkOf(w.ClaimTrafficBatch(kProject, "c", 1, 100));
                  })
                  .ok());
  int64_t deleted = 0;
  ASSERT_TRUE(store()
                  .Write([&](StoreWriter& w) -> Status {
                    PA_ASSIGN_OR_RETURN(n, w.PruneTraffic(h + 1, h, 101));
                    deleted = n;
                    return Status::Ok();
                  })
                  .ok());
  EXPECT_EQ(deleted, 2);  // the first hour and the batch name; the day is not older than h
  TrafficQuery q;
  q.project = kProject;
  EXPECT_EQ(store().ListTraffic(q)->size(), 1u);
  q.granularity = TrafficGranularity::kDay;
  EXPECT_EQ(store().ListTraffic(q)->size(), 1u);
}

// Page and total come from one commit: while hosts keep changing how many records of port 22
// they hold, every full page read has exactly `total` rows.
TEST_P(StoreConformanceTest, APageAndItsTotalAgreeUnderConcurrentCommits) {
  constexpr int kHosts = 8;
  auto ports_of = [](const std::string& h, int n) {
    std::vector<PortRow> out;
    for (int i = 0; i < n; ++i) {
      out.push_back(Port(h, 22, SockType::kTcp, "198.18.1." + std::to_string(i + 1)));
    }
    return out;
  };
  for (int h = 0; h < kHosts; ++h) {
    Put(store(), Host("h" + std::to_string(h), "n"), ports_of("h" + std::to_string(h), 2));
  }
  std::atomic<bool> done{false};
  std::thread writer([&] {
    for (int i = 0; i < 400; ++i) {
      const std::string h = "h" + std::to_string(i % kHosts);
      Put(store(), Host(h, "n"), ports_of(h, 1 + (i / kHosts) % 2));
    }
    done = true;
  });
  int reads = 0, disagreements = 0;
  while (!done || reads < 50) {
    auto page = store().ListPortHosts(HostsOf(22, 100, 0));
    ASSERT_TRUE(page.has_value());
    ++reads;
    if (static_cast<int64_t>(page->rows.size()) != page->total) ++disagreements;
  }
  writer.join();
  EXPECT_EQ(disagreements, 0) << "of " << reads << " reads";
}

}  // namespace portatlas::store
