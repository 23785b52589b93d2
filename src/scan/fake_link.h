// FakeLink and FakePaceClock: an in-memory PacketIo and a virtual clock for the raw engine's
// tests, so rounds, pacing and reply matching are checked without root and without timing.
//
// Every flushed frame is recorded with the clock's time and given to a Network function that
// returns the frames coming back (none, one or several); they wait in a queue for Poll. The
// clock's SleepUntil first waits until the queue is empty and the receiving thread idle, then
// moves virtual time forward: so whenever the engine waits, every reply sent before has been
// judged, and a run is the same every time.
#ifndef PORTATLAS_SCAN_FAKE_LINK_H_
#define PORTATLAS_SCAN_FAKE_LINK_H_

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <vector>

#include "scan/pace_clock.h"
#include "scan/packet_io.h"

namespace portatlas::scan {

class FakeLink;

class FakePaceClock final : public PaceClock {
 public:
  Duration Now() override;
  void SleepUntil(Duration t) override;
  void set_link(FakeLink* link) { link_ = link; }

 private:
  std::mutex mu_;
  Duration now_{0};
  FakeLink* link_ = nullptr;
};

class FakeLink final : public PacketIo {
 public:
  using Frame = std::vector<uint8_t>;
  // The far side: the frames that come back for one frame sent. Called on the sending thread.
  using Network = std::function<std::vector<Frame>(const Frame& sent)>;
  struct Sent {
    Frame frame;
    PaceClock::Duration at;
  };

  FakeLink(Network network, PaceClock& clock) : network_(std::move(network)), clock_(clock) {}

  // OpenSender fails from the n-th call on (0: the first); -1: never.
  void FailSendersFrom(int n) { fail_from_ = n; }
  // Next() returns nullptr after this many frames over all senders (the ring stopped).
  void StopTakingAfter(uint64_t frames) { stop_after_ = frames; }

  Result<FrameSender*> OpenSender(size_t max_frame) override;
  void Poll(int timeout_ms, const FrameFn& fn) override;
  bool SendNow(std::span<const uint8_t> frame) override;

  // Waits until every queued reply has been given to the receiving thread and judged.
  void WaitIdle();
  std::vector<Sent> sent() const;
  std::vector<Frame> sent_now() const;  // what SendNow sent
  int senders_opened() const;

  // For FakeLink's senders.
  void Deliver(std::vector<Frame> frames);
  bool TakeOne();

 private:
  Network network_;
  PaceClock& clock_;
  int fail_from_ = -1;
  uint64_t stop_after_ = UINT64_MAX;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Frame> queue_;
  bool polling_ = false;  // the receiving thread is judging frames taken from the queue
  uint64_t taken_ = 0;
  std::vector<Sent> sent_;
  std::vector<Frame> sent_now_;
  std::vector<std::unique_ptr<FrameSender>> senders_;
};

}  // namespace portatlas::scan

#endif  // PORTATLAS_SCAN_FAKE_LINK_H_
