// breakeven/break_even_table.hpp - break-even batch sizes computed at compile time, so that when
// only the batch size is unknown the run-time choice is an integer comparison.
#pragma once

#include <breakeven/decide.hpp>

#include <array>
#include <cstddef>
#include <cstdint>

namespace breakeven {

/// Batch sizes are searched up to this bound; beyond it the last segment extends forever.
inline constexpr std::size_t break_even_search_limit = std::size_t{1} << 40;

/// Batches up to this size are decided one by one: there, integer chunking makes the
/// decision non-monotone (11 items on 2 workers leave 6 on the critical path, 10 leave 5).
inline constexpr std::size_t exact_batch_limit = 512;

/// The executor the decision picks for every batch size: one entry per batch up to
/// exact_batch_limit, then up to 8 segments, segment i covering (last[i-1], last[i]].
struct decision_table {
  struct segment {
    std::size_t last = 0;
    executor_kind kind = executor_kind::sequential;
  };
  std::array<executor_kind, exact_batch_limit + 1> small{};
  std::array<segment, 8> segments{};
  std::size_t count = 0;

  /// The executor for a batch of n items: an index or integer comparisons only.
  constexpr executor_kind kind_for(std::size_t n) const noexcept {
    if (n <= exact_batch_limit) return small[n];
    for (std::size_t i = 0; i + 1 < count; ++i)
      if (n <= segments[i].last) return segments[i].kind;
    return segments[count - 1].kind;
  }
  /// The break-even batch: the largest batch that is sequential while every larger one is
  /// parallel (0 if every batch goes parallel); break_even_search_limit if none does.
  constexpr std::size_t break_even() const noexcept {
    for (std::size_t i = count; i-- > 0;) {
      if (segments[i].kind == executor_kind::sequential)
        return i + 1 == count ? break_even_search_limit : segments[i].last;
    }
    for (std::size_t n = exact_batch_limit + 1; n-- > 1;)
      if (small[n] == executor_kind::sequential) return n;
    return 0;
  }
};

/// Builds the decision table of a kernel under a profile: small batches one by one, larger
/// ones by exponential and binary search (past the small batches, chunking effects are
/// below a percent and the decision is monotone between segments).
constexpr decision_table make_decision_table(const kernel_desc& k, const machine_profile& p,
                                             const call_options& o = {}) noexcept {
  decision_table t;
  for (std::size_t i = 0; i <= exact_batch_limit; ++i) t.small[i] = decide(k, i, p, o).kind;
  std::size_t n = exact_batch_limit + 1;
  executor_kind kind = decide(k, n, p, o).kind;
  while (t.count < t.segments.size()) {
    // Find the first batch size after n whose kind differs.
    std::size_t step = 1;
    std::size_t hi = 0;
    while (n + step <= break_even_search_limit) {
      if (decide(k, n + step, p, o).kind != kind) {
        hi = n + step;
        break;
      }
      step *= 2;
    }
    if (hi == 0) {  // never changes again
      t.segments[t.count++] = {break_even_search_limit, kind};
      break;
    }
    std::size_t lo = n + step / 2;  // same kind as n (or n itself when step == 1)
    if (step == 1) lo = n;
    while (hi - lo > 1) {
      const std::size_t mid = lo + (hi - lo) / 2;
      if (decide(k, mid, p, o).kind == kind) lo = mid;
      else hi = mid;
    }
    t.segments[t.count++] = {lo, kind};
    n = hi;
    kind = decide(k, hi, p, o).kind;
  }
  return t;
}

/// The decision table of kernel `Op` under profile source `P`, computed at compile time.
template <operation Op, profile_source P = default_profile>
inline constexpr decision_table decision_table_v = make_decision_table(describe<Op>(), P::value);

/// The break-even batch of kernel `Op` under `P`: the largest batch that stays sequential.
template <operation Op, profile_source P = default_profile>
inline constexpr std::size_t break_even_v = decision_table_v<Op, P>.break_even();

}  // namespace breakeven
