#include "agent/clock.h"

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <csignal>

#include "core/check.h"

namespace portatlas::agent {
namespace {

volatile std::sig_atomic_t g_stop = 0;
int g_wake_fds[2] = {-1, -1};
std::atomic<bool> g_instance{false};
struct sigaction g_old_int;
struct sigaction g_old_term;

extern "C" void OnStopSignal(int) {
  const int saved = errno;
  g_stop = 1;
  const char byte = 1;
  // The pipe is non-blocking: when it is full a wake-up is already pending.
  [[maybe_unused]] const ssize_t n = ::write(g_wake_fds[1], &byte, 1);
  errno = saved;
}

}  // namespace

SignalClock::SignalClock() {
  PA_CHECK(!g_instance.exchange(true)) << "only one SignalClock may exist";
  PA_CHECK(::pipe2(g_wake_fds, O_CLOEXEC | O_NONBLOCK) == 0) << "pipe2 failed";
  g_stop = 0;
  struct sigaction sa = {};
  sa.sa_handler = OnStopSignal;
  sigemptyset(&sa.sa_mask);
  // SA_RESTART keeps reads of /proc and socket calls from failing with EINTR.
  sa.sa_flags = static_cast<int>(SA_RESTART | SA_RESETHAND);
  PA_CHECK(::sigaction(SIGINT, &sa, &g_old_int) == 0);
  PA_CHECK(::sigaction(SIGTERM, &sa, &g_old_term) == 0);
}

SignalClock::~SignalClock() {
  ::sigaction(SIGINT, &g_old_int, nullptr);
  ::sigaction(SIGTERM, &g_old_term, nullptr);
  ::close(g_wake_fds[0]);
  ::close(g_wake_fds[1]);
  g_wake_fds[0] = g_wake_fds[1] = -1;
  g_instance = false;
}

int64_t SignalClock::SteadyMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

int64_t SignalClock::WallMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

bool SignalClock::SleepUntil(int64_t deadline_ms) {
  for (;;) {
    if (g_stop != 0) return false;
    const int64_t left_ms = deadline_ms - SteadyMs();
    if (left_ms <= 0) return true;
    pollfd pfd = {g_wake_fds[0], POLLIN, 0};
    const int timeout_ms = static_cast<int>(left_ms > 60000 ? 60000 : left_ms);
    if (::poll(&pfd, 1, timeout_ms) > 0) {
      char buf[16];
      while (::read(g_wake_fds[0], buf, sizeof(buf)) > 0) {
      }
    }
  }
}

}  // namespace portatlas::agent
