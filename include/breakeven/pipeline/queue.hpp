// breakeven/pipeline/queue.hpp - the bounded queue between the CPU stage and the one writer.
//
// Capacity in items and in bytes: a producer blocks while either is full (backpressure), so
// memory stays bounded however slow the sink is. The writer takes a batch: up to a number of
// rows and of bytes, waiting at most a linger after the batch's first row for it to fill.
// High-water marks record the most the queue ever held. Mechanism: runs the sizes it is given.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <mutex>
#include <utility>
#include <vector>

namespace breakeven::pipeline {

/// One queued result: the input item's index, the row and its bytes as counted.
template <class T>
struct queued {
  std::size_t index = 0;
  T row{};
  std::size_t bytes = 0;
};

/// A bounded multi-producer, single-consumer queue of rows.
template <class T>
class bounded_queue {
 public:
  bounded_queue(std::size_t max_items, std::size_t max_bytes)
      : max_items_(max_items == 0 ? 1 : max_items), max_bytes_(max_bytes == 0 ? 1 : max_bytes) {}

  /// Blocks while the queue is full (an item larger than the byte capacity waits for an
  /// empty queue); returns false, dropping nothing of the queue's, when it was aborted.
  bool push(queued<T> q) {
    std::unique_lock lk(m_);
    not_full_.wait(lk, [&] {
      return aborted_ || (items_.size() < max_items_ && (items_.empty() || bytes_ + q.bytes <= max_bytes_));
    });
    if (aborted_) return false;
    bytes_ += q.bytes;
    items_.push_back(std::move(q));
    if (items_.size() > peak_items_) peak_items_ = items_.size();
    if (bytes_ > peak_bytes_) peak_bytes_ = bytes_;
    lk.unlock();
    not_empty_.notify_one();
    return true;
  }

  /// No more pushes: the writer drains what is queued.
  void close() {
    { std::lock_guard lk(m_); closed_ = true; }
    not_empty_.notify_all();
  }

  /// Wakes and refuses every producer (the writer is gone).
  void abort() {
    { std::lock_guard lk(m_); aborted_ = closed_ = true; }
    not_full_.notify_all();
    not_empty_.notify_all();
  }

  /// Appends to `out` a batch of at most `rows` rows and `bytes` bytes (at least one row),
  /// waiting up to `linger` after the first row for the batch to fill. Returns false when
  /// the queue is closed and empty.
  bool pop_batch(std::vector<queued<T>>& out, std::size_t rows, std::size_t bytes, std::chrono::nanoseconds linger) {
    if (rows == 0) rows = 1;
    std::unique_lock lk(m_);
    not_empty_.wait(lk, [&] { return !items_.empty() || closed_; });
    if (items_.empty()) return false;
    const auto deadline = std::chrono::steady_clock::now() + linger;
    std::size_t taken_bytes = 0, taken = 0;
    for (;;) {
      while (!items_.empty() && taken < rows && (taken == 0 || taken_bytes + items_.front().bytes <= bytes)) {
        taken_bytes += items_.front().bytes;
        bytes_ -= items_.front().bytes;
        out.push_back(std::move(items_.front()));
        items_.pop_front();
        ++taken;
      }
      not_full_.notify_all();
      const bool full = taken >= rows || (!items_.empty() && taken_bytes + items_.front().bytes > bytes);
      if (full || closed_) return true;
      if (not_empty_.wait_until(lk, deadline, [&] { return !items_.empty() || closed_; })) continue;
      return true;  // the linger ran out
    }
  }

  std::size_t capacity_items() const noexcept { return max_items_; }
  std::size_t capacity_bytes() const noexcept { return max_bytes_; }
  /// The most items and bytes the queue ever held.
  std::size_t peak_items() const { std::lock_guard lk(m_); return peak_items_; }
  std::size_t peak_bytes() const { std::lock_guard lk(m_); return peak_bytes_; }

 private:
  mutable std::mutex m_;
  std::condition_variable not_full_, not_empty_;
  std::deque<queued<T>> items_;
  std::size_t max_items_, max_bytes_;
  std::size_t bytes_ = 0, peak_items_ = 0, peak_bytes_ = 0;
  bool closed_ = false, aborted_ = false;
};

}  // namespace breakeven::pipeline
