#include "agent/agent_state.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <system_error>
#include <utility>

#include "core/text.h"

namespace portatlas::agent {
namespace {

constexpr size_t kMaxStateFileBytes = 4096;

// Whole file, or NotFound when it does not exist.
Result<std::string> ReadSmallFile(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return ErrnoStatus(errno, path);
  std::string out;
  char buf[512];
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof(buf));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int err = errno;
      ::close(fd);
      return ErrnoStatus(err, path);
    }
    if (n == 0) break;
    out.append(buf, static_cast<size_t>(n));
    if (out.size() > kMaxStateFileBytes) break;  // too big to be ours; the caller rejects it
  }
  ::close(fd);
  return out;
}

Status WriteAll(int fd, std::string_view data, const std::string& what) {
  while (!data.empty()) {
    const ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return ErrnoStatus(errno, what);
    data.remove_prefix(static_cast<size_t>(n));
  }
  return Status::Ok();
}

}  // namespace

Status WriteFileAtomically(const std::string& path, std::string_view content) {
  const std::filesystem::path target(path);
  const std::string tmp = fmt::format("{}.tmp.{}", path, ::getpid());
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return ErrnoStatus(errno, tmp);
  Status s = WriteAll(fd, content, tmp);
  if (s.ok() && ::fsync(fd) != 0) s = ErrnoStatus(errno, tmp);
  if (::close(fd) != 0 && s.ok()) s = ErrnoStatus(errno, tmp);
  if (s.ok() && ::rename(tmp.c_str(), path.c_str()) != 0) s = ErrnoStatus(errno, path);
  if (!s.ok()) {
    ::unlink(tmp.c_str());
    return s;
  }
  // The rename is durable only once the directory entry is.
  const std::string dir = target.has_parent_path() ? target.parent_path().string() : ".";
  const int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0) return ErrnoStatus(errno, dir);
  if (::fsync(dfd) != 0) s = ErrnoStatus(errno, dir);
  ::close(dfd);
  return s;
}

Result<std::string> RandomHex(size_t bytes) {
  std::string raw(bytes, '\0');
  size_t got = 0;
  while (got < bytes) {
    const ssize_t n = ::getrandom(raw.data() + got, bytes - got, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return ErrnoStatus(errno, "getrandom");
    got += static_cast<size_t>(n);
  }
  std::string hex;
  hex.reserve(bytes * 2);
  for (char c : raw) hex += fmt::format("{:02x}", static_cast<unsigned char>(c));
  return hex;
}

Result<AgentState> AgentState::Open(const std::string& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) {
    return IoError(fmt::format("cannot create state directory {}: {} (choose one with --state-dir)",
                               dir, ec.message()));
  }
  ::chmod(dir.c_str(), 0700);  // best effort: the directory may be shared on purpose
  const std::string lock_path = dir + "/lock";
  const int fd = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) {
    return ErrnoStatus(errno, lock_path)
        .WithContext("state directory (choose one with --state-dir)");
  }
  AgentState state(dir, fd);
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    if (errno == EWOULDBLOCK) {
      return Unavailable(fmt::format("state directory {} is in use by another agent", dir));
    }
    return ErrnoStatus(errno, lock_path);
  }
  PA_RETURN_IF_ERROR(state.LoadOrCreateAgentId());
  state.LoadSeq();
  return state;
}

AgentState::AgentState(AgentState&& other) noexcept
    : dir_(std::move(other.dir_)),
      lock_fd_(std::exchange(other.lock_fd_, -1)),
      agent_id_(std::move(other.agent_id_)),
      last_seq_(other.last_seq_),
      warnings_(std::move(other.warnings_)) {}

AgentState& AgentState::operator=(AgentState&& other) noexcept {
  if (this != &other) {
    if (lock_fd_ >= 0) ::close(lock_fd_);
    dir_ = std::move(other.dir_);
    lock_fd_ = std::exchange(other.lock_fd_, -1);
    agent_id_ = std::move(other.agent_id_);
    last_seq_ = other.last_seq_;
    warnings_ = std::move(other.warnings_);
  }
  return *this;
}

AgentState::~AgentState() {
  if (lock_fd_ >= 0) ::close(lock_fd_);  // releases the flock
}

Status AgentState::LoadOrCreateAgentId() {
  const std::string path = dir_ + "/agent_id";
  auto text = ReadSmallFile(path);
  if (text) {
    const std::string_view id = Trim(*text);
    if (IsHexOfLength(id, 64) && id.find_first_of("ABCDEF") == std::string_view::npos) {
      agent_id_.assign(id);
      return Status::Ok();
    }
    warnings_.push_back(fmt::format("{} was corrupt; this install gets a new agent id", path));
  } else if (text.error().kind() != ErrorKind::kNotFound) {
    return text.error();
  }
  auto id = RandomHex(32);
  if (!id) return id.error();
  PA_RETURN_IF_ERROR(WriteFileAtomically(path, *id + "\n"));
  agent_id_ = std::move(*id);
  return Status::Ok();
}

void AgentState::LoadSeq() {
  const std::string path = dir_ + "/seq";
  auto text = ReadSmallFile(path);
  if (!text) {
    if (text.error().kind() != ErrorKind::kNotFound) {
      warnings_.push_back(fmt::format("cannot read {}: {}; seq restarts from the clock", path,
                                      text.error().message()));
    }
    return;
  }
  if (auto n = ParseUint(Trim(*text), INT64_MAX)) {
    last_seq_ = *n;
  } else {
    warnings_.push_back(fmt::format("{} was corrupt; seq restarts from the clock", path));
  }
}

uint64_t AgentState::NextSeq(uint64_t floor, Status* persisted) {
  last_seq_ = std::max(last_seq_ + 1, floor);
  *persisted = WriteFileAtomically(dir_ + "/seq", fmt::format("{}\n", last_seq_));
  return last_seq_;
}

}  // namespace portatlas::agent
