#include "listener_helpers.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include <cerrno>
#include <chrono>
#include <cstring>

namespace portatlas::itest {
namespace {

using Clock = std::chrono::steady_clock;
constexpr int kChildTimeoutMs = 10000;

int RemainingMs(Clock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
  return left.count() < 0 ? 0 : static_cast<int>(left.count());
}

std::string Errno(int err) { return std::strerror(err); }

// Steps of the listener child, reported back when one fails.
enum ChildStep : int32_t {
  kStepOk = 0,
  kStepJoinCgroup,
  kStepSetns,
  kStepSocket,
  kStepV6Only,
  kStepBind,
  kStepListen,
  kStepGetsockname,
  kStepFork,
};

const char* StepName(int32_t step) {
  switch (step) {
    case kStepJoinCgroup:
      return "join cgroup";
    case kStepSetns:
      return "setns";
    case kStepSocket:
      return "socket";
    case kStepV6Only:
      return "setsockopt(IPV6_V6ONLY)";
    case kStepBind:
      return "bind";
    case kStepListen:
      return "listen";
    case kStepGetsockname:
      return "getsockname";
    case kStepFork:
      return "fork sharer";
    default:
      return "unknown step";
  }
}

// The one message a listener child writes to its parent (smaller than PIPE_BUF, so atomic).
struct ChildReport {
  int32_t failed_step = kStepOk;
  int32_t error = 0;
  int32_t port = 0;
  int32_t sharer_pid = 0;
};

// Everything the child needs, prepared before fork so the child allocates nothing.
struct ChildPlan {
  sockaddr_storage addr{};
  socklen_t addr_len = 0;
  int family = AF_INET;
  int sock_type = SOCK_STREAM;
  int v6only = 0;
  bool shared = false;
  int netns_fd = -1;
  int cgroup_fd = -1;
  int report_fd = -1;
  int release_fd = -1;
};

// Closes every descriptor above stderr except those in `keep` (async-signal-safe).
void CloseAllExcept(int* keep, int count) {
  for (int i = 1; i < count; ++i) {  // insertion sort: no allocation, no library calls
    for (int j = i; j > 0 && keep[j - 1] > keep[j]; --j) {
      int t = keep[j];
      keep[j] = keep[j - 1];
      keep[j - 1] = t;
    }
  }
  unsigned int low = 3;
  for (int i = 0; i < count; ++i) {
    if (keep[i] < 0 || static_cast<unsigned int>(keep[i]) < low) continue;
    unsigned int fd = static_cast<unsigned int>(keep[i]);
    if (fd > low) syscall(SYS_close_range, low, fd - 1, 0);
    low = fd + 1;
  }
  syscall(SYS_close_range, low, ~0U, 0);
}

// Writes `value` in decimal to `fd` (async-signal-safe). Returns write()'s result.
ssize_t WriteDecimal(int fd, long value) {
  char digits[24];
  int n = sizeof digits;
  do {
    digits[--n] = static_cast<char>('0' + value % 10);
    value /= 10;
  } while (value > 0 && n > 0);
  return write(fd, digits + n, sizeof digits - static_cast<size_t>(n));
}

void WaitForRelease(int release_fd) {
  char byte;
  while (true) {
    ssize_t n = read(release_fd, &byte, 1);
    if (n == 0 || (n < 0 && errno != EINTR)) return;
  }
}

[[noreturn]] void FailChild(const ChildPlan& plan, int32_t step) {
  ChildReport report;
  report.failed_step = step;
  report.error = errno;
  (void)!write(plan.report_fd, &report, sizeof report);
  _exit(1);
}

// Body of the forked child: only async-signal-safe calls from here on.
[[noreturn]] void RunListenerChild(const ChildPlan& plan) {
  int keep[] = {plan.netns_fd, plan.cgroup_fd, plan.report_fd, plan.release_fd};
  CloseAllExcept(keep, 4);
  if (plan.cgroup_fd >= 0 && WriteDecimal(plan.cgroup_fd, static_cast<long>(getpid())) < 0) {
    FailChild(plan, kStepJoinCgroup);
  }
  if (plan.netns_fd >= 0 && setns(plan.netns_fd, CLONE_NEWNET) != 0) {
    FailChild(plan, kStepSetns);
  }
  int sock = socket(plan.family, plan.sock_type, 0);
  if (sock < 0) FailChild(plan, kStepSocket);
  if (plan.family == AF_INET6 &&
      setsockopt(sock, IPPROTO_IPV6, IPV6_V6ONLY, &plan.v6only, sizeof plan.v6only) != 0) {
    FailChild(plan, kStepV6Only);
  }
  if (bind(sock, reinterpret_cast<const sockaddr*>(&plan.addr), plan.addr_len) != 0) {
    FailChild(plan, kStepBind);
  }
  if (plan.sock_type == SOCK_STREAM && listen(sock, 16) != 0) FailChild(plan, kStepListen);
  sockaddr_storage bound{};
  socklen_t bound_len = sizeof bound;
  if (getsockname(sock, reinterpret_cast<sockaddr*>(&bound), &bound_len) != 0) {
    FailChild(plan, kStepGetsockname);
  }
  ChildReport report;
  report.port = plan.family == AF_INET6
                    ? ntohs(reinterpret_cast<const sockaddr_in6*>(&bound)->sin6_port)
                    : ntohs(reinterpret_cast<const sockaddr_in*>(&bound)->sin_port);
  pid_t sharer = 0;
  if (plan.shared) {
    sharer = fork();
    if (sharer < 0) FailChild(plan, kStepFork);
    if (sharer == 0) {
      close(plan.report_fd);
      WaitForRelease(plan.release_fd);
      _exit(0);
    }
    report.sharer_pid = sharer;
  }
  (void)!write(plan.report_fd, &report, sizeof report);
  close(plan.report_fd);
  WaitForRelease(plan.release_fd);
  if (sharer > 0) {
    while (waitpid(sharer, nullptr, 0) < 0 && errno == EINTR) {
    }
  }
  _exit(0);
}

// Reads exactly one report from `fd` before `deadline`. Returns false on EOF or timeout.
bool ReadReport(int fd, Clock::time_point deadline, ChildReport* report) {
  char* dest = reinterpret_cast<char*>(report);
  size_t got = 0;
  while (got < sizeof *report) {
    pollfd pfd{fd, POLLIN, 0};
    int ready = poll(&pfd, 1, RemainingMs(deadline));
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) return false;
    ssize_t n = read(fd, dest + got, sizeof *report - got);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    got += static_cast<size_t>(n);
  }
  return true;
}

// Waits up to `timeout_ms` for `pid` to exit and reaps it; kills it when it does not.
// Returns the wait status, or -1 when it had to be killed.
int ReapWithin(pid_t pid, int timeout_ms) {
  int pidfd = static_cast<int>(syscall(SYS_pidfd_open, pid, 0));
  bool exited = false;
  if (pidfd >= 0) {
    pollfd pfd{pidfd, POLLIN, 0};
    const Clock::time_point deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
    while (true) {
      int ready = poll(&pfd, 1, RemainingMs(deadline));
      if (ready < 0 && errno == EINTR) continue;
      exited = ready > 0;
      break;
    }
    close(pidfd);
  }
  if (!exited) kill(pid, SIGKILL);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return exited ? status : -1;
}

// Fills the address, family and socket type of `plan` from `spec`.
::testing::AssertionResult PlanSocket(const ListenerSpec& spec, ChildPlan* plan) {
  auto* v4 = reinterpret_cast<sockaddr_in*>(&plan->addr);
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&plan->addr);
  if (inet_pton(AF_INET, spec.address.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    plan->family = AF_INET;
    plan->addr_len = sizeof *v4;
  } else if (inet_pton(AF_INET6, spec.address.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    plan->family = AF_INET6;
    plan->addr_len = sizeof *v6;
  } else {
    return ::testing::AssertionFailure() << "not a numeric address: " << spec.address;
  }
  plan->sock_type = spec.transport == Transport::kTcp ? SOCK_STREAM : SOCK_DGRAM;
  plan->v6only = spec.v6only ? 1 : 0;
  plan->shared = spec.shared;
  return ::testing::AssertionSuccess();
}

// The descriptors set up for one child. All are close-on-exec, so programs the test runs
// later (ip, ss, portatlas) never hold them; the destructor closes those not taken.
struct ChildFds {
  int netns = -1;
  int cgroup = -1;
  int report_read = -1;
  int report_write = -1;
  int release_read = -1;
  int release_write = -1;

  ChildFds() = default;
  ChildFds(const ChildFds&) = delete;
  ChildFds& operator=(const ChildFds&) = delete;
  ~ChildFds() { CloseAll(); }
  void CloseAll() {
    for (int* fd : {&netns, &cgroup, &report_read, &report_write, &release_read, &release_write}) {
      if (*fd >= 0) close(*fd);
      *fd = -1;
    }
  }
  // Returns `fd` and forgets it, so the destructor leaves it open.
  static int Take(int& fd) {
    int taken = fd;
    fd = -1;
    return taken;
  }
};

::testing::AssertionResult OpenChildFds(const ListenerSpec& spec, ChildFds* fds) {
  if (!spec.netns_path.empty()) {
    fds->netns = open(spec.netns_path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fds->netns < 0) {
      return ::testing::AssertionFailure() << "open " << spec.netns_path << ": " << Errno(errno);
    }
  }
  if (!spec.cgroup_procs.empty()) {
    fds->cgroup = open(spec.cgroup_procs.c_str(), O_WRONLY | O_CLOEXEC);
    if (fds->cgroup < 0) {
      return ::testing::AssertionFailure() << "open " << spec.cgroup_procs << ": " << Errno(errno);
    }
  }
  int report[2];
  int release[2];
  if (pipe2(report, O_CLOEXEC) != 0) {
    return ::testing::AssertionFailure() << "pipe2: " << Errno(errno);
  }
  fds->report_read = report[0];
  fds->report_write = report[1];
  if (pipe2(release, O_CLOEXEC) != 0) {
    return ::testing::AssertionFailure() << "pipe2: " << Errno(errno);
  }
  fds->release_read = release[0];
  fds->release_write = release[1];
  return ::testing::AssertionSuccess();
}

}  // namespace

// ---- Listener ----------------------------------------------------------------------------

::testing::AssertionResult Listener::Start(const ListenerSpec& spec,
                                           std::unique_ptr<Listener>* out) {
  out->reset();
  ChildPlan plan;
  ::testing::AssertionResult ready = PlanSocket(spec, &plan);
  ChildFds fds;
  if (ready) ready = OpenChildFds(spec, &fds);
  if (!ready) return ready;
  plan.netns_fd = fds.netns;
  plan.cgroup_fd = fds.cgroup;
  plan.report_fd = fds.report_write;
  plan.release_fd = fds.release_read;
  pid_t pid = fork();
  if (pid < 0) return ::testing::AssertionFailure() << "fork: " << Errno(errno);
  if (pid == 0) RunListenerChild(plan);

  std::unique_ptr<Listener> listener(new Listener());  // from here on, the destructor cleans up
  listener->spec_ = spec;
  listener->pid_ = pid;
  listener->release_fd_ = ChildFds::Take(fds.release_write);
  // Close the child's ends here first, so that a child that dies reads as end of file.
  const int report_fd = ChildFds::Take(fds.report_read);
  fds.CloseAll();
  ChildReport report;
  const Clock::time_point deadline = Clock::now() + std::chrono::milliseconds(kChildTimeoutMs);
  bool got_report = ReadReport(report_fd, deadline, &report);
  close(report_fd);
  if (!got_report) {
    return ::testing::AssertionFailure()
           << "listener child " << pid << " for " << spec.address << " sent no report";
  }
  if (report.failed_step != kStepOk) {
    return ::testing::AssertionFailure()
           << "listener child for " << listener->type() << " " << spec.address << " failed at "
           << StepName(report.failed_step) << ": " << Errno(report.error);
  }
  listener->port_ = static_cast<uint16_t>(report.port);
  listener->sharer_pid_ = report.sharer_pid;
  *out = std::move(listener);
  return ::testing::AssertionSuccess();
}

::testing::AssertionResult Listener::Stop() {
  if (pid_ <= 0) return ::testing::AssertionSuccess();
  if (release_fd_ >= 0) close(release_fd_);
  release_fd_ = -1;
  int status = ReapWithin(pid_, kChildTimeoutMs);
  pid_t pid = pid_;
  pid_ = -1;
  if (status == -1) {
    return ::testing::AssertionFailure() << "listener child " << pid << " did not exit in time";
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    return ::testing::AssertionFailure()
           << "listener child " << pid << " ended with wait status " << status;
  }
  return ::testing::AssertionSuccess();
}

Listener::~Listener() { (void)Stop(); }

pid_t Listener::lowest_pid() const {
  return sharer_pid_ != 0 && sharer_pid_ < pid_ ? sharer_pid_ : pid_;
}

std::string Listener::type() const {
  std::string type = spec_.transport == Transport::kTcp ? "TCP" : "UDP";
  if (spec_.address.find(':') != std::string::npos) type += "6";
  return type;
}

}  // namespace portatlas::itest
