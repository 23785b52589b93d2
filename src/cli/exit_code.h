// The exit status of the subcommand that ran: its callback sets it, main() returns it (CLI11's
// way is to throw CLI::RuntimeError from the callback; our code does not throw).
#ifndef PORTATLAS_CLI_EXIT_CODE_H_
#define PORTATLAS_CLI_EXIT_CODE_H_

namespace portatlas::cli {

inline int& ExitCode() {
  static int code = 0;
  return code;
}

}  // namespace portatlas::cli

#endif  // PORTATLAS_CLI_EXIT_CODE_H_
