// listener_farm: holds a known population of listening TCP sockets, spread over processes and
// network namespaces, so that socket collectors (portatlas, ss, netstat) can be timed on it.
//
//   listener_farm --sockets N --procs P [--netns NAME[,NAME...]] [--base-port B]
//                 [--ready-file F] [--no-stdin]
//
// Child i (0 <= i < P) enters namespace i % K of the K names given (setns(2) on
// /run/netns/NAME) and opens its share of the N sockets (N / P, the first N % P children one
// more). Within one namespace the sockets are numbered 0, 1, 2, ...; even slots listen on
// 0.0.0.0, odd slots on [::] with IPV6_V6ONLY, so half are IPv4 and half IPv6. With
// --base-port 0 (the default) the kernel picks every port; otherwise slot s gets port
// B + s / 2, which never collides because the two families share each number.
//
// Synchronisation uses pipes only. Each child writes 'R' on its own status pipe once all its
// sockets listen, then blocks reading a shared "hold" pipe whose only writer is the parent.
// When every child has reported, the parent writes "ready\n" to the ready file (or to stdout)
// and waits for SIGINT/SIGTERM/SIGHUP or EOF on stdin. It then closes the hold pipe, which
// makes every child exit, and reaps them. Children ignore SIGINT and SIGHUP, which a terminal
// sends to the whole process group. If the parent dies by any means, the kernel closes the
// hold pipe too, so no child outlives it. Exit status: 0 after a clean run, 1 when a child
// failed or died, 2 on bad usage.
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

