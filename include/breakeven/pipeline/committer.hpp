// breakeven/pipeline/committer.hpp - commits one batch through a sink so that every row ends
// committed or reported: retries with backoff, splits a batch that keeps failing to isolate
// its failing rows (bisection), and lists those in a dead-letter list with the reason.
// Mechanism: the batch it is handed is the batch it commits.
#pragma once

#include <breakeven/sink.hpp>

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <exception>
#include <span>
#include <string>
#include <thread>
#include <vector>

namespace breakeven {

/// How a failing batch is retried before it is split.
struct retry_policy {
  unsigned attempts = 3;                             ///< tries of a batch whose error may be transient
  std::chrono::milliseconds first_backoff{5};        ///< the wait before the first retry (doubles)
  std::chrono::milliseconds max_backoff{1000};       ///< the longest wait between tries
  std::chrono::milliseconds transient_budget{30000}; ///< how long a sink_error{transient} is retried
};

/// An item that was not committed, and why.
struct dead_letter {
  std::size_t index = 0;  ///< the item's position in the input
  enum class stage : unsigned char { kernel, sink } where = stage::sink;
  std::string reason;
};

namespace pipeline {

/// What the committer has done so far.
struct commit_counts {
  std::size_t committed = 0, batches = 0, retries = 0, splits = 0;
};

namespace detail {
inline std::string reason_of(const std::exception_ptr& e) {
  try {
    std::rethrow_exception(e);
  } catch (const std::exception& x) {
    return x.what();
  } catch (...) {
    return "unknown exception";
  }
}
// 0: not a sink_error (maybe transient), 1: transient, 2: the data's fault
inline int kind_of(const std::exception_ptr& e) {
  try {
    std::rethrow_exception(e);
  } catch (const sink_error& x) {
    return x.transient() ? 1 : 2;
  } catch (...) {
    return 0;
  }
}
}  // namespace detail

/// Commits batches of rows of T through sink S.
template <class T, class S>
class committer {
 public:
  committer(S& s, retry_policy r, std::vector<dead_letter>& dead) : sink_(s), retry_(r), dead_(dead) {}

  /// Commits `rows` (item indexes `index`): every row ends committed or in the dead-letter
  /// list. Never throws (but for std::bad_alloc).
  void commit(std::span<const T> rows, std::span<const std::size_t> index) {
    if (rows.empty()) return;
    auto backoff = retry_.first_backoff;
    const auto started = std::chrono::steady_clock::now();
    for (unsigned attempt = 1;; ++attempt) {
      std::exception_ptr err;
      try {
        sink_.write_batch(rows);
        counts_.committed += rows.size();
        ++counts_.batches;
        return;
      } catch (...) {
        err = std::current_exception();
      }
      const int kind = detail::kind_of(err);
      bool again = false;
      if (kind == 1) again = std::chrono::steady_clock::now() - started < retry_.transient_budget;
      else if (kind == 0) again = attempt < retry_.attempts;
      if (again) {
        ++counts_.retries;
        std::this_thread::sleep_for(backoff);
        backoff = std::min(backoff * 2, retry_.max_backoff);
        continue;
      }
      if (rows.size() == 1 || kind == 1) {  // a lasting connection failure is no row's fault
        const std::string why = detail::reason_of(err);
        for (std::size_t i : index) dead_.push_back({i, dead_letter::stage::sink, why});
        return;
      }
      ++counts_.splits;  // the data's fault, or an error that kept coming: bisect
      const std::size_t h = rows.size() / 2;
      commit(rows.first(h), index.first(h));
      commit(rows.subspan(h), index.subspan(h));
      return;
    }
  }

  const commit_counts& counts() const noexcept { return counts_; }

 private:
  S& sink_;
  retry_policy retry_;
  std::vector<dead_letter>& dead_;
  commit_counts counts_{};
};

}  // namespace pipeline
}  // namespace breakeven
