// exec_watch: records the path of every file executed on the root file system while it runs,
// for scripts/depcheck (which programs do the tests start?). It uses fanotify's FAN_OPEN_EXEC
// events, which the kernel sends without stopping the process that executes: unlike ptrace
// (strace), the tests run exactly as they would untraced. Alone it sees every process of the
// machine; given ANCESTOR_PID it keeps only programs that a descendant of that process executes
// (scripts/test passes its own pid), so that a shell or editor used meanwhile on the same
// machine is not counted. It then takes FAN_OPEN_EXEC_PERM events, which hold each exec until
// the watcher has read the process's parent chain (always allowing it), because a short-lived
// process would otherwise be gone before it could be asked. A program started by a daemon that
// has left the tests' process tree (reparented to init) is not seen; the daemon itself is.
//
//   exec_watch OUTPUT_FILE [ANCESTOR_PID]
//
// Writes each distinct path once, one a line, as it is first seen; prints "ready" on stdout
// once the mark is in place; stops on SIGTERM or SIGINT. Exit status 0, or 1 when fanotify is not
// available (it needs CAP_SYS_ADMIN and Linux 5.1).
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/fanotify.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>
#include <unordered_set>

namespace {

volatile sig_atomic_t g_stop = 0;

void OnSignal(int) { g_stop = 1; }

// The path an event's descriptor names, or "" when it cannot be read.
std::string PathOf(int fd) {
  char link[64];
  std::snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
  char buf[4096];
  const ssize_t n = readlink(link, buf, sizeof buf - 1);
  if (n <= 0) return {};
  return std::string(buf, static_cast<size_t>(n));
}

// The parent of `pid`, or 0 when it cannot be read.
pid_t ParentOf(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat;
  std::getline(in, stat);
  const size_t close_paren = stat.rfind(')');  // the command name may hold anything
  if (close_paren == std::string::npos || close_paren + 4 >= stat.size()) return 0;
  // ") S PPID ...": state, then the parent's pid.
  return static_cast<pid_t>(std::atoi(stat.c_str() + close_paren + 4));
}

bool DescendsFrom(pid_t pid, pid_t ancestor) {
  for (int depth = 0; depth < 4096 && pid > 1; ++depth) {
    if (pid == ancestor) return true;
    pid = ParentOf(pid);
  }
  return pid == ancestor;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2 && argc != 3) {
    std::fprintf(stderr, "usage: %s OUTPUT_FILE [ANCESTOR_PID]\n", argv[0]);
    return 2;
  }
  const pid_t ancestor = argc == 3 ? static_cast<pid_t>(std::atoi(argv[2])) : 0;
  std::FILE* out = std::fopen(argv[1], "w");
  if (out == nullptr) {
    std::fprintf(stderr, "exec_watch: %s: %s\n", argv[1], std::strerror(errno));
    return 1;
  }
  const bool filtered = ancestor > 0;
  const int fan = fanotify_init((filtered ? FAN_CLASS_CONTENT : FAN_CLASS_NOTIF) | FAN_CLOEXEC,
                                O_RDONLY | O_LARGEFILE | O_CLOEXEC);
  if (fan < 0 || fanotify_mark(fan, FAN_MARK_ADD | FAN_MARK_FILESYSTEM,
                               filtered ? FAN_OPEN_EXEC_PERM : FAN_OPEN_EXEC, AT_FDCWD, "/") != 0) {
    std::fprintf(stderr, "exec_watch: fanotify: %s\n", std::strerror(errno));
    return 1;
  }
  struct sigaction sa {};
  sa.sa_handler = OnSignal;
  sigaction(SIGTERM, &sa, nullptr);
  sigaction(SIGINT, &sa, nullptr);
  std::printf("ready\n");
  std::fflush(stdout);

  std::unordered_set<std::string> seen;
  alignas(fanotify_event_metadata) char buf[64 * 1024];
  while (!g_stop) {
    pollfd p{fan, POLLIN, 0};
    if (poll(&p, 1, 200) <= 0) continue;
    const ssize_t len = read(fan, buf, sizeof buf);
    if (len <= 0) continue;
    auto* ev = reinterpret_cast<fanotify_event_metadata*>(buf);
    ssize_t left = len;
    for (; FAN_EVENT_OK(ev, left); ev = FAN_EVENT_NEXT(ev, left)) {
      if (ev->mask & FAN_Q_OVERFLOW) {
        std::fprintf(stderr, "exec_watch: the event queue overflowed; some programs missed\n");
      }
      if (ev->fd < 0) continue;
      std::string path = PathOf(ev->fd);
      const bool ours = !filtered || DescendsFrom(ev->pid, ancestor);
      if (ev->mask & FAN_OPEN_EXEC_PERM) {
        const fanotify_response allow{ev->fd, FAN_ALLOW};
        if (write(fan, &allow, sizeof allow) != sizeof allow) {
          std::fprintf(stderr, "exec_watch: answering an exec: %s\n", std::strerror(errno));
        }
      }
      close(ev->fd);
      if (ours && !path.empty() && seen.insert(path).second) {
        std::fprintf(out, "%s\n", path.c_str());
        std::fflush(out);
      }
    }
  }
  std::fclose(out);
  return 0;
}
