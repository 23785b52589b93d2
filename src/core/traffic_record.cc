#include "core/traffic_record.h"

#include <algorithm>

#include "core/distinct_count.h"

namespace portatlas {
namespace {

uint64_t SatAdd(uint64_t a, uint64_t b) { return a > UINT64_MAX - b ? UINT64_MAX : a + b; }

}  // namespace

void AddNamedCounts(NamedCounts* a, const NamedCounts& b) {
  for (const auto& [name, n] : b) {
    auto it = std::lower_bound(a->begin(), a->end(), name,
                               [](const auto& e, const std::string& k) { return e.first < k; });
    if (it != a->end() && it->first == name) {
      it->second = SatAdd(it->second, n);
    } else {
      a->insert(it, {name, n});
    }
  }
}

Status MergeTraffic(TrafficRecord* into, const TrafficRecord& from) {
  if (!from.sources.empty()) {
    PA_ASSIGN_OR_RETURN(mine, DistinctCount::Parse(into->sources));
    PA_ASSIGN_OR_RETURN(theirs, DistinctCount::Parse(from.sources));
    mine.Merge(theirs);
    into->sources = mine.Serialize();
  }
  into->bytes_in = SatAdd(into->bytes_in, from.bytes_in);
  into->bytes_out = SatAdd(into->bytes_out, from.bytes_out);
  into->packets_in = SatAdd(into->packets_in, from.packets_in);
  into->packets_out = SatAdd(into->packets_out, from.packets_out);
  into->flows = SatAdd(into->flows, from.flows);
  AddNamedCounts(&into->protocols, from.protocols);
  AddNamedCounts(&into->unknown, from.unknown);
  AddNamedCounts(&into->server_names, from.server_names);
  // A record keeps at most kMaxNamedCounts names of each kind: the largest counts.
  for (NamedCounts* c : {&into->protocols, &into->unknown, &into->server_names}) {
    if (c->size() <= kMaxNamedCountsPerRecord) continue;
    std::sort(c->begin(), c->end(),
              [](const auto& a, const auto& b) { return a.second > b.second; });
    c->resize(kMaxNamedCountsPerRecord);
    std::sort(c->begin(), c->end());
  }
  return Status::Ok();
}

}  // namespace portatlas
