// ingest_loader: a load generator for POST /v1/ingest/ports (docs/ingest.md).
//
//   ingest_loader --url http://127.0.0.1:PORT --token TOKEN [--hosts H] [--ports-per-host P]
//                 [--batch B] [--connections C] [--seq N] [--seed S]
//
// It generates H host snapshots of exactly P distinct ports each, deterministically from the
// seed and the host's index: machine-id-like host ids, a weighted mix of common services (sshd
// on 22, nginx on 80/443, mysqld 3306, redis 6379, chronyd, rpcbind, node_exporter, kubelet,
// ...) over TCP, TCP6 and UDP, 2-6 random ports of the ephemeral range per host, and on a
// quarter of the hosts 1-3 container ports (category "container"). All request bodies of B
// snapshots each are built before the clock starts, so the generator's JSON work is not
// counted against the server. Then C threads, one keep-alive connection each, post the bodies
// in turn, and the wall time runs from the first request to the last response.
//
// Every response must be 200 with one applied result per snapshot whose `ports` add up to
// H x P; anything else stops the run loudly. Output, for people and then for scripts:
//   RESULT hosts=H ports_per_host=P records=N requests=R batch=B connections=C wall_s=..
//          records_per_s=.. hosts_per_s=.. req_p50_ms=.. req_p99_ms=.. body_mb=..
// Exit status: 0, 1 when a request failed, 2 on bad usage.
#include <fmt/format.h>
#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <tuple>
#include <vector>

namespace portatlas::bench {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
using Tcp = boost::asio::ip::tcp;
using JsonWriter = rapidjson::Writer<rapidjson::StringBuffer>;

constexpr uint64_t kHostNetns = 4026531840;  // the inode of the initial network namespace
constexpr int64_t kCollectedAtMs = 1763700000000;

struct Options {
  std::string host = "127.0.0.1";
  std::string port;
  std::string token;
  int hosts = 100000;
  int ports_per_host = 20;
  int batch = 200;
  int connections = 4;
  int64_t seq = 1;
  uint64_t seed = 42;
};

// SplitMix64: small, fast and the same on every platform (unlike std:: distributions).
class Rng {
 public:
  explicit Rng(uint64_t seed) : state_(seed) {}
  uint64_t Next() {
    uint64_t z = (state_ += 0x9e3779b97f4a7c15);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9;
    z = (z ^ (z >> 27)) * 0x94d049bb133111eb;
    return z ^ (z >> 31);
  }
  // Uniform in [0, n).
  uint64_t Below(uint64_t n) { return Next() % n; }
  // Uniform in [0, 1).
  double Unit() { return static_cast<double>(Next() >> 11) * 0x1.0p-53; }

