#include "cli/ports_output.h"

#include <fmt/format.h>
#include <rapidjson/filewritestream.h>
#include <rapidjson/writer.h>

#include <algorithm>
#include <array>

#include "collect/port_json.h"
#include "core/json_writer.h"

namespace portatlas::cli {
namespace {

std::string Endpoint(const collect::ListeningSocket& s) {
  if (s.laddr.family == Family::kIpv6) return fmt::format("[{}]:{}", s.laddr.ToString(), s.port);
  return fmt::format("{}:{}", s.laddr.ToString(), s.port);
}

}  // namespace

bool WriteJson(const std::vector<PortRow>& rows, std::FILE* out) {
  char buf[64 * 1024];
  rapidjson::FileWriteStream stream(out, buf, sizeof(buf));
  BasicJsonWriter<rapidjson::FileWriteStream> w(stream);
  w.StartArray();
  for (const PortRow& r : rows) {
    collect::WritePortJson(w, *r.socket, r.service, inventory::RiskStatusName(r.status));
  }
  w.EndArray();
  stream.Put('\n');
  stream.Flush();
  return std::ferror(out) == 0;
}

std::string RenderTable(const std::vector<PortRow>& rows, uint64_t own_netns) {
  static constexpr std::array<const char*, 8> kHeader = {
      "Type",  "Local Address:Port", "PID/Process", "Path", "Container", "Netns", "Service",
      "Status"};
  std::vector<std::array<std::string, 8>> cells;
  cells.reserve(rows.size());
  for (const PortRow& r : rows) {
    const collect::ListeningSocket& s = *r.socket;
    std::string owner = s.pid == 0 ? "-" : fmt::format("{}/{}", s.pid, s.comm);
    if (s.sharers > 1) owner += fmt::format(" (+{})", s.sharers - 1);
    std::string path = s.path.empty() ? "-" : s.path;
    if (s.exe_deleted) path += " (deleted)";
    std::string container = "-";
    if (!s.container_id.empty()) {
      container = s.container_id.substr(0, 12);
      if (!s.container_runtime.empty()) container += "/" + s.container_runtime;
    }
    std::string netns = s.netns_name.empty() ? fmt::format("{}", s.netns) : s.netns_name;
    if (s.netns == own_netns) netns += "*";
    cells.push_back({std::string(SockTypeName(s.type)), Endpoint(s), std::move(owner),
                     std::move(path), std::move(container), std::move(netns),
                     r.service.empty() ? "-" : std::string(r.service),
                     std::string(inventory::RiskStatusName(r.status))});
  }
  std::array<size_t, 8> width{};
  for (size_t c = 0; c < kHeader.size(); ++c) width[c] = std::string_view(kHeader[c]).size();
  for (const auto& row : cells) {
    for (size_t c = 0; c < row.size(); ++c) width[c] = std::max(width[c], row[c].size());
  }
  std::string out;
  auto line = [&](const auto& row) {
    for (size_t c = 0; c < row.size(); ++c) {
      if (c + 1 == row.size()) {
        out += fmt::format("{}\n", row[c]);
      } else {
        out += fmt::format("{:<{}}  ", row[c], width[c]);
      }
    }
  };
  line(kHeader);
  for (const auto& row : cells) line(row);
  out += fmt::format("{} sockets; * = the collector's own network namespace\n", rows.size());
  return out;
}

}  // namespace portatlas::cli
