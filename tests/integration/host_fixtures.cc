#include "host_fixtures.h"

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <random>
#include <sstream>
#include <vector>

#include "process_runner.h"

namespace portatlas::itest {
namespace {

using Clock = std::chrono::steady_clock;
constexpr int kIpTimeoutMs = 10000;
constexpr int kCgroupTimeoutMs = 10000;
constexpr char kCgroupTag[] = "ba5eba11";  // first hex digits of our fake container ids

bool IsDeadPid(long pid) {
  return pid > 0 && kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH;
}

int RemainingMs(Clock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
  return left.count() < 0 ? 0 : static_cast<int>(left.count());
}

std::string Errno(int err) { return std::strerror(err); }

std::string CgroupV2Mount() {
  std::ifstream mounts("/proc/self/mounts");
  std::string line;
  while (std::getline(mounts, line)) {
    std::istringstream fields(line);
    std::string device, mount_point, fs_type;
    fields >> device >> mount_point >> fs_type;
    if (fs_type == "cgroup2") return mount_point;
  }
  return "";
}

std::string RandomHex(int length) {
  std::random_device random;
  std::uniform_int_distribution<int> digit(0, 15);
  std::string hex;
  for (int i = 0; i < length; ++i) hex += "0123456789abcdef"[digit(random)];
  return hex;
}

// Removes cgroup directory `dir`, first waiting until the kernel reports it unpopulated.
// Gives up silently at the deadline (the directory then stays behind).
void RemoveCgroupDir(const std::string& dir) {
  const Clock::time_point deadline = Clock::now() + std::chrono::milliseconds(kCgroupTimeoutMs);
  int events = open((dir + "/cgroup.events").c_str(), O_RDONLY | O_CLOEXEC);
  while (events >= 0 && RemainingMs(deadline) > 0) {
    char buf[256];
    ssize_t n = pread(events, buf, sizeof buf - 1, 0);
    if (n <= 0) break;
    buf[n] = '\0';
    if (std::strstr(buf, "populated 0") != nullptr) break;
    pollfd pfd{events, POLLPRI, 0};  // cgroup.events signals changes with POLLPRI
    poll(&pfd, 1, RemainingMs(deadline));
  }
  if (events >= 0) close(events);
  // The kernel takes a child cgroup offline asynchronously after its rmdir, and until then
  // the parent's rmdir fails with EBUSY; nothing signals the end of that, so retry.
  while (rmdir(dir.c_str()) != 0 && errno == EBUSY && RemainingMs(deadline) > 0) {
    poll(nullptr, 0, 10);
  }
}

}  // namespace

bool RootTestsRequired() {
  const char* value = std::getenv("PORTATLAS_REQUIRE_ROOT_TESTS");
  return value != nullptr && std::string(value) == "1";
}

std::string SelfExePath() {
  char buf[4096];
  ssize_t n = readlink("/proc/self/exe", buf, sizeof buf);
  return n > 0 ? std::string(buf, static_cast<size_t>(n)) : "";
}

std::string SelfComm() {
  std::ifstream file("/proc/self/comm");
  std::string comm;
  std::getline(file, comm);
  return comm;
}

uint64_t NetnsInode(const std::string& path) {
  struct stat st {};
  if (stat(path.c_str(), &st) != 0) return 0;
  return static_cast<uint64_t>(st.st_ino);
}

// ---- NetNs -------------------------------------------------------------------------------

::testing::AssertionResult NetNs::Create(const std::string& name, std::unique_ptr<NetNs>* out) {
  out->reset();
  const std::string ip = FindTool("ip");
  if (ip.empty()) return ::testing::AssertionFailure() << "the ip tool (iproute2) is missing";
  ::testing::AssertionResult added = RunCommandOk({ip, "netns", "add", name}, kIpTimeoutMs);
  if (!added) return added;
  std::unique_ptr<NetNs> netns(new NetNs(name, 0));  // from here on, the destructor cleans up
  netns->inode_ = NetnsInode(netns->path());
  if (netns->inode_ == 0) {
    return ::testing::AssertionFailure() << "cannot stat " << netns->path() << ": " << Errno(errno);
  }
  ::testing::AssertionResult lo_up =
      RunCommandOk({ip, "-n", name, "link", "set", "lo", "up"}, kIpTimeoutMs);
  if (!lo_up) return lo_up;
  *out = std::move(netns);
  return ::testing::AssertionSuccess();
}

NetNs::~NetNs() {
  const std::string ip = FindTool("ip");
  CommandOutput ignored;
  if (!ip.empty()) (void)RunCommand({ip, "netns", "del", name_}, kIpTimeoutMs, &ignored);
}

std::string NetNs::path() const { return "/run/netns/" + name_; }

std::string NamespacePrefix() { return "pa-it-" + std::to_string(getpid()) + "-"; }

void DeleteStaleNamespaces() {
  DIR* dir = opendir("/run/netns");
  if (dir == nullptr) return;
  std::vector<std::string> stale;
  while (dirent* entry = readdir(dir)) {
    const std::string name = entry->d_name;
    if (name.rfind("pa-it-", 0) != 0) continue;
    if (IsDeadPid(std::strtol(name.c_str() + 6, nullptr, 10))) stale.push_back(name);
  }
  closedir(dir);
  const std::string ip = FindTool("ip");
  for (const std::string& name : stale) {
    CommandOutput ignored;
    (void)RunCommand({ip, "netns", "del", name}, kIpTimeoutMs, &ignored);
  }
}

void DeleteStaleCgroups() {
  const std::string mount = CgroupV2Mount();
  if (mount.empty()) return;
  const std::string slice = mount + "/system.slice";
  const std::string prefix = std::string("docker-") + kCgroupTag;
  DIR* dir = opendir(slice.c_str());
  if (dir == nullptr) return;
  std::vector<std::string> stale;
  while (dirent* entry = readdir(dir)) {
    const std::string name = entry->d_name;
    if (name.rfind(prefix, 0) != 0 || name.size() < prefix.size() + 8) continue;
    if (IsDeadPid(std::strtol(name.substr(prefix.size(), 8).c_str(), nullptr, 16))) {
      stale.push_back(slice + "/" + name);
    }
  }
  closedir(dir);
  for (const std::string& path : stale) rmdir(path.c_str());  // fails if still populated
}

// ---- FakeContainerCgroup -----------------------------------------------------------------

::testing::AssertionResult FakeContainerCgroup::Create(std::unique_ptr<FakeContainerCgroup>* out) {
  out->reset();
  const std::string mount = CgroupV2Mount();
  if (mount.empty())
    return ::testing::AssertionFailure() << "no cgroup2 mount in /proc/self/mounts";
  std::unique_ptr<FakeContainerCgroup> cgroup(new FakeContainerCgroup());
  char pid_hex[9];
  std::snprintf(pid_hex, sizeof pid_hex, "%08x", static_cast<unsigned int>(getpid()));
  cgroup->container_id_ = kCgroupTag + std::string(pid_hex) + RandomHex(48);
  const std::string slice = mount + "/system.slice";
  if (mkdir(slice.c_str(), 0755) == 0) {
    cgroup->slice_dir_ = slice;
  } else if (errno != EEXIST) {
    return ::testing::AssertionFailure() << "mkdir " << slice << ": " << Errno(errno);
  }
  const std::string scope = slice + "/docker-" + cgroup->container_id_ + ".scope";
  if (mkdir(scope.c_str(), 0755) != 0) {
    return ::testing::AssertionFailure() << "mkdir " << scope << ": " << Errno(errno);
  }
  cgroup->scope_dir_ = scope;
  *out = std::move(cgroup);
  return ::testing::AssertionSuccess();
}

FakeContainerCgroup::~FakeContainerCgroup() {
  if (!scope_dir_.empty()) RemoveCgroupDir(scope_dir_);
  if (!slice_dir_.empty()) RemoveCgroupDir(slice_dir_);  // gives up if others moved in
}

}  // namespace portatlas::itest
