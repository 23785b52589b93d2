// Reading `ss -tulpnH` output as the set of (type, laddr, port, pid) the collector must match.
#ifndef PORTATLAS_TESTS_INTEGRATION_SS_RECORDS_H_
#define PORTATLAS_TESTS_INTEGRATION_SS_RECORDS_H_

#include <compare>
#include <set>
#include <string>
#include <string_view>

#include "gtest/gtest.h"
#include "port_records.h"

namespace portatlas::itest {

// The identity of a socket as both ss and portatlas show it.
struct SocketKey {
  std::string type;   // "TCP", "TCP6", "UDP", "UDP6"
  std::string laddr;  // without brackets or %iface; "*" becomes the family's any address
  int port = 0;
  int pid = 0;  // lowest pid among the holders, 0 when there is none
  auto operator<=>(const SocketKey&) const = default;
};

// "TCP6 [::1]:8080 pid=12", for messages.
std::string Describe(const SocketKey& key);

// Parses the output of `ss -tulpnH -4` (ipv6 false) or `ss -tulpnH -6` (ipv6 true) into
// `*out`. Lines look like
//   tcp LISTEN 0 4096 [::ffff:127.0.0.1]:8080 *:* users:(("a b",pid=12,fd=3),("c",pid=9,fd=4))
// On a line it cannot read, returns an error quoting the line.
::testing::AssertionResult ParseSsOutput(std::string_view text, bool ipv6,
                                         std::set<SocketKey>* out);

// Runs ss for both families in the caller's network namespace and parses the result.
::testing::AssertionResult RunSs(std::set<SocketKey>* out);

// The keys of the collector's records that live in network namespace `netns`.
std::set<SocketKey> KeysInNetns(const std::vector<PortRecord>& records, uint64_t netns);

}  // namespace portatlas::itest

#endif  // PORTATLAS_TESTS_INTEGRATION_SS_RECORDS_H_