namespace portatlas::bench {
namespace {

constexpr int kListenBacklog = 16;
constexpr int kSpareFds = 16;  // stdio, pipes and the like, on top of the sockets

struct Options {
  int sockets = 0;
  int procs = 0;
  std::vector<std::string> netns;  // empty: every child stays in the current namespace
  int base_port = 0;               // 0: the kernel picks each port
  std::string ready_file;          // empty: announce readiness on stdout
  bool watch_stdin = true;
};

// One child's part of the farm.
struct Share {
  int netns_index = -1;  // index into Options::netns; -1 for the current namespace
  int sockets = 0;
  int first_slot = 0;  // number of its first socket within its namespace
};

struct Child {
  pid_t pid = -1;
  int status_fd = -1;  // read end of its status pipe; -1 once it has reported
};

void Usage() {
  std::fprintf(stderr,
               "usage: listener_farm --sockets N --procs P [--netns NAME[,NAME...]]\n"
               "                     [--base-port B] [--ready-file F] [--no-stdin]\n");
}

bool ParseInt(std::string_view text, int min, int max, int* out) {
  int value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value < min || value > max) {
    return false;
  }
  *out = value;
  return true;
}

std::vector<std::string> SplitCommas(std::string_view text) {
  std::vector<std::string> parts;
  while (!text.empty()) {
    const size_t comma = text.find(',');
    const std::string_view part = text.substr(0, comma);
    if (!part.empty()) parts.emplace_back(part);
    if (comma == std::string_view::npos) break;
    text.remove_prefix(comma + 1);
  }
  return parts;
}

// Parses the value of numeric option `name` into `out`; false (after saying why) when bad.
bool ParseOptionInt(const char* name, const char* text, int min, int max, int* out) {
  if (ParseInt(text, min, max, out)) return true;
  std::fprintf(stderr, "listener_farm: %s wants an integer in [%d, %d], not '%s'\n", name, min, max,
               text);
  return false;
}

// Fills `opts` from argv; false (after printing why) on bad usage.
bool ParseArgs(int argc, char** argv, Options* opts) {
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    const bool has_value = i + 1 < argc;
    if (arg == "--no-stdin") {
      opts->watch_stdin = false;
    } else if (arg == "--sockets" && has_value) {
      if (!ParseOptionInt(argv[i], argv[i + 1], 1, 10'000'000, &opts->sockets)) return false;
      ++i;
    } else if (arg == "--procs" && has_value) {
      if (!ParseOptionInt(argv[i], argv[i + 1], 1, 100'000, &opts->procs)) return false;
      ++i;
    } else if (arg == "--base-port" && has_value) {
      if (!ParseOptionInt(argv[i], argv[i + 1], 0, 65535, &opts->base_port)) return false;
      ++i;
    } else if (arg == "--netns" && has_value) {
      opts->netns = SplitCommas(argv[++i]);
    } else if (arg == "--ready-file" && has_value) {
      opts->ready_file = argv[++i];
    } else {
      std::fprintf(stderr, "listener_farm: bad argument '%s'\n", argv[i]);
      return false;
    }
  }
  if (opts->sockets == 0 || opts->procs == 0) {
    std::fprintf(stderr, "listener_farm: --sockets and --procs are required\n");
    return false;
  }
  return true;
}

// Round-robin plan; also checks that sequential ports fit below 65536.
bool PlanShares(const Options& opts, std::vector<Share>* shares) {
  const int namespaces = opts.netns.empty() ? 1 : static_cast<int>(opts.netns.size());
  std::vector<int> slots_used(static_cast<size_t>(namespaces), 0);
  for (int i = 0; i < opts.procs; ++i) {
    Share share;
    const int ns = i % namespaces;
    share.netns_index = opts.netns.empty() ? -1 : ns;
    share.sockets = opts.sockets / opts.procs + (i < opts.sockets % opts.procs ? 1 : 0);
    share.first_slot = slots_used[static_cast<size_t>(ns)];
    slots_used[static_cast<size_t>(ns)] += share.sockets;
    shares->push_back(share);
  }
  for (int used : slots_used) {
    if (opts.base_port != 0 && opts.base_port + (used - 1) / 2 > 65535) {
      std::fprintf(stderr, "listener_farm: %d sockets from port %d pass 65535\n", used,
                   opts.base_port);
      return false;
    }
  }
  return true;
}

[[noreturn]] void ChildDie(const char* what, int err) {
  std::fprintf(stderr, "listener_farm[%d]: %s: %s\n", static_cast<int>(getpid()), what,
               std::strerror(err));
  _exit(1);
}

// Makes room for `needed` descriptors, raising the hard limit too when allowed.
void RaiseFdLimit(int needed) {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0) ChildDie("getrlimit", errno);
  const auto want = static_cast<rlim_t>(needed);
  if (limit.rlim_cur >= want) return;
  limit.rlim_cur = want;
  if (limit.rlim_max < want) limit.rlim_max = want;
  if (setrlimit(RLIMIT_NOFILE, &limit) != 0) ChildDie("setrlimit(RLIMIT_NOFILE)", errno);
}

// A socket listening on the wildcard address of `family`; exits the child on failure.
int OpenListener(int family, int port) {
  const int fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) ChildDie("socket", errno);
  sockaddr_storage addr{};
  socklen_t addr_len = 0;
  if (family == AF_INET) {
    auto* in4 = reinterpret_cast<sockaddr_in*>(&addr);
    in4->sin_family = AF_INET;
    in4->sin_addr.s_addr = htonl(INADDR_ANY);
    in4->sin_port = htons(static_cast<uint16_t>(port));
    addr_len = sizeof(*in4);
  } else {
    const int on = 1;
    if (setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof(on)) != 0) {
      ChildDie("setsockopt(IPV6_V6ONLY)", errno);
    }
    auto* in6 = reinterpret_cast<sockaddr_in6*>(&addr);
    in6->sin6_family = AF_INET6;
    in6->sin6_addr = in6addr_any;
    in6->sin6_port = htons(static_cast<uint16_t>(port));
    addr_len = sizeof(*in6);
  }
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), addr_len) != 0) ChildDie("bind", errno);
  if (listen(fd, kListenBacklog) != 0) ChildDie("listen", errno);
  return fd;
}

// The child's whole life. `inherited` lists the parent's descriptors it must close so that
// the hold pipe sees EOF as soon as the parent lets go of it.
[[noreturn]] void RunChild(const Options& opts, const Share& share, int netns_fd, int status_fd,
                           int hold_fd, const std::vector<int>& inherited) {
  // A terminal's Ctrl-C or hangup reaches the whole process group; only the parent acts on it,
  // then lets the children go through the hold pipe.
  signal(SIGINT, SIG_IGN);
  signal(SIGHUP, SIG_IGN);
  signal(SIGPIPE, SIG_DFL);
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);
  for (int fd : inherited) close(fd);
  if (netns_fd >= 0 && setns(netns_fd, CLONE_NEWNET) != 0) ChildDie("setns", errno);
  RaiseFdLimit(share.sockets + kSpareFds);
  for (int i = 0; i < share.sockets; ++i) {
    const int slot = share.first_slot + i;
    const int port = opts.base_port == 0 ? 0 : opts.base_port + slot / 2;
    OpenListener(slot % 2 == 0 ? AF_INET : AF_INET6, port);  // held until _exit
  }
  if (write(status_fd, "R", 1) != 1) ChildDie("write(status)", errno);
  close(status_fd);
  char byte = 0;
  ssize_t n = 0;
  do {
    n = read(hold_fd, &byte, 1);
  } while (n > 0 || (n < 0 && errno == EINTR));
  _exit(0);
}

