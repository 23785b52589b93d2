#include "api/router.h"

#include "api/auth/uri_encoding.h"

namespace portatlas::api {
namespace {

std::vector<std::string_view> Split(std::string_view path) {
  std::vector<std::string_view> out;
  size_t b = 0;
  while (b < path.size()) {
    if (path[b] == '/') {
      ++b;
      continue;
    }
    size_t e = path.find('/', b);
    if (e == std::string_view::npos) e = path.size();
    out.push_back(path.substr(b, e - b));
    b = e;
  }
  return out;
}

}  // namespace

std::string CanonicalPath(std::string_view raw_path) {
  std::string out;
  for (std::string_view seg : Split(raw_path)) {
    out += '/';
    out += seg;
  }
  return out.empty() ? "/" : out;
}

void Router::Add(std::string method, std::string pattern, Handler handler, int tag) {
  Route r;
  r.tag = tag;
  r.method = std::move(method);
  for (std::string_view s : Split(pattern)) r.segments.emplace_back(s);
  r.handler = std::move(handler);
  routes_.push_back(std::move(r));
}

Result<Router::Match> Router::Find(std::string_view method, std::string_view raw_path) const {
  const std::vector<std::string_view> parts = Split(raw_path);
  for (const Route& r : routes_) {
    if ((r.method != "*" && r.method != method) || r.segments.size() != parts.size()) continue;
    Match m;
    bool ok = true;
    for (size_t i = 0; i < parts.size() && ok; ++i) {
      const std::string& seg = r.segments[i];
      if (seg.size() > 2 && seg.front() == '{' && seg.back() == '}') {
        auto value = auth::PercentDecode(parts[i], false);
        if (!value) return value.error();
        m.params.emplace_back(seg.substr(1, seg.size() - 2), std::move(*value));
      } else {
        ok = seg == parts[i];
      }
    }
    if (ok) {
      m.handler = &r.handler;
      m.tag = r.tag;
      return m;
    }
  }
  return Match{};
}

}  // namespace portatlas::api