 private:
  uint64_t state_;
};

struct Service {
  uint16_t port;
  const char* type;
  const char* laddr;
  const char* comm;
  const char* path;
  double weight;  // about the share of hosts that run it
};

// Host services. The weights drive weighted sampling without replacement, so the common ones
// (sshd, chronyd, node_exporter, nginx) are on nearly every host and the rare ones on a few.
constexpr Service kServices[] = {
    {22, "TCP", "0.0.0.0", "sshd", "/usr/sbin/sshd", 0.98},
    {22, "TCP6", "::", "sshd", "/usr/sbin/sshd", 0.95},
    {123, "UDP", "0.0.0.0", "chronyd", "/usr/sbin/chronyd", 0.7},
    {323, "UDP", "127.0.0.1", "chronyd", "/usr/sbin/chronyd", 0.7},
    {68, "UDP", "0.0.0.0", "dhclient", "/sbin/dhclient", 0.5},
    {53, "UDP", "127.0.0.53", "systemd-resolve", "/lib/systemd/systemd-resolved", 0.45},
    {53, "TCP", "127.0.0.53", "systemd-resolve", "/lib/systemd/systemd-resolved", 0.45},
    {111, "TCP", "0.0.0.0", "rpcbind", "/sbin/rpcbind", 0.2},
    {111, "TCP6", "::", "rpcbind", "/sbin/rpcbind", 0.2},
    {111, "UDP", "0.0.0.0", "rpcbind", "/sbin/rpcbind", 0.2},
    {25, "TCP", "127.0.0.1", "master", "/usr/lib/postfix/sbin/master", 0.3},
    {80, "TCP", "0.0.0.0", "nginx", "/usr/sbin/nginx", 0.5},
    {80, "TCP6", "::", "nginx", "/usr/sbin/nginx", 0.4},
    {443, "TCP", "0.0.0.0", "nginx", "/usr/sbin/nginx", 0.45},
    {443, "TCP6", "::", "nginx", "/usr/sbin/nginx", 0.35},
    {3306, "TCP", "0.0.0.0", "mysqld", "/usr/sbin/mysqld", 0.15},
    {33060, "TCP6", "::", "mysqld", "/usr/sbin/mysqld", 0.1},
    {6379, "TCP", "127.0.0.1", "redis-server", "/usr/bin/redis-server", 0.15},
    {6379, "TCP6", "::1", "redis-server", "/usr/bin/redis-server", 0.1},
    {5432, "TCP", "127.0.0.1", "postgres", "/usr/lib/postgresql/15/bin/postgres", 0.08},
    {9100, "TCP6", "::", "node_exporter", "/usr/local/bin/node_exporter", 0.6},
    {8080, "TCP6", "::", "java", "/usr/lib/jvm/java-17-openjdk-amd64/bin/java", 0.2},
    {8443, "TCP6", "::", "java", "/usr/lib/jvm/java-17-openjdk-amd64/bin/java", 0.05},
    {10250, "TCP6", "::", "kubelet", "/usr/bin/kubelet", 0.15},
    {2379, "TCP", "127.0.0.1", "etcd", "/usr/local/bin/etcd", 0.03},
    {9200, "TCP6", "::", "java", "/usr/share/elasticsearch/jdk/bin/java", 0.03},
    {11211, "TCP", "127.0.0.1", "memcached", "/usr/bin/memcached", 0.05},
    {27017, "TCP", "127.0.0.1", "mongod", "/usr/bin/mongod", 0.04},
    {5353, "UDP", "0.0.0.0", "avahi-daemon", "/usr/sbin/avahi-daemon", 0.2},
    {161, "UDP", "0.0.0.0", "snmpd", "/usr/sbin/snmpd", 0.1},
    {3389, "TCP", "0.0.0.0", "xrdp", "/usr/sbin/xrdp", 0.01},
    {21, "TCP", "0.0.0.0", "vsftpd", "/usr/sbin/vsftpd", 0.02},
    {8000, "TCP", "0.0.0.0", "python3", "/usr/bin/python3.11", 0.05},
    {9090, "TCP6", "::", "prometheus", "/usr/local/bin/prometheus", 0.03},
    {2049, "TCP", "0.0.0.0", "", "", 0.03},  // kernel nfsd: no owning process
    {6443, "TCP6", "::", "kube-apiserver", "/usr/local/bin/kube-apiserver", 0.01},
};

// Services that run in containers, in their own network namespace.
constexpr Service kContainerServices[] = {
    {8080, "TCP", "0.0.0.0", "java", "/opt/java/openjdk/bin/java", 1},
    {80, "TCP", "0.0.0.0", "nginx", "/usr/sbin/nginx", 1},
    {6379, "TCP", "0.0.0.0", "redis-server", "/usr/local/bin/redis-server", 1},
    {3000, "TCP6", "::", "node", "/usr/local/bin/node", 1},
};

// Owners of ports in the ephemeral range (RPC services, JMX, UDP client sockets).
constexpr std::array<std::pair<const char*, const char*>, 4> kHighPortOwners = {{
    {"rpc.statd", "/sbin/rpc.statd"},
    {"java", "/usr/lib/jvm/java-17-openjdk-amd64/bin/java"},
    {"avahi-daemon", "/usr/sbin/avahi-daemon"},
    {"dhclient", "/sbin/dhclient"},
}};

struct Port {
  const Service* service;  // null for a generated high port
  uint16_t port;
  const char* type;
  const char* laddr;
  const char* comm;
  const char* path;
  std::string container_id;  // empty on the host
  uint64_t netns = kHostNetns;
};

std::string Hex(Rng& rng, size_t digits) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  while (out.size() < digits) {
    uint64_t v = rng.Next();
    for (int i = 0; i < 16 && out.size() < digits; ++i, v >>= 4) out += kDigits[v & 15];
  }
  return out;
}

