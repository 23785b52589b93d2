// PeriodicTask: runs a function on a thread of its own when made and every interval after, until
// it is destroyed; the destructor waits for a run under way and never for the next interval.
#ifndef PORTATLAS_CORE_PERIODIC_H_
#define PORTATLAS_CORE_PERIODIC_H_

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>

namespace portatlas {

class PeriodicTask {
 public:
  PeriodicTask(std::function<void()> run, int64_t every_ms)
      : run_(std::move(run)), every_ms_(every_ms) {
    thread_ = std::thread([this] {
      std::unique_lock<std::mutex> lock(mu_);
      while (!stopping_) {
        lock.unlock();
        run_();
        lock.lock();
        cv_.wait_for(lock, std::chrono::milliseconds(every_ms_), [this] { return stopping_; });
      }
    });
  }
  ~PeriodicTask() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stopping_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }
  PeriodicTask(const PeriodicTask&) = delete;
  PeriodicTask& operator=(const PeriodicTask&) = delete;

 private:
  std::function<void()> run_;
  int64_t every_ms_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::thread thread_;  // last: started after everything it reads
};

}  // namespace portatlas

#endif  // PORTATLAS_CORE_PERIODIC_H_
