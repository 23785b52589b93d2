// Listening sockets owned by child processes that the test controls, for the collector
// integration tests. A Listener kills and reaps its children in its destructor, so a failed
// assertion leaves no process behind; if the test process itself dies, the children see end
// of file on their release pipe and exit. Needs Linux 5.3 or later (pidfd_open). Not
// thread-safe; the tests are single-threaded.
#ifndef PORTATLAS_TESTS_INTEGRATION_LISTENER_HELPERS_H_
#define PORTATLAS_TESTS_INTEGRATION_LISTENER_HELPERS_H_

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <string>

#include "gtest/gtest.h"

namespace portatlas::itest {

enum class Transport { kTcp, kUdp };

// What socket a listener child opens, and where.
struct ListenerSpec {
  Transport transport = Transport::kTcp;
  std::string address;       // numeric, "127.0.0.1" or "::1"; the family follows from it
  bool v6only = false;       // IPV6_V6ONLY for IPv6 sockets
  std::string netns_path;    // setns() into this first, when not empty
  std::string cgroup_procs;  // join this cgroup first, when not empty
  bool shared = false;       // after bind/listen, fork a second holder of the socket
};

// A child process (a fork of the test binary) that holds one bound socket (listening when
// TCP) on a kernel-chosen port until Stop() or destruction. The child performs only
// async-signal-safe calls after fork.
class Listener {
 public:
  // Forks the child and waits until it reports its port. On failure returns an error naming
  // the step that failed and leaves `*out` empty.
  static ::testing::AssertionResult Start(const ListenerSpec& spec, std::unique_ptr<Listener>* out);
  Listener(const Listener&) = delete;
  Listener& operator=(const Listener&) = delete;
  // Kills and reaps the child if it still runs.
  ~Listener();

  // Closes the socket: tells the child (and its sharer) to exit and reaps them. Fails when
  // they do not exit cleanly in time (they are then killed).
  ::testing::AssertionResult Stop();

  const ListenerSpec& spec() const { return spec_; }
  uint16_t port() const { return port_; }
  pid_t pid() const { return pid_; }
  // The second holder when spec().shared, else 0.
  pid_t sharer_pid() const { return sharer_pid_; }
  // The lowest pid holding the socket.
  pid_t lowest_pid() const;
  int holders() const { return sharer_pid_ != 0 ? 2 : 1; }
  // "TCP", "TCP6", "UDP" or "UDP6", as the collector names the socket.
  std::string type() const;

 private:
  Listener() = default;
  ListenerSpec spec_;
  pid_t pid_ = -1;
  pid_t sharer_pid_ = 0;
  uint16_t port_ = 0;
  int release_fd_ = -1;  // write end; closing it releases the child
};

}  // namespace portatlas::itest

#endif  // PORTATLAS_TESTS_INTEGRATION_LISTENER_HELPERS_H_