// Waits for 'R' from every child. False when one fails first or a stop signal arrives.
bool WaitReady(std::vector<Child>& children, int signal_fd) {
  size_t pending = children.size();
  std::vector<pollfd> polls;
  while (pending > 0) {
    polls.clear();
    polls.push_back({signal_fd, POLLIN, 0});
    for (const Child& c : children) polls.push_back({c.status_fd, POLLIN, 0});
    if (poll(polls.data(), polls.size(), -1) < 0) {
      if (errno == EINTR) continue;
      std::perror("listener_farm: poll");
      return false;
    }
    if (polls[0].revents != 0) {
      signalfd_siginfo info{};
      if (read(signal_fd, &info, sizeof(info)) == sizeof(info) && info.ssi_signo != SIGCHLD) {
        std::fprintf(stderr, "listener_farm: signal %u during setup\n", info.ssi_signo);
        return false;
      }
    }
    for (size_t i = 0; i < children.size(); ++i) {
      if (polls[i + 1].revents == 0) continue;
      Child& c = children[i];
      char byte = 0;
      if (read(c.status_fd, &byte, 1) != 1 || byte != 'R') {
        std::fprintf(stderr, "listener_farm: child %d failed during setup\n",
                     static_cast<int>(c.pid));
        return false;
      }
      close(c.status_fd);
      c.status_fd = -1;  // poll() skips negative descriptors
      --pending;
    }
  }
  return true;
}

