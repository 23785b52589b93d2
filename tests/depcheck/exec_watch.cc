// exec_watch: records the path of every file executed on the root file system while it runs,
// for scripts/depcheck (which programs do the tests start?). It uses fanotify's FAN_OPEN_EXEC
// events, which the kernel sends without stopping the process that executes: unlike ptrace
// (strace), the tests run exactly as they would untraced. It sees every process of the machine,
// so on a busy machine it may record programs that are not the tests'.
//
//   exec_watch OUTPUT_FILE
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
#include <cstring>
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

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s OUTPUT_FILE\n", argv[0]);
    return 2;
  }
  std::FILE* out = std::fopen(argv[1], "w");
  if (out == nullptr) {
    std::fprintf(stderr, "exec_watch: %s: %s\n", argv[1], std::strerror(errno));
    return 1;
  }
  const int fan = fanotify_init(FAN_CLASS_NOTIF | FAN_CLOEXEC, O_RDONLY | O_LARGEFILE | O_CLOEXEC);
  if (fan < 0 ||
      fanotify_mark(fan, FAN_MARK_ADD | FAN_MARK_FILESYSTEM, FAN_OPEN_EXEC, AT_FDCWD, "/") != 0) {
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
      close(ev->fd);
      if (!path.empty() && seen.insert(path).second) {
        std::fprintf(out, "%s\n", path.c_str());
        std::fflush(out);
      }
    }
  }
  std::fclose(out);
  return 0;
}