// Picks `n` distinct services, each with probability growing with its weight
// (Efraimidis-Spirakis: the n largest u^(1/w)).
std::vector<const Service*> SampleServices(Rng& rng, size_t n) {
  std::vector<std::pair<double, const Service*>> keyed;
  for (const Service& s : kServices) keyed.emplace_back(std::pow(rng.Unit(), 1.0 / s.weight), &s);
  n = std::min(n, keyed.size());
  std::partial_sort(keyed.begin(), keyed.begin() + static_cast<std::ptrdiff_t>(n), keyed.end(),
                    [](const auto& a, const auto& b) { return a.first > b.first; });
  std::vector<const Service*> out;
  for (size_t i = 0; i < n; ++i) out.push_back(keyed[i].second);
  return out;
}

// Exactly `count` ports with distinct (netns, laddr, port, type), drawn from `rng`.
std::vector<Port> HostPorts(Rng& rng, int count) {
  const auto total = static_cast<size_t>(count);
  std::vector<Port> out;
  std::set<std::tuple<uint64_t, std::string_view, uint16_t, std::string_view>> keys;
  auto add = [&](Port p) {
    if (out.size() >= total || !keys.emplace(p.netns, p.laddr, p.port, p.type).second) return;
    out.push_back(std::move(p));
  };
  if (rng.Below(4) == 0) {  // a container host
    const uint64_t containers = 1 + rng.Below(3);
    for (uint64_t c = 0; c < containers; ++c) {
      const Service& s = kContainerServices[rng.Below(std::size(kContainerServices))];
      add({&s, s.port, s.type, s.laddr, s.comm, s.path, Hex(rng, 64), kHostNetns + 300 + c});
    }
  }
  const size_t high = 2 + rng.Below(5);
  const size_t services = total - std::min(total, out.size() + high);
  for (const Service* s : SampleServices(rng, services)) {
    add({s, s->port, s->type, s->laddr, s->comm, s->path, "", kHostNetns});
  }
  static constexpr const char* kTypes[] = {"TCP", "TCP6", "UDP"};
  while (out.size() < total) {
    const auto& [comm, path] = kHighPortOwners[rng.Below(kHighPortOwners.size())];
    const char* type = kTypes[rng.Below(3)];
    const char* laddr = type[3] == '6' ? "::" : "0.0.0.0";
    add({nullptr, static_cast<uint16_t>(32768 + rng.Below(60999 - 32768 + 1)), type, laddr, comm,
         path, "", kHostNetns});
  }
  return out;
}

void Str(JsonWriter& w, const char* key, std::string_view value) {
  w.Key(key);
  w.String(value.data(), static_cast<rapidjson::SizeType>(value.size()));
}

void WritePort(JsonWriter& w, Rng& rng, const Port& p) {
  w.StartObject();
  Str(w, "laddr", p.laddr);
  w.Key("port");
  w.Int(p.port);
  Str(w, "type", p.type);
  w.Key("pid");
  w.Int(p.comm[0] == '\0' ? 0 : static_cast<int>(300 + rng.Below(4000000)));
  Str(w, "path", p.path);
  w.Key("exe_deleted");
  w.Bool(false);
  Str(w, "comm", p.comm);
  w.Key("sharers");
  w.Int(1);
  Str(w, "container_id", p.container_id);
  Str(w, "container_runtime", p.container_id.empty() ? "" : "docker");
  w.Key("netns");
  w.Uint64(p.netns);
  Str(w, "netns_name", "");
  Str(w, "service", "");
  Str(w, "status", "");
  w.Key("uid");
  w.Uint(p.comm[0] == '\0' || rng.Below(2) == 0 ? 0 : static_cast<unsigned>(100 + rng.Below(900)));
  w.Key("inode");
  w.Uint64(100000 + rng.Below(100000000));
  w.EndObject();
}

// One snapshot, as the agent reports it; the same index and seed always give the same host.
void WriteSnapshot(JsonWriter& w, const Options& opts, int index) {
  Rng rng(opts.seed * 0x100000001b3 + static_cast<uint64_t>(index));
  const std::string host_id = Hex(rng, 32);
  w.StartObject();
  Str(w, "host_id", host_id);
  Str(w, "agent_id", "agent-" + host_id.substr(0, 12));
  Str(w, "host_name", fmt::format("node-{:06d}", index));
  Str(w, "host_ip",
      fmt::format("10.{}.{}.{}", (index >> 16) & 255, (index >> 8) & 255, index & 255));
  w.Key("collected_at");
  w.Int64(kCollectedAtMs + index);
  w.Key("seq");
  w.Int64(opts.seq);
  w.Key("ports");
  w.StartArray();
  for (const Port& p : HostPorts(rng, opts.ports_per_host)) WritePort(w, rng, p);
  w.EndArray();
  w.EndObject();
}

