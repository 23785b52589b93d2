// Clock: time and waiting for the agent loop, injected so tests drive time instead of sleeping.
#ifndef PORTATLAS_AGENT_CLOCK_H_
#define PORTATLAS_AGENT_CLOCK_H_

#include <cstdint>

namespace portatlas::agent {

class Clock {
 public:
  virtual ~Clock() = default;

  // Monotonic milliseconds, for schedules and deadlines.
  virtual int64_t SteadyMs() = 0;
  // Milliseconds since the Unix epoch, for `collected_at`.
  virtual int64_t WallMs() = 0;
  // Waits until SteadyMs() >= deadline_ms (returns at once when it already is). Returns false,
  // possibly early, once the agent has been asked to stop; true otherwise.
  virtual bool SleepUntil(int64_t deadline_ms) = 0;
};

// The real clock; a stop request is SIGINT or SIGTERM. The constructor installs handlers that
// set a flag and wake SleepUntil through a self-pipe; they are one-shot (SA_RESETHAND), so a
// second signal ends the process the default way when the agent is stuck. A signal that arrives
// during a collection or a request is acted on at the next SleepUntil. At most one instance may
// exist at a time (the handlers are process-wide); the destructor restores the old handlers.
// SleepUntil is meant for one thread.
class SignalClock final : public Clock {
 public:
  SignalClock();
  ~SignalClock() override;
  SignalClock(const SignalClock&) = delete;
  SignalClock& operator=(const SignalClock&) = delete;

  int64_t SteadyMs() override;
  int64_t WallMs() override;
  bool SleepUntil(int64_t deadline_ms) override;
};

}  // namespace portatlas::agent

#endif  // PORTATLAS_AGENT_CLOCK_H_
