#include "process_runner.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <sstream>

extern char** environ;

namespace portatlas::itest {
namespace {

using Clock = std::chrono::steady_clock;

// Owns one file descriptor.
class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() { Reset(); }
  int get() const { return fd_; }
  void Reset(int fd = -1) {
    if (fd_ >= 0) close(fd_);
    fd_ = fd;
  }

 private:
  int fd_ = -1;
};

bool IsExecutableFile(const std::string& path) {
  struct stat st {};
  return stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && access(path.c_str(), X_OK) == 0;
}

int RemainingMs(Clock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
  return left.count() < 0 ? 0 : static_cast<int>(left.count());
}

// Appends what is readable on `fd` to `sink`; resets `fd` at end of file or on error.
void Drain(Fd& fd, std::string& sink) {
  char buf[65536];
  ssize_t n = read(fd.get(), buf, sizeof buf);
  if (n > 0) {
    sink.append(buf, static_cast<size_t>(n));
  } else if (n == 0 || (errno != EINTR && errno != EAGAIN)) {
    fd.Reset();
  }
}

int DecodeWaitStatus(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

// Starts argv with stdin from /dev/null and stdout, stderr into new pipes, whose read ends
// it returns.
::testing::AssertionResult Spawn(const std::vector<std::string>& argv, pid_t* pid, Fd* out_read,
                                 Fd* err_read) {
  int out_pipe[2];
  int err_pipe[2];
  if (pipe2(out_pipe, O_CLOEXEC) != 0) {
    return ::testing::AssertionFailure() << "pipe2: " << std::strerror(errno);
  }
  out_read->Reset(out_pipe[0]);
  Fd out_write(out_pipe[1]);
  if (pipe2(err_pipe, O_CLOEXEC) != 0) {
    return ::testing::AssertionFailure() << "pipe2: " << std::strerror(errno);
  }
  err_read->Reset(err_pipe[0]);
  Fd err_write(err_pipe[1]);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, out_write.get(), STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, err_write.get(), STDERR_FILENO);
  std::vector<char*> c_argv;
  for (const std::string& arg : argv) c_argv.push_back(const_cast<char*>(arg.c_str()));
  c_argv.push_back(nullptr);
  int spawn_error = posix_spawn(pid, argv[0].c_str(), &actions, nullptr, c_argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (spawn_error != 0) {
    return ::testing::AssertionFailure()
           << "cannot start " << CommandLine(argv) << ": " << std::strerror(spawn_error);
  }
  return ::testing::AssertionSuccess();
}

// Reads both pipes to end of file and waits for the process behind `pidfd` to exit. Returns
// false when `deadline` passes first.
bool Collect(const Fd& pidfd, Clock::time_point deadline, Fd& out_read, Fd& err_read,
             CommandOutput* out) {
  bool exited = false;
  while (out_read.get() >= 0 || err_read.get() >= 0 || !exited) {
    pollfd fds[3] = {{out_read.get(), POLLIN, 0},
                     {err_read.get(), POLLIN, 0},
                     {exited ? -1 : pidfd.get(), POLLIN, 0}};
    int ready = poll(fds, 3, RemainingMs(deadline));
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) return false;  // deadline, or poll failed
    if (fds[0].revents != 0) Drain(out_read, out->stdout_text);
    if (fds[1].revents != 0) Drain(err_read, out->stderr_text);
    if (fds[2].revents != 0) exited = true;
  }
  return true;
}

}  // namespace

std::string CommandLine(const std::vector<std::string>& argv) {
  std::string line;
  for (const std::string& arg : argv) {
    if (!line.empty()) line += ' ';
    line += arg;
  }
  return line;
}

std::string FindTool(const std::string& name) {
  std::string dirs;
  if (const char* path = std::getenv("PATH")) dirs = path;
  dirs += ":/usr/sbin:/sbin:/usr/bin:/bin";
  std::stringstream stream(dirs);
  std::string dir;
  while (std::getline(stream, dir, ':')) {
    if (dir.empty()) continue;
    std::string candidate = dir + "/" + name;
    if (IsExecutableFile(candidate)) return candidate;
  }
  return "";
}

::testing::AssertionResult RunCommand(const std::vector<std::string>& argv, int timeout_ms,
                                      CommandOutput* out) {
  *out = CommandOutput();
  if (argv.empty()) return ::testing::AssertionFailure() << "RunCommand: empty argv";
  Fd out_read;
  Fd err_read;
  pid_t pid = -1;
  ::testing::AssertionResult spawned = Spawn(argv, &pid, &out_read, &err_read);
  if (!spawned) return spawned;
  Fd pidfd(static_cast<int>(syscall(SYS_pidfd_open, pid, 0)));
  const Clock::time_point deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
  const bool finished = pidfd.get() >= 0 && Collect(pidfd, deadline, out_read, err_read, out);
  if (!finished) kill(pid, SIGKILL);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  out->exit_code = DecodeWaitStatus(status);
  if (!finished) {
    return ::testing::AssertionFailure() << CommandLine(argv) << " did not finish within "
                                         << timeout_ms << " ms; stderr: " << out->stderr_text;
  }
  return ::testing::AssertionSuccess();
}

::testing::AssertionResult RunCommandOk(const std::vector<std::string>& argv, int timeout_ms,
                                        CommandOutput* out) {
  CommandOutput local;
  CommandOutput* result = out != nullptr ? out : &local;
  ::testing::AssertionResult ran = RunCommand(argv, timeout_ms, result);
  if (!ran) return ran;
  if (result->exit_code != 0) {
    return ::testing::AssertionFailure()
           << CommandLine(argv) << " exited with " << result->exit_code
           << "; stderr: " << result->stderr_text;
  }
  return ::testing::AssertionSuccess();
}

}  // namespace portatlas::itest
