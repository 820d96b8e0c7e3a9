// breakeven/shm/report.hpp - how a bulk call on shared memory reports items that failed
// while every other item's output stands where it was written.
#pragma once

#include <algorithm>
#include <cstddef>
#include <exception>
#include <stdexcept>
#include <vector>

namespace breakeven {

/// A call was cancelled (its stop token) before these items were sent to a worker.
class call_cancelled : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// The outcome of a bulk call: the items that failed, each range with its error. Every item
/// outside them succeeded and its output is in place.
class bulk_report {
 public:
  /// Items [first, first + count) failed with `error`.
  struct failure {
    std::size_t first = 0;
    std::size_t count = 0;
    std::exception_ptr error;
  };

  /// True when every item succeeded.
  bool ok() const noexcept { return failures_.empty(); }
  /// The failed ranges, by position.
  const std::vector<failure>& failures() const noexcept { return failures_; }
  /// The number of items that failed.
  std::size_t failed_items() const noexcept {
    std::size_t n = 0;
    for (const failure& f : failures_) n += f.count;
    return n;
  }
  /// True when item `i` failed.
  bool failed(std::size_t i) const noexcept {
    auto it = std::upper_bound(failures_.begin(), failures_.end(), i,
                               [](std::size_t x, const failure& f) { return x < f.first; });
    return it != failures_.begin() && i < std::prev(it)->first + std::prev(it)->count;
  }
  /// The positions of the failed items, ascending.
  std::vector<std::size_t> failed_indices() const {
    std::vector<std::size_t> out;
    for (const failure& f : failures_)
      for (std::size_t i = 0; i < f.count; ++i) out.push_back(f.first + i);
    return out;
  }
  /// The error of the lowest failed item; nullptr when none failed.
  std::exception_ptr first_error() const noexcept { return failures_.empty() ? nullptr : failures_.front().error; }
  /// Rethrows the error of the lowest failed item (with its type), if any: what every
  /// executor's bulk_map throws.
  void rethrow() const {
    if (!failures_.empty()) std::rethrow_exception(failures_.front().error);
  }

  /// Records a failed range (kept sorted by position).
  void add(failure f) {
    auto at = std::upper_bound(failures_.begin(), failures_.end(), f.first,
                               [](std::size_t x, const failure& g) { return x < g.first; });
    failures_.insert(at, std::move(f));
  }

 private:
  std::vector<failure> failures_;
};

}  // namespace breakeven
