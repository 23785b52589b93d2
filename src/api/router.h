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

class Router {
 public:
  void Add(std::string method, std::string pattern, Handler handler);

  struct Match {
    const Handler* handler = nullptr;
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
  };
  std::vector<Route> routes_;
};

}  // namespace portatlas::api

#endif  // PORTATLAS_API_ROUTER_H_
