// json_write_bench: the cost of serialising 10,000 flat port records (the shape of
// `portatlas ports --json`) to a std::string with RapidJSON's Writer and with nlohmann::json.
//
// Variants:
//   BM_RapidJsonWriter              Writer<StringBuffer> streaming, then copy into a std::string
//   BM_RapidJsonStreamToFile        Writer<FileWriteStream> through a 64 KiB buffer to /dev/null
//                                   (how a CLI can print without holding the document)
//   BM_NlohmannBuildAndDump<json>   build a json array of objects, then dump() (the usual use)
//   BM_NlohmannBuildAndDump<ordered_json>  same, keys in insertion order (like RapidJSON's)
//   BM_NlohmannDumpOnly             dump() of an array built outside the timed loop
//
// Each reports out_bytes and peak_heap_mb: the most heap the call held at once above what was
// live before it (operator new and RapidJSON's allocator are both counted).
//
// Before timing, main() checks that both libraries produce the same JSON value for the same
// records, so the comparison is between equal outputs.
#include <benchmark/benchmark.h>
#include <malloc.h>
#include <rapidjson/filewritestream.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <new>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace portatlas::bench {
namespace {

constexpr int kRecords = 10'000;

// Heap bytes in use (malloc_usable_size of every counted block) and their high-water mark.
// Single-threaded, like the benchmarks below.
struct HeapMeter {
  static inline size_t live = 0;
  static inline size_t peak = 0;
  static void Add(void* p) {
    live += malloc_usable_size(p);
    peak = std::max(peak, live);
  }
  static void Remove(void* p) { live -= malloc_usable_size(p); }
};

// RapidJSON allocator (its Allocator concept) that goes through HeapMeter.
struct CountingAllocator {
  [[maybe_unused]] static constexpr bool kNeedFree = true;
  void* Malloc(size_t size) {
    if (size == 0) return nullptr;
    void* p = std::malloc(size);
    HeapMeter::Add(p);
    return p;
  }
  void* Realloc(void* original, size_t /*original_size*/, size_t new_size) {
    if (new_size == 0) {
      Free(original);
      return nullptr;
    }
    HeapMeter::Remove(original);
    void* p = std::realloc(original, new_size);
    HeapMeter::Add(p);
    return p;
  }
  static void Free(void* p) {
    HeapMeter::Remove(p);
    std::free(p);
  }
};

using StringBuffer = rapidjson::GenericStringBuffer<rapidjson::UTF8<>, CountingAllocator>;

struct PortRecord {
  std::string laddr;
  int port = 0;
  std::string type;
  int pid = 0;
  std::string path;
  std::string container_id;
  std::string status;
  uint64_t netns = 0;
  std::string comm;
  std::string service;
  int sharers = 0;
};

// Deterministic records with a realistic mix of addresses, programs and containers.
std::vector<PortRecord> MakeRecords() {
  static const char* const kAddrs[] = {"0.0.0.0", "::", "127.0.0.1", "198.18.30.40",
                                       "fe80::1c2d:3eff:fe4f:5a6b"};
  static const char* const kComms[] = {"nginx", "sshd", "redis-server", "postgres", "java"};
  static const char* const kPaths[] = {"/usr/sbin/nginx", "/usr/sbin/sshd", "/usr/bin/redis-server",
                                       "/usr/lib/postgresql/15/bin/postgres",
                                       "/usr/lib/jvm/java-17-openjdk-amd64/bin/java"};
  static const char* const kServices[] = {"http", "ssh", "redis", "postgresql", ""};
  std::vector<PortRecord> records;
  records.reserve(kRecords);
  for (int i = 0; i < kRecords; ++i) {
    const int kind = i % 5;
    PortRecord r;
    r.laddr = kAddrs[i % 5];
    r.port = 1024 + (i * 7) % 60000;
    r.type = i % 10 == 9 ? "udp" : "tcp";
    r.pid = 1000 + i / 200;
    r.path = kPaths[kind];
    if (i % 3 == 0) {
      char id[65];
      for (int j = 0; j < 64; ++j) id[j] = "0123456789abcdef"[(i * 31 + j * 7) % 16];
      id[64] = '\0';
      r.container_id = id;
    }
    r.status = r.type == "udp" ? "unconn" : "listen";
    r.netns = 4026531840ULL + static_cast<uint64_t>(i % 3);
    r.comm = kComms[kind];
    r.service = kServices[kind];
    r.sharers = 1 + i % 2;
    records.push_back(std::move(r));
  }
  return records;
}

const std::vector<PortRecord>& Records() {
  static const std::vector<PortRecord> records = MakeRecords();
  return records;
}

template <typename Stream>
void WriteRecords(const std::vector<PortRecord>& records, Stream& stream) {
  rapidjson::Writer<Stream, rapidjson::UTF8<>, rapidjson::UTF8<>, CountingAllocator> w(stream);
  const auto str = [&w](const std::string& s) {
    w.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
  };
  w.StartArray();
  for (const PortRecord& r : records) {
    w.StartObject();
    w.Key("laddr");
    str(r.laddr);
    w.Key("port");
    w.Int(r.port);
    w.Key("type");
    str(r.type);
    w.Key("pid");
    w.Int(r.pid);
    w.Key("path");
    str(r.path);
    w.Key("container_id");
    str(r.container_id);
    w.Key("status");
    str(r.status);
    w.Key("netns");
    w.Uint64(r.netns);
    w.Key("comm");
    str(r.comm);
    w.Key("service");
    str(r.service);
    w.Key("sharers");
    w.Int(r.sharers);
    w.EndObject();
  }
  w.EndArray();
}

std::string WriteRapidJson(const std::vector<PortRecord>& records) {
  StringBuffer buffer;
  WriteRecords(records, buffer);
  return std::string(buffer.GetString(), buffer.GetSize());
}

template <typename Json>
Json BuildNlohmann(const std::vector<PortRecord>& records) {
  Json array = Json::array();
  for (const PortRecord& r : records) {
    array.push_back(Json{{"laddr", r.laddr},
                         {"port", r.port},
                         {"type", r.type},
                         {"pid", r.pid},
                         {"path", r.path},
                         {"container_id", r.container_id},
                         {"status", r.status},
                         {"netns", r.netns},
                         {"comm", r.comm},
                         {"service", r.service},
                         {"sharers", r.sharers}});
  }
  return array;
}

// Runs `write` once per iteration and reports its output size and peak heap.
template <typename WriteFn>
void RunWriter(benchmark::State& state, WriteFn write) {
  size_t bytes = 0;
  size_t peak_heap = 0;
  for (auto _ : state) {
    const size_t base = HeapMeter::live;
    HeapMeter::peak = base;
    std::string out = write();
    bytes = out.size();
    benchmark::DoNotOptimize(out.data());
    peak_heap = std::max(peak_heap, HeapMeter::peak - base);
  }
  state.SetItemsProcessed(state.iterations() * kRecords);
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(bytes));
  state.counters["out_bytes"] = static_cast<double>(bytes);
  state.counters["peak_heap_mb"] = static_cast<double>(peak_heap) / (1024.0 * 1024.0);
}

