// Host-level pieces of the collector integration testbed: the root-privilege guard, facts
// about the test process, network namespaces made with `ip netns add`, and a cgroup v2
// directory that looks like a docker container's scope.
//
// Every object here undoes what it made in its destructor, so a failed assertion leaves the
// host clean; namespaces and cgroups left behind by a crashed run are deleted by
// DeleteStaleNamespaces() and DeleteStaleCgroups() in a later run. None of these classes is
// thread-safe; the tests are single-threaded.
#ifndef PORTATLAS_TESTS_INTEGRATION_HOST_FIXTURES_H_
#define PORTATLAS_TESTS_INTEGRATION_HOST_FIXTURES_H_

#include <unistd.h>

#include <cstdint>
#include <memory>
#include <string>
#include <utility>

#include "gtest/gtest.h"

namespace portatlas::itest {

// True when env PORTATLAS_REQUIRE_ROOT_TESTS=1: a missing privilege is then a failure.
bool RootTestsRequired();

// Skips the current test when not running as root, or fails it when root is required.
#define PORTATLAS_REQUIRE_ROOT()                                                          \
  do {                                                                                    \
    if (geteuid() != 0) {                                                                 \
      if (::portatlas::itest::RootTestsRequired()) {                                      \
        FAIL() << "needs root (PORTATLAS_REQUIRE_ROOT_TESTS=1 makes this a failure)";     \
      }                                                                                   \
      GTEST_SKIP() << "needs root: network namespaces, cgroups and other users' sockets"; \
    }                                                                                     \
  } while (0)

// readlink("/proc/self/exe"): the path the collector must report for listener children.
std::string SelfExePath();
// Contents of /proc/self/comm without the newline: the comm of listener children.
std::string SelfComm();
// Inode number of the network namespace file at `path` ("/proc/self/ns/net",
// "/run/netns/NAME"), or 0 when it cannot be stat()ed.
uint64_t NetnsInode(const std::string& path);

// A named network namespace (`ip netns add NAME`) with `lo` up and no other link.
class NetNs {
 public:
  // Creates namespace `name`. On failure returns an error and leaves `*out` empty.
  static ::testing::AssertionResult Create(const std::string& name, std::unique_ptr<NetNs>* out);
  NetNs(const NetNs&) = delete;
  NetNs& operator=(const NetNs&) = delete;
  // Runs `ip netns del`. Processes still inside keep the namespace alive but unnamed.
  ~NetNs();

  const std::string& name() const { return name_; }
  // "/run/netns/NAME", the file setns() takes.
  std::string path() const;
  uint64_t inode() const { return inode_; }

 private:
  NetNs(std::string name, uint64_t inode) : name_(std::move(name)), inode_(inode) {}
  std::string name_;
  uint64_t inode_;
};

// Returns the prefix of namespace names made by this process ("pa-it-<pid>-"), and deletes
// namespaces with such a prefix whose pid no longer runs (left by a crashed run).
std::string NamespacePrefix();
void DeleteStaleNamespaces();

// Removes empty fake container cgroups (see FakeContainerCgroup) whose creating pid no longer
// runs.
void DeleteStaleCgroups();

// A cgroup v2 directory `<cgroup2 mount>/system.slice/docker-<64 hex>.scope`, as docker with
// the systemd cgroup driver makes it. The container id is the tag "ba5eba11", the creating
// pid in 8 hex digits, and 48 random hex digits, so that a later run can recognise and remove
// the directory of a crashed run (DeleteStaleCgroups).
class FakeContainerCgroup {
 public:
  static ::testing::AssertionResult Create(std::unique_ptr<FakeContainerCgroup>* out);
  FakeContainerCgroup(const FakeContainerCgroup&) = delete;
  FakeContainerCgroup& operator=(const FakeContainerCgroup&) = delete;
  // Removes the directories this object made. Precondition: its processes have exited.
  ~FakeContainerCgroup();

  const std::string& container_id() const { return container_id_; }
  std::string procs_path() const { return scope_dir_ + "/cgroup.procs"; }

 private:
  FakeContainerCgroup() = default;
  std::string container_id_;
  std::string slice_dir_;  // non-empty only when this object created system.slice
  std::string scope_dir_;
};

}  // namespace portatlas::itest

#endif  // PORTATLAS_TESTS_INTEGRATION_HOST_FIXTURES_H_
