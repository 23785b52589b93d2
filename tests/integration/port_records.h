// The records `portatlas ports --json` prints, and running the binary under test to get them.
#ifndef PORTATLAS_TESTS_INTEGRATION_PORT_RECORDS_H_
#define PORTATLAS_TESTS_INTEGRATION_PORT_RECORDS_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "gtest/gtest.h"

namespace portatlas::itest {

// One element of the JSON array: a listening TCP or bound UDP socket.
struct PortRecord {
  std::string type;   // "TCP", "TCP6", "UDP", "UDP6"
  std::string laddr;  // "0.0.0.0", "::1", "::ffff:127.0.0.1", ...
  int port = 0;
  int pid = 0;  // lowest pid holding the socket, 0 without a visible owner
  int sharers = 0;
  std::string path;
  bool exe_deleted = false;
  std::string comm;
  uint64_t netns = 0;
  std::string netns_name;
  std::string container_id;
  std::string container_runtime;
  std::string service;
  std::string status;  // "danger", "normal", "unknow"
};

// Parses the whole output of `portatlas ports --json`. Every field above must be present with
// the right JSON type; other fields (uid, inode) are allowed and ignored. On failure
// returns an error naming the element and field, and leaves `*out` empty.
::testing::AssertionResult ParsePortsJson(std::string_view json, std::vector<PortRecord>* out);

// Path of the portatlas binary under test.
std::string PortatlasBin();

// Runs `PORTATLAS_BIN ports --json --backend <backend> [extra_args...]` and parses its output.
// Fails when the binary does not exit 0 within the time limit or prints something
// ParsePortsJson rejects.
::testing::AssertionResult RunCollector(const std::string& backend, std::vector<PortRecord>* out,
                                        const std::vector<std::string>& extra_args = {});

// The records of `records` with this type, local address, port and network namespace.
std::vector<PortRecord> FindSocket(const std::vector<PortRecord>& records, std::string_view type,
                                   std::string_view laddr, int port, uint64_t netns);

// One line describing `record`, for failure messages.
std::string Describe(const PortRecord& record);

}  // namespace portatlas::itest

#endif  // PORTATLAS_TESTS_INTEGRATION_PORT_RECORDS_H_