void BM_RapidJsonWriter(benchmark::State& state) {
  RunWriter(state, [] { return WriteRapidJson(Records()); });
}
BENCHMARK(BM_RapidJsonWriter)->Unit(benchmark::kMillisecond);

void BM_RapidJsonStreamToFile(benchmark::State& state) {
  std::FILE* sink = std::fopen("/dev/null", "w");
  if (sink == nullptr) {
    state.SkipWithError("cannot open /dev/null");
    return;
  }
  std::vector<char> chunk(64 * 1024);
  const size_t bytes = WriteRapidJson(Records()).size();
  size_t peak_heap = 0;
  for (auto _ : state) {
    const size_t base = HeapMeter::live;
    HeapMeter::peak = base;
    rapidjson::FileWriteStream stream(sink, chunk.data(), chunk.size());
    WriteRecords(Records(), stream);
    stream.Flush();
    peak_heap = std::max(peak_heap, HeapMeter::peak - base);
  }
  std::fclose(sink);
  state.SetItemsProcessed(state.iterations() * kRecords);
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(bytes));
  state.counters["out_bytes"] = static_cast<double>(bytes);
  state.counters["peak_heap_mb"] = static_cast<double>(peak_heap) / (1024.0 * 1024.0);
}
BENCHMARK(BM_RapidJsonStreamToFile)->Unit(benchmark::kMillisecond);

template <typename Json>
void BM_NlohmannBuildAndDump(benchmark::State& state) {
  RunWriter(state, [] { return BuildNlohmann<Json>(Records()).dump(); });
}
BENCHMARK_TEMPLATE(BM_NlohmannBuildAndDump, nlohmann::json)->Unit(benchmark::kMillisecond);
BENCHMARK_TEMPLATE(BM_NlohmannBuildAndDump, nlohmann::ordered_json)->Unit(benchmark::kMillisecond);

void BM_NlohmannDumpOnly(benchmark::State& state) {
  const nlohmann::json built = BuildNlohmann<nlohmann::json>(Records());
  RunWriter(state, [&built] { return built.dump(); });
}
BENCHMARK(BM_NlohmannDumpOnly)->Unit(benchmark::kMillisecond);

// True when both writers encode the same value (and says whether the bytes match too).
bool OutputsAgree() {
  const std::string rapid = WriteRapidJson(Records());
  const std::string ordered = BuildNlohmann<nlohmann::ordered_json>(Records()).dump();
  const nlohmann::json parsed = nlohmann::json::parse(rapid);
  if (parsed != BuildNlohmann<nlohmann::json>(Records()) ||
      parsed.size() != static_cast<size_t>(kRecords)) {
    std::fprintf(stderr, "json_write_bench: RapidJSON and nlohmann outputs differ\n");
    return false;
  }
  std::fprintf(stderr, "json_write_bench: outputs agree (%zu bytes; ordered_json bytes %s)\n",
               rapid.size(), rapid == ordered ? "identical" : "differ");
  return true;
}

}  // namespace
}  // namespace portatlas::bench

// Every operator new/delete of the program goes through HeapMeter.
void* operator new(std::size_t size) {
  void* p = std::malloc(size == 0 ? 1 : size);
  if (p == nullptr) throw std::bad_alloc();
  portatlas::bench::HeapMeter::Add(p);
  return p;
}
void operator delete(void* p) noexcept {
  if (p == nullptr) return;
  portatlas::bench::HeapMeter::Remove(p);
  std::free(p);
}
void operator delete(void* p, std::size_t /*size*/) noexcept { operator delete(p); }

int main(int argc, char** argv) {
  if (!portatlas::bench::OutputsAgree()) return 1;
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
