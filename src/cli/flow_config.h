// `portatlas flow --config FILE`: the collector's options from TOML; a flag given on the
// command line wins over its key. Keys (each optional):
//   listen = ["udp://0.0.0.0:2055", ...]   server = "http://..."   state_dir = "..."
//   output = "..."   internet = ["198.19.0.0/16", ...]   internal = ["10.0.0.0/8", ...]
//   services = "/etc/services"   rcvbuf = 33554432   flush_interval = 10   drain_timeout = 10
// The token stays out of files that are easy to leave readable: --token or PORTATLAS_TOKEN.
#ifndef PORTATLAS_CLI_FLOW_CONFIG_H_
#define PORTATLAS_CLI_FLOW_CONFIG_H_

#include <set>
#include <string>
#include <string_view>

#include "core/status.h"
#include "flow/collector.h"

namespace portatlas::cli {

// Applies the TOML `text` (from `path`, named in errors) to *o, leaving the options whose flags
// are in `given` ("listen", "flush-interval", ...). kInvalidArgument for TOML that does not parse,
// an unknown key, a value of the wrong type or out of range.
Status ApplyFlowConfig(std::string_view text, const std::string& path,
                       const std::set<std::string>& given, flow::CollectorOptions* o);

}  // namespace portatlas::cli

#endif  // PORTATLAS_CLI_FLOW_CONFIG_H_