struct Body {
  std::string json;
  int hosts = 0;
};

std::vector<Body> BuildBodies(const Options& opts) {
  std::vector<Body> bodies;
  for (int first = 0; first < opts.hosts; first += opts.batch) {
    rapidjson::StringBuffer buf;
    JsonWriter w(buf);
    Body body;
    body.hosts = std::min(opts.batch, opts.hosts - first);
    w.StartObject();
    w.Key("snapshots");
    w.StartArray();
    for (int i = first; i < first + body.hosts; ++i) WriteSnapshot(w, opts, i);
    w.EndArray();
    w.EndObject();
    body.json.assign(buf.GetString(), buf.GetSize());
    bodies.push_back(std::move(body));
  }
  return bodies;
}

// Checks an ingest answer: one applied result per snapshot. The number of ports, or -1 after
// saying what is wrong.
int64_t CheckResponse(const http::response<http::string_body>& res, int hosts) {
  if (res.result_int() != 200) {
    fmt::print(stderr, "ingest_loader: HTTP {}: {}\n", res.result_int(), res.body());
    return -1;
  }
  rapidjson::Document doc;
  doc.Parse(res.body().data(), res.body().size());
  if (doc.HasParseError() || !doc.IsObject() || !doc.HasMember("results") ||
      !doc["results"].IsArray() || doc["results"].Size() != static_cast<unsigned>(hosts)) {
    fmt::print(stderr, "ingest_loader: unexpected answer for {} hosts: {:.300}\n", hosts,
               res.body());
    return -1;
  }
  int64_t ports = 0;
  for (const auto& r : doc["results"].GetArray()) {
    if (!r.IsObject() || !r.HasMember("applied") || !r["applied"].IsTrue() ||
        !r.HasMember("ports") || !r["ports"].IsInt()) {
      fmt::print(stderr,
                 "ingest_loader: snapshot not applied (is --seq above the last run's?): "
                 "{:.300}\n",
                 res.body());
      return -1;
    }
    ports += r["ports"].GetInt();
  }
  return ports;
}

struct Shared {
  std::vector<Body> bodies;
  std::atomic<size_t> next{0};
  std::atomic<bool> failed{false};
  std::atomic<int64_t> ports{0};
  std::mutex mu;
  std::vector<double> latencies_ms;
};

// One connection: posts bodies until none is left or some request failed.
void Connection(const Options& opts, Shared* shared) {
  std::vector<double> latencies;
  try {
    boost::asio::io_context ioc;
    beast::tcp_stream stream(ioc);
    Tcp::resolver resolver(ioc);
    stream.connect(resolver.resolve(opts.host, opts.port));
    beast::flat_buffer buffer;
    while (!shared->failed) {
      const size_t i = shared->next++;
      if (i >= shared->bodies.size()) break;
      Body& body = shared->bodies[i];
      http::request<http::string_body> req{http::verb::post, "/v1/ingest/ports", 11};
      req.set(http::field::host, opts.host);
      req.set(http::field::content_type, "application/json");
      req.set("X-Auth-Token", opts.token);
      req.keep_alive(true);
      req.body() = std::move(body.json);
      req.prepare_payload();
      const auto start = std::chrono::steady_clock::now();
      http::write(stream, req);
      http::response_parser<http::string_body> parser;
      parser.body_limit(64 << 20);
      http::read(stream, buffer, parser);
      latencies.push_back(
          std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
              .count());
      const int64_t ports = CheckResponse(parser.get(), body.hosts);
      if (ports < 0) {
        shared->failed = true;
        break;
      }
      shared->ports += ports;
    }
  } catch (const std::exception& e) {
    fmt::print(stderr, "ingest_loader: connection failed: {}\n", e.what());
    shared->failed = true;
  }
  std::lock_guard<std::mutex> lock(shared->mu);
  shared->latencies_ms.insert(shared->latencies_ms.end(), latencies.begin(), latencies.end());
}

double Percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const auto rank = static_cast<size_t>(std::ceil(p * static_cast<double>(v.size())));
  return v[std::clamp<size_t>(rank, 1, v.size()) - 1];
}

template <typename T>
bool ParseNumber(std::string_view text, T min, T* out) {
  T value{};
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value < min) return false;
  *out = value;
  return true;
}

