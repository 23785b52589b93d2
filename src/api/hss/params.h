// Strict readers of HSS query parameters. Every getter returns kInvalidArgument naming the
// parameter for a value that is malformed, out of range, or given twice; absent parameters
// yield the default (or nullopt). Nothing is clamped silently (product.md decision 4).
#ifndef PORTATLAS_API_HSS_PARAMS_H_
#define PORTATLAS_API_HSS_PARAMS_H_

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "api/http.h"
#include "core/types.h"
#include "store/records.h"

namespace portatlas::api::hss {

class Params {
 public:
  explicit Params(const Request& req) : req_(req) {}

  // The raw value, nullopt when absent; an error when the parameter is repeated.
  Result<std::optional<std::string>> Raw(std::string_view name) const;
  Result<std::optional<int64_t>> Int(std::string_view name, int64_t min, int64_t max) const;
  // A string of min_len..max_len bytes.
  Result<std::optional<std::string>> String(std::string_view name, size_t min_len,
                                            size_t max_len) const;
  Result<std::optional<SockType>> Type() const;             // TCP, TCP6, UDP, UDP6
  Result<std::optional<RiskStatus>> Status() const;         // danger, normal, unknow(n)
  Result<std::optional<store::Category>> Category() const;  // host, container
  // limit 10-200 (default 10) and offset 0-2000000 (default 0).
  Result<store::PageRequest> Page() const;

 private:
  const Request& req_;
};

// The enterprise projects a request may read: "0" by default, every granted one for
// "all_granted_eps", else the one named, which must be granted (kPermissionDenied otherwise).
Result<std::vector<std::string>> ResolveEps(const Request& req, const Params& params);

}  // namespace portatlas::api::hss

#endif  // PORTATLAS_API_HSS_PARAMS_H_
