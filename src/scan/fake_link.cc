#include "scan/fake_link.h"

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <utility>

namespace portatlas::scan {
namespace {

class FakeSender final : public FrameSender {
 public:
  FakeSender(FakeLink& link, size_t max_frame) : link_(link), buf_(max_frame) {}
  uint8_t* Next() override { return link_.TakeOne() ? buf_.data() : nullptr; }
  void Commit(size_t len) override {
    pending_.emplace_back(buf_.begin(), buf_.begin() + static_cast<std::ptrdiff_t>(len));
  }
  void Flush() override {
    if (!pending_.empty()) link_.Deliver(std::exchange(pending_, {}));
  }

 private:
  FakeLink& link_;
  std::vector<uint8_t> buf_;
  std::vector<FakeLink::Frame> pending_;
};

}  // namespace

PaceClock::Duration FakePaceClock::Now() {
  std::lock_guard lock(mu_);
  return now_;
}

void FakePaceClock::SleepUntil(Duration t) {
  if (link_ != nullptr) link_->WaitIdle();
  std::lock_guard lock(mu_);
  now_ = std::max(now_, t);
}

Result<FrameSender*> FakeLink::OpenSender(size_t max_frame) {
  std::lock_guard lock(mu_);
  if (fail_from_ >= 0 && static_cast<int>(senders_.size()) >= fail_from_) {
    return Unavailable("PACKET_TX_RING: the fake link refuses a sender");
  }
  senders_.push_back(std::make_unique<FakeSender>(*this, max_frame));
  return senders_.back().get();
}

bool FakeLink::TakeOne() {
  std::lock_guard lock(mu_);
  if (taken_ >= stop_after_) return false;
  ++taken_;
  return true;
}

void FakeLink::Deliver(std::vector<Frame> frames) {
  const PaceClock::Duration at = clock_.Now();
  std::vector<Frame> replies;
  for (const Frame& f : frames) {
    for (Frame& r : network_(f)) replies.push_back(std::move(r));
  }
  std::lock_guard lock(mu_);
  for (Frame& f : frames) sent_.push_back({std::move(f), at});
  for (Frame& r : replies) queue_.push_back(std::move(r));
  cv_.notify_all();
}

void FakeLink::Poll(int timeout_ms, const FrameFn& fn) {
  std::deque<Frame> batch;
  {
    std::unique_lock lock(mu_);
    cv_.wait_for(lock, std::chrono::milliseconds(timeout_ms), [this] { return !queue_.empty(); });
    batch.swap(queue_);
    polling_ = !batch.empty();
  }
  for (const Frame& f : batch) fn(f);
  std::lock_guard lock(mu_);
  polling_ = false;
  cv_.notify_all();
}

bool FakeLink::SendNow(std::span<const uint8_t> frame) {
  std::lock_guard lock(mu_);
  sent_now_.emplace_back(frame.begin(), frame.end());
  return true;
}

void FakeLink::WaitIdle() {
  std::unique_lock lock(mu_);
  cv_.wait(lock, [this] { return queue_.empty() && !polling_; });
}

std::vector<FakeLink::Sent> FakeLink::sent() const {
  std::lock_guard lock(mu_);
  return sent_;
}

std::vector<FakeLink::Frame> FakeLink::sent_now() const {
  std::lock_guard lock(mu_);
  return sent_now_;
}

int FakeLink::senders_opened() const {
  std::lock_guard lock(mu_);
  return static_cast<int>(senders_.size());
}

}  // namespace portatlas::scan
