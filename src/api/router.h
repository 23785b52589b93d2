// Router: maps (method, path pattern) to a handler. Patterns are literal segments and
// "{name}" segments, which match any one non-empty segment and are passed to the handler
// percent-decoded as path parameters. The method "*" matches every method. Routes are tried in
// the order added. Built once at start-up; Find is thread-safe.
#ifndef PORTATLAS_API_ROUTER_H_
#define PORTATLAS_API_ROUTER_H_

#include <string>
#include <vector>

#include "api/http.h"

namespace portatlas::api {

// The one form of a request path that routing, and every decision made before it, sees: runs
// of '/' become one and a trailing '/' goes ("//v1/ingest/ports/" is "/v1/ingest/ports"; ""
// and "//" are "/"). Percent-escapes are left as they are.
std::string CanonicalPath(std::string_view raw_path);

class Router {
 public:
  // `tag` is the caller's own number for the route, returned with every match.
  void Add(std::string method, std::string pattern, Handler handler, int tag = 0);

  struct Match {
    const Handler* handler = nullptr;
    int tag = 0;
    std::vector<std::pair<std::string, std::string>> params;
  };
  // The route for this method and raw path, or a Match with handler == nullptr (unknown path,
  // or known path with another method). kInvalidArgument for a malformed escape in a segment.
  Result<Match> Find(std::string_view method, std::string_view raw_path) const;

 private:
  struct Route {
    std::string method;
    std::vector<std::string> segments;
    Handler handler;
    int tag;
  };
  std::vector<Route> routes_;
};

}  // namespace portatlas::api

#endif  // PORTATLAS_API_ROUTER_H_
