// The JSON object of one listening socket, shared by `portatlas ports --json` and the agent's
// reports (docs/ports.md, docs/ingest.md). Header-only: a template over RapidJSON writers.
#ifndef PORTATLAS_COLLECT_PORT_JSON_H_
#define PORTATLAS_COLLECT_PORT_JSON_H_

#include <string_view>

#include "collect/collector.h"

namespace portatlas::collect {

template <typename Writer>
void WriteJsonString(Writer& w, std::string_view key, std::string_view value) {
  w.Key(key.data(), static_cast<unsigned>(key.size()));
  w.String(value.data(), static_cast<unsigned>(value.size()));
}

// Writes `s` as one object. `service` and `status` come from the caller's services database
// and risk knowledge base.
template <typename Writer>
void WritePortJson(Writer& w, const ListeningSocket& s, std::string_view service,
                   std::string_view status) {
  w.StartObject();
  WriteJsonString(w, "laddr", s.laddr.ToString());
  w.Key("port");
  w.Int(s.port);
  WriteJsonString(w, "type", SockTypeName(s.type));
  w.Key("pid");
  w.Int(s.pid);
  WriteJsonString(w, "path", s.path);
  w.Key("exe_deleted");
  w.Bool(s.exe_deleted);
  WriteJsonString(w, "comm", s.comm);
  w.Key("sharers");
  w.Int(s.sharers);
  WriteJsonString(w, "container_id", s.container_id);
  WriteJsonString(w, "container_runtime", s.container_runtime);
  w.Key("netns");
  w.Uint64(s.netns);
  WriteJsonString(w, "netns_name", s.netns_name);
  WriteJsonString(w, "service", service);
  WriteJsonString(w, "status", status);
  w.Key("uid");
  w.Uint(s.uid);
  w.Key("inode");
  w.Uint64(s.inode);
  w.EndObject();
}

}  // namespace portatlas::collect

#endif  // PORTATLAS_COLLECT_PORT_JSON_H_