bool WriteAll(int fd, std::string_view text) {
  while (!text.empty()) {
    const ssize_t n = write(fd, text.data(), text.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    text.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

// Writes "ready\n" to stdout, to a FIFO, or atomically (temp file + rename) to a plain file.
bool AnnounceReady(const std::string& ready_file) {
  constexpr std::string_view kReady = "ready\n";
  if (ready_file.empty()) return WriteAll(STDOUT_FILENO, kReady);
  struct stat st {};
  if (stat(ready_file.c_str(), &st) == 0 && S_ISFIFO(st.st_mode)) {
    const int fd = open(ready_file.c_str(), O_WRONLY | O_CLOEXEC);
    const bool ok = fd >= 0 && WriteAll(fd, kReady);
    if (fd >= 0) close(fd);
    return ok;
  }
  const std::string temp = ready_file + ".tmp." + std::to_string(getpid());
  const int fd = open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return false;
  const bool ok = WriteAll(fd, kReady) && close(fd) == 0;
  return ok && rename(temp.c_str(), ready_file.c_str()) == 0;
}

// Blocks until a stop signal, EOF on stdin, or the death of a child. True for a requested
// stop, false when a child died on its own.
bool WaitForStop(int signal_fd, bool watch_stdin) {
  pollfd polls[2] = {{signal_fd, POLLIN, 0}, {watch_stdin ? STDIN_FILENO : -1, POLLIN, 0}};
  while (true) {
    if (poll(polls, 2, -1) < 0) {
      if (errno == EINTR) continue;
      std::perror("listener_farm: poll");
      return true;
    }
    if (polls[0].revents != 0) {
      signalfd_siginfo info{};
      if (read(signal_fd, &info, sizeof(info)) != sizeof(info)) continue;
      if (info.ssi_signo != SIGCHLD) return true;
      std::fprintf(stderr, "listener_farm: child %u exited while holding its sockets\n",
                   info.ssi_pid);
      return false;
    }
    if (polls[1].revents != 0) {
      char buf[256];
      const ssize_t n = read(STDIN_FILENO, buf, sizeof(buf));
      if (n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN)) return true;
    }
  }
}

// Lets every child go and reaps it. False when any child did not exit with status 0.
bool ReleaseChildren(std::vector<Child>& children, int hold_write_fd, bool kill_them) {
  close(hold_write_fd);
  for (const Child& c : children) {
    if (c.status_fd >= 0) close(c.status_fd);
    if (kill_them) kill(c.pid, SIGTERM);
  }
  bool clean = true;
  for (const Child& c : children) {
    int status = 0;
    while (waitpid(c.pid, &status, 0) < 0 && errno == EINTR) {
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) clean = false;
  }
  return clean;
}

void PrintPlan(const Options& opts, const std::vector<Share>& shares) {
  const size_t namespaces = opts.netns.empty() ? 1 : opts.netns.size();
  std::vector<int> procs(namespaces, 0);
  std::vector<int> sockets(namespaces, 0);
  for (const Share& s : shares) {
    const auto ns = static_cast<size_t>(s.netns_index < 0 ? 0 : s.netns_index);
    ++procs[ns];
    sockets[ns] += s.sockets;
  }
  std::fprintf(stderr, "listener_farm: %d sockets in %d processes:", opts.sockets, opts.procs);
  for (size_t ns = 0; ns < namespaces; ++ns) {
    std::fprintf(stderr, " %s=%d(%d procs)",
                 opts.netns.empty() ? "current" : opts.netns[ns].c_str(), sockets[ns], procs[ns]);
  }
  std::fprintf(stderr, "\n");
}

// Opens /run/netns/NAME for every name, in order. False (after saying why) on failure.
bool OpenNetns(const std::vector<std::string>& names, std::vector<int>* fds) {
  for (const std::string& name : names) {
    const std::string path = "/run/netns/" + name;
    const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      std::fprintf(stderr, "listener_farm: open %s: %s\n", path.c_str(), std::strerror(errno));
      return false;
    }
    fds->push_back(fd);
  }
  return true;
}

// Forks one child per share. False when a pipe or fork failed; `children` then holds those
// already started.
bool ForkChildren(const Options& opts, const std::vector<Share>& shares,
                  const std::vector<int>& netns_fds, const int hold[2],
                  std::vector<Child>* children) {
  std::vector<int> inherited = netns_fds;  // what each new child must close
  inherited.push_back(hold[1]);
  for (const Share& share : shares) {
    int status[2];
    if (pipe2(status, O_CLOEXEC) != 0) {
      std::perror("listener_farm: pipe2");
      return false;
    }
    const pid_t pid = fork();
    if (pid == 0) {
      const int netns_fd =
          share.netns_index < 0 ? -1 : netns_fds[static_cast<size_t>(share.netns_index)];
      inherited.push_back(status[0]);
      std::erase(inherited, netns_fd);
      RunChild(opts, share, netns_fd, status[1], hold[0], inherited);
    }
    close(status[1]);
    if (pid < 0) {
      std::perror("listener_farm: fork");
      close(status[0]);
      return false;
    }
    children->push_back({pid, status[0]});
    inherited.push_back(status[0]);
  }
  return true;
}

int RunFarm(const Options& opts) {
  std::vector<Share> shares;
  std::vector<int> netns_fds;
  if (!PlanShares(opts, &shares) || !OpenNetns(opts.netns, &netns_fds)) return 2;
  int hold[2];
  if (pipe2(hold, O_CLOEXEC) != 0) {
    std::perror("listener_farm: pipe2");
    return 1;
  }
  PrintPlan(opts, shares);

  // Blocked before the first fork so that no stop request or child death goes unseen.
  sigset_t watched;
  sigemptyset(&watched);
  for (int sig : {SIGINT, SIGTERM, SIGHUP, SIGCHLD}) sigaddset(&watched, sig);
  sigprocmask(SIG_BLOCK, &watched, nullptr);
  signal(SIGPIPE, SIG_IGN);
  std::fflush(nullptr);
  std::vector<Child> children;
  const bool forked_all = ForkChildren(opts, shares, netns_fds, hold, &children);
  for (int fd : netns_fds) close(fd);
  close(hold[0]);

  const int signal_fd = signalfd(-1, &watched, SFD_CLOEXEC);
  if (signal_fd < 0) std::perror("listener_farm: signalfd");
  bool ok = forked_all && signal_fd >= 0 && WaitReady(children, signal_fd);
  if (ok && !AnnounceReady(opts.ready_file)) {
    std::fprintf(stderr, "listener_farm: cannot announce readiness\n");
    ok = false;
  }
  if (ok) ok = WaitForStop(signal_fd, opts.watch_stdin);
  const bool clean = ReleaseChildren(children, hold[1], /*kill_them=*/!ok);
  if (ok && !clean) std::fprintf(stderr, "listener_farm: a child did not exit cleanly\n");
  return ok && clean ? 0 : 1;
}

}  // namespace
}  // namespace portatlas::bench

int main(int argc, char** argv) {
  portatlas::bench::Options opts;
  if (!portatlas::bench::ParseArgs(argc, argv, &opts)) {
    portatlas::bench::Usage();
    return 2;
  }
  return portatlas::bench::RunFarm(opts);
}
