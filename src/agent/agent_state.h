// AgentState: what the agent keeps across restarts, in its state directory.
//
//   agent_id  64 lower-case hex digits from getrandom(2), made once, kept for the install
//   seq       the last snapshot counter handed out, so counters keep growing across restarts
//   lock      flock(2)ed while an AgentState is open: two agents cannot share one state
//
// Files are replaced atomically (write a temporary file, fsync, rename, fsync the directory),
// so a crash leaves either the old or the new content. Not thread-safe; move-only.
#ifndef PORTATLAS_AGENT_AGENT_STATE_H_
#define PORTATLAS_AGENT_AGENT_STATE_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace portatlas::agent {

class AgentState {
 public:
  // Opens `dir` (created with mode 0700, parents included, when missing), takes its lock and
  // loads agent_id (made and written when missing) and seq. A corrupt agent_id is replaced by a
  // new one and a corrupt seq restarts from 0; both are reported in warnings(). Fails when the
  // directory cannot be created, read or written, or another process holds its lock.
  static Result<AgentState> Open(const std::string& dir);

  AgentState(AgentState&& other) noexcept;
  AgentState& operator=(AgentState&& other) noexcept;
  AgentState(const AgentState&) = delete;
  AgentState& operator=(const AgentState&) = delete;
  ~AgentState();

  const std::string& agent_id() const { return agent_id_; }
  uint64_t last_seq() const { return last_seq_; }
  // What Open found wrong and repaired, one sentence each.
  const std::vector<std::string>& warnings() const { return warnings_; }

  // Hands out the next snapshot counter, max(last_seq + 1, floor), and persists it. The caller
  // passes the snapshot's epoch milliseconds as `floor`: the server ignores a host's reports
  // whose seq is not above the newest it stored, so a reinstalled agent (fresh state, same
  // host id) must not restart from 1. When the file cannot be written the counter still
  // advances in memory and is returned; `*persisted` then holds the error.
  uint64_t NextSeq(uint64_t floor, Status* persisted);

 private:
  AgentState(std::string dir, int lock_fd) : dir_(std::move(dir)), lock_fd_(lock_fd) {}

  Status LoadOrCreateAgentId();
  void LoadSeq();

  std::string dir_;
  int lock_fd_ = -1;
  std::string agent_id_;
  uint64_t last_seq_ = 0;
  std::vector<std::string> warnings_;
};

// Writes `content` to `path` atomically (temporary file in the same directory, fsync, rename,
// fsync of the directory). The file gets mode 0600.
Status WriteFileAtomically(const std::string& path, std::string_view content);

// `bytes` random bytes from getrandom(2) as lower-case hex.
Result<std::string> RandomHex(size_t bytes);

}  // namespace portatlas::agent

#endif  // PORTATLAS_AGENT_AGENT_STATE_H_
