// breakeven/executor/impl/thread_pool.ipp - the thread pool's workers: their loop, start and stop.
// Included by its header, inline; with BREAKEVEN_SEPARATE_COMPILATION, compiled once
// through <breakeven/impl/src.hpp>.
#pragma once

#include <breakeven/executor/thread_pool.hpp>

namespace breakeven {

BREAKEVEN_DECL thread_pool::thread_pool(unsigned threads, std::chrono::nanoseconds spin_budget)
    : concurrency_(threads != 0 ? threads : std::max(1u, std::thread::hardware_concurrency())),
      workers_(std::max(1u, concurrency_ - 1)),
      spin_budget_(spin_budget),
      slots_(std::make_unique<detail::worker_slot[]>(workers_)) {
  threads_.reserve(workers_);
  try {
    for (unsigned w = 0; w < workers_; ++w) threads_.emplace_back([this, w] { work(slots_[w]); });
  } catch (...) {
    shut_down();
    throw;
  }
}

BREAKEVEN_DECL void thread_pool::work(detail::worker_slot& slot) noexcept {
  detail::this_worker = &slot;
  slot.tid = static_cast<pid_t>(::syscall(SYS_gettid));
  slot.steerable = ::sched_getaffinity(0, sizeof slot.home, &slot.home) == 0 && CPU_COUNT(&slot.home) > 1;
  detail::spin_timer timer(spin_budget_, /*yields to runnable threads*/ true);
  for (;;) {
    if (detail::bulk_ticket* t = slot.mailbox.load(std::memory_order_acquire)) {
      if (slot.mailbox.compare_exchange_strong(t, nullptr, std::memory_order_acq_rel)) {
        // seq_cst pairs with enqueue(): it saw this worker spinning, or this sees its task.
        slot.state.store(detail::busy, std::memory_order_seq_cst);
        if (queued_.load(std::memory_order_seq_cst) != 0) notify_queue();
        detail::bulk_job& job = *t->job;
        const std::uint64_t ran = job.run_lane(job, t->lane);
        slot.chunks.fetch_add(ran, std::memory_order_relaxed);
        slot.handoffs.fetch_add(1, std::memory_order_relaxed);
        // Spinning again before the caller can see `done`: its next call, back to back,
        // must find this worker polling, not busy.
        slot.state.store(detail::spinning, std::memory_order_relaxed);
        job.done.fetch_add(1, std::memory_order_seq_cst);  // the last touch of `job`
        if (done_waiters_.load(std::memory_order_seq_cst) != 0) {
          done_epoch_.fetch_add(1, std::memory_order_seq_cst);
          done_epoch_.notify_all();
        }
        timer.restart();
      }
      continue;  // taken, or taken back by its caller
    }
    if (queued_.load(std::memory_order_relaxed) != 0) {
      if (detail::pool_task* task = pop()) {
        slot.state.store(detail::busy, std::memory_order_seq_cst);
        if (queued_.load(std::memory_order_seq_cst) != 0) notify_queue();
        slot.tasks.fetch_add(1, std::memory_order_relaxed);  // before the future is ready
        task->run();
        delete task;
        slot.state.store(detail::spinning, std::memory_order_relaxed);
        timer.restart();
        continue;
      }
    }
    if (stop_.load(std::memory_order_acquire)) {
      if (queued_.load(std::memory_order_seq_cst) == 0) return;
      continue;
    }
    if (timer.poll()) {
      park(slot);
      timer.restart();
    }
  }
}

BREAKEVEN_DECL void thread_pool::park(detail::worker_slot& slot) noexcept {
  // Widened before `parked` is published: a waker narrows only a worker it sees parked.
  if (slot.narrowed.exchange(false, std::memory_order_relaxed))
    (void)::sched_setaffinity(0, sizeof slot.home, &slot.home);
  slot.state.store(detail::parked, std::memory_order_seq_cst);
  const std::uint32_t bell = slot.bell.load(std::memory_order_seq_cst);
  if (slot.mailbox.load(std::memory_order_seq_cst) == nullptr && queued_.load(std::memory_order_seq_cst) == 0 &&
      !stop_.load(std::memory_order_seq_cst)) {
    slot.parks.fetch_add(1, std::memory_order_relaxed);
    slot.bell.wait(bell, std::memory_order_seq_cst);
  }
  slot.state.store(detail::spinning, std::memory_order_seq_cst);
}

BREAKEVEN_DECL void thread_pool::shut_down() noexcept {
  stop_.store(true, std::memory_order_seq_cst);
  for (unsigned w = 0; w < threads_.size(); ++w) ring(slots_[w]);
  for (auto& t : threads_) t.join();
  threads_.clear();
  // Only tasks queued by a thread racing the destructor can be left: their futures
  // report broken_promise instead of hanging.
  while (detail::pool_task* task = pop()) delete task;
}

}  // namespace breakeven
