// Work split into blocks that run on XLA's intra-op thread pool, shared by the kernels of this folder.
#ifndef MIDALIGN_KERNELS_THREAD_BLOCKS_H_
#define MIDALIGN_KERNELS_THREAD_BLOCKS_H_

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>

#include "xla/ffi/api/ffi.h"

namespace midalign {

// Blocks handed out by an atomic counter to the caller and to pool tasks. The caller runs blocks too, so it
// never waits on a task that has not started (no deadlock when every pool thread is itself in such a call), and
// tasks that start after the last block is taken return at once.
struct Blocks {
  explicit Blocks(int64_t n, std::function<void(int64_t)> f) : total(n), run(std::move(f)) {}
  void Drain() {
    for (int64_t i; (i = next.fetch_add(1)) < total;) {
      run(i);
      if (done.fetch_add(1) + 1 == total) {
        std::lock_guard<std::mutex> lock(mu);
        cv.notify_all();
      }
    }
  }
  void Wait() {
    std::unique_lock<std::mutex> lock(mu);
    cv.wait(lock, [this] { return done.load() == total; });
  }
  const int64_t total;
  const std::function<void(int64_t)> run;
  std::atomic<int64_t> next{0}, done{0};
  std::mutex mu;
  std::condition_variable cv;
};

// Runs run(0..n-1) on up to `threads` threads of the pool, the caller included, and returns when all are done.
inline void RunBlocks(xla::ffi::ThreadPool& pool, int64_t threads, int64_t n, std::function<void(int64_t)> run) {
  auto blocks = std::make_shared<Blocks>(n, std::move(run));
  for (int64_t t = 1; t < std::min(threads, n); ++t) pool.Schedule([blocks] { blocks->Drain(); });
  blocks->Drain();
  blocks->Wait();
}

}  // namespace midalign

#endif  // MIDALIGN_KERNELS_THREAD_BLOCKS_H_
