// Runs external programs (ip, ss, portatlas) for the integration tests and captures their
// output. Not thread-safe with respect to other code that forks; the tests are single-threaded.
#ifndef PORTATLAS_TESTS_INTEGRATION_PROCESS_RUNNER_H_
#define PORTATLAS_TESTS_INTEGRATION_PROCESS_RUNNER_H_

#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace portatlas::itest {

// What a finished program left behind.
struct CommandOutput {
  int exit_code = -1;  // exit status, or 128 + signal number when killed by a signal
  std::string stdout_text;
  std::string stderr_text;
};

// Returns the absolute path of the program `name`, searching $PATH and then the usual system
// directories (ip lives in /usr/sbin, which a test runner's $PATH may lack). Returns "" when
// the program is not found.
std::string FindTool(const std::string& name);

// Runs argv[0] (an absolute path) with the arguments argv[1..], stdin from /dev/null, and
// captures both output streams. Kills the program and fails when it runs past `timeout_ms`.
// Success means the program ran to completion, whatever its exit code; `out` receives it.
::testing::AssertionResult RunCommand(const std::vector<std::string>& argv, int timeout_ms,
                                      CommandOutput* out);

// Like RunCommand, but also fails unless the program exited with status 0. The failure message
// names the command and quotes its stderr.
::testing::AssertionResult RunCommandOk(const std::vector<std::string>& argv, int timeout_ms,
                                        CommandOutput* out = nullptr);

// Joins argv with spaces, for messages.
std::string CommandLine(const std::vector<std::string>& argv);

}  // namespace portatlas::itest

#endif  // PORTATLAS_TESTS_INTEGRATION_PROCESS_RUNNER_H_