// http://HOST:PORT[/] only: the loader talks to one local server.
bool ParseUrl(std::string_view url, Options* opts) {
  constexpr std::string_view kScheme = "http://";
  if (!url.starts_with(kScheme)) return false;
  url.remove_prefix(kScheme.size());
  if (url.ends_with('/')) url.remove_suffix(1);
  const size_t colon = url.rfind(':');
  if (colon == std::string_view::npos || colon == 0 || colon + 1 == url.size()) return false;
  opts->host = std::string(url.substr(0, colon));
  opts->port = std::string(url.substr(colon + 1));
  return true;
}

bool ParseArgs(int argc, char** argv, Options* opts) {
  bool ok = true;
  for (int i = 1; i < argc && ok; ++i) {
    const std::string_view arg = argv[i];
    if (i + 1 >= argc) return false;
    const std::string_view value = argv[++i];
    if (arg == "--url") {
      ok = ParseUrl(value, opts);
    } else if (arg == "--token") {
      opts->token = std::string(value);
    } else if (arg == "--hosts") {
      ok = ParseNumber(value, 1, &opts->hosts);
    } else if (arg == "--ports-per-host") {
      ok = ParseNumber(value, 1, &opts->ports_per_host) && opts->ports_per_host <= 65536;
    } else if (arg == "--batch") {
      ok = ParseNumber(value, 1, &opts->batch) && opts->batch <= 10000;
    } else if (arg == "--connections") {
      ok = ParseNumber(value, 1, &opts->connections) && opts->connections <= 256;
    } else if (arg == "--seq") {
      ok = ParseNumber<int64_t>(value, 0, &opts->seq);
    } else if (arg == "--seed") {
      ok = ParseNumber<uint64_t>(value, 0, &opts->seed);
    } else {
      ok = false;
    }
    if (!ok) fmt::print(stderr, "ingest_loader: bad argument {} {}\n", arg, value);
  }
  return ok && !opts->port.empty() && !opts->token.empty();
}

int Run(const Options& opts) {
  Shared shared;
  const auto gen_start = std::chrono::steady_clock::now();
  shared.bodies = BuildBodies(opts);
  size_t body_bytes = 0;
  for (const Body& b : shared.bodies) body_bytes += b.json.size();
  const double gen_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - gen_start).count();
  fmt::print("generated {} requests of up to {} hosts, {:.1f} MB of JSON, in {:.2f} s\n",
             shared.bodies.size(), opts.batch, static_cast<double>(body_bytes) / 1e6, gen_s);

  const auto start = std::chrono::steady_clock::now();
  std::vector<std::thread> threads;
  for (int c = 0; c < opts.connections; ++c) threads.emplace_back(Connection, opts, &shared);
  for (std::thread& t : threads) t.join();
  const double wall_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (shared.failed) return 1;

  const int64_t expected = static_cast<int64_t>(opts.hosts) * opts.ports_per_host;
  if (shared.ports != expected) {
    fmt::print(stderr, "ingest_loader: the server stored {} ports, expected {}\n",
               shared.ports.load(), expected);
    return 1;
  }
  const double p50 = Percentile(shared.latencies_ms, 0.50);
  const double p99 = Percentile(shared.latencies_ms, 0.99);
  fmt::print(
      "{} port records of {} hosts in {:.2f} s: {:.0f} records/s, {:.0f} hosts/s; "
      "request p50 {:.1f} ms, p99 {:.1f} ms\n",
      expected, opts.hosts, wall_s, static_cast<double>(expected) / wall_s, opts.hosts / wall_s,
      p50, p99);
  fmt::print(
      "RESULT hosts={} ports_per_host={} records={} requests={} batch={} connections={} "
      "wall_s={:.3f} records_per_s={:.0f} hosts_per_s={:.0f} req_p50_ms={:.2f} "
      "req_p99_ms={:.2f} body_mb={:.1f}\n",
      opts.hosts, opts.ports_per_host, expected, shared.bodies.size(), opts.batch, opts.connections,
      wall_s, static_cast<double>(expected) / wall_s, opts.hosts / wall_s, p50, p99,
      static_cast<double>(body_bytes) / 1e6);
  return 0;
}

}  // namespace
}  // namespace portatlas::bench

int main(int argc, char** argv) {
  portatlas::bench::Options opts;
  if (!portatlas::bench::ParseArgs(argc, argv, &opts)) {
    fmt::print(stderr,
               "usage: ingest_loader --url http://HOST:PORT --token TOKEN [--hosts H] "
               "[--ports-per-host P] [--batch B] [--connections C] [--seq N] [--seed S]\n");
    return 2;
  }
  return portatlas::bench::Run(opts);
}
