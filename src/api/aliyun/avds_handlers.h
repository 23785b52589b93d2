// The AVDS attack-surface actions (Version 2017-11-29; api-reference.md §3, docs/aliyun-avds.md),
// answered from the scan tasks of the caller's project. A task is a one-off scan: its id is both
// the TaskId and the ScanId, its records in state "open" are the attack surface.
//
//   DescribeScanSessions           the project's tasks, newest first (CurrentPage, PageSize 1-100,
//                                  ScanId, Search, StatusList.N)
//   DescribePorts                  a task's open ports (TaskId, Asset, CurrentPage, PageSize 1-10)
//   DescribeHosts                  a task's addresses with open ports (same parameters)
//   DescribeAttackSurfacesFacets   a task's counts (TaskId)
//   ListUserPorts                  the project's current open ports over all tasks (Search,
//                                  CurrentPage, PageSize 1-100)
//
// A TaskId that the project does not have (another project's included) is 404
// InvalidTaskId.NotFound. Responses use the flat SDK shape (product.md decision 5). Thread-safe.
#ifndef PORTATLAS_API_ALIYUN_AVDS_HANDLERS_H_
#define PORTATLAS_API_ALIYUN_AVDS_HANDLERS_H_

#include <string_view>

#include "api/aliyun/rpc_params.h"
#include "api/http.h"
#include "store/store.h"

namespace portatlas::api::aliyun {

// One authenticated call, as an action handler sees it.
struct RpcCall {
  const RpcParams& params;
  const Principal& principal;
  std::string_view request_id;
  std::string_view action;  // names the XML root: <{action}Response>
  bool xml = false;         // Format=XML
};

class AvdsHandlers {
 public:
  static constexpr int64_t kTaskPageSizeMax = 10;   // DescribePorts, DescribeHosts (documented)
  static constexpr int64_t kListPageSizeMax = 100;  // DescribeScanSessions, ListUserPorts (chosen)
  static constexpr int64_t kDefaultPageSize = 10;
  static constexpr int64_t kMaxCurrentPage = 1000000;

  // Borrows `store`, which must outlive the handlers.
  explicit AvdsHandlers(store::Store& store) : store_(store) {}

  Result<Response> DescribeScanSessions(const RpcCall& call) const;
  Result<Response> DescribePorts(const RpcCall& call) const;
  Result<Response> DescribeHosts(const RpcCall& call) const;
  Result<Response> DescribeAttackSurfacesFacets(const RpcCall& call) const;
  Result<Response> ListUserPorts(const RpcCall& call) const;

 private:
  store::Store& store_;
};

}  // namespace portatlas::api::aliyun

#endif  // PORTATLAS_API_ALIYUN_AVDS_HANDLERS_H_
