// breakeven/sink_policy.hpp - the writer's batch size, decided by the break-even rule.
//
// A sink's commit has a fixed cost (a transaction, an fsync, a round trip) and a cost per
// row. A batch of b rows spends commit / (commit + b x row) of its time on the commit: the
// batch is the smallest b that brings that share under the target (a few percent), capped
// so that writing one batch fits in the latency option's linger, and by the bytes a batch
// may hold. The terms are given or measured against the real sink at start-up (one commit
// of 1 row and one of N rows: sink_terms_from_timings). Policy: constexpr, no OS headers.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>

namespace breakeven {

/// What a sink costs: the profile terms of its writer.
struct sink_profile {
  double commit_ns = 2'000'000;  ///< fixed cost of one commit (transaction, fsync, round trip)
  double row_ns = 2'000;         ///< cost of one more row in a commit
  double row_bytes = 64;         ///< bytes of one row as queued
  bool measured = false;         ///< true when timed against the real sink
  bool inconclusive = false;     ///< the start-up timing was noise (a commit no dearer than a row): not used
};

/// What the caller asks of the batches.
struct sink_batch_options {
  double max_overhead = 0.05;       ///< the commit's share of a batch's time the rule aims at
  double linger_ns = 50'000'000;    ///< the longest a row may wait for its batch (latency)
  std::size_t max_rows = 1 << 16;   ///< hard cap on rows per batch
  std::size_t max_bytes = 8 << 20;  ///< hard cap on bytes per batch
  std::size_t forced = 0;           ///< a batch size given by the caller (0: decide)
};

/// What limited the batch.
enum class batch_limit : std::uint8_t { overhead, linger, bytes, max_rows, forced };

/// The writer's batch and the numbers that decided it.
struct sink_decision {
  std::size_t batch = 1;          ///< rows per commit
  std::size_t wanted = 1;         ///< rows the overhead rule alone asks for
  batch_limit limited_by = batch_limit::overhead;
  double overhead_share = 1;      ///< the commit's share of a full batch's time
  double batch_ns = 0;            ///< time to write one full batch
  double rows_per_s = 0;          ///< the writer's throughput at this batch
  sink_profile terms{};
  sink_batch_options options{};
};

namespace detail {
constexpr std::size_t ceil_to_size(double x) {
  if (x <= 1) return 1;
  if (x >= 1e18) return static_cast<std::size_t>(1e18);
  const auto i = static_cast<std::size_t>(x);
  return static_cast<double>(i) < x ? i + 1 : i;
}
constexpr std::size_t floor_to_size(double x) {
  if (x <= 1) return 1;
  if (x >= 1e18) return static_cast<std::size_t>(1e18);
  return static_cast<std::size_t>(x);
}
}  // namespace detail

/// The batch size of a writer with terms `p` under options `o`.
constexpr sink_decision decide_sink_batch(const sink_profile& p, const sink_batch_options& o = {}) {
  sink_decision d;
  d.terms = p;
  d.options = o;
  const double row = p.row_ns > 1e-3 ? p.row_ns : 1e-3;
  const double commit = p.commit_ns > 0 ? p.commit_ns : 0;
  const double t = o.max_overhead > 1e-6 && o.max_overhead < 1 ? o.max_overhead : 0.05;
  // commit / (commit + b row) <= t  <=>  b >= commit (1 - t) / (t row)
  d.wanted = detail::ceil_to_size(commit * (1 - t) / (t * row));
  if (o.forced != 0) {
    d.batch = o.forced;
    d.limited_by = batch_limit::forced;
  } else {
    d.batch = d.wanted;
    d.limited_by = batch_limit::overhead;
    const std::size_t by_linger = detail::floor_to_size((o.linger_ns - commit) / row);
    if (by_linger < d.batch) d.batch = by_linger, d.limited_by = batch_limit::linger;
    const double rb = p.row_bytes > 1 ? p.row_bytes : 1;
    const std::size_t by_bytes = detail::floor_to_size(static_cast<double>(o.max_bytes) / rb);
    if (by_bytes < d.batch) d.batch = by_bytes, d.limited_by = batch_limit::bytes;
    if (o.max_rows != 0 && o.max_rows < d.batch) d.batch = o.max_rows, d.limited_by = batch_limit::max_rows;
  }
  const double b = static_cast<double>(d.batch);
  d.batch_ns = commit + b * row;
  d.overhead_share = d.batch_ns > 0 ? commit / d.batch_ns : 0;
  d.rows_per_s = d.batch_ns > 0 ? b * 1e9 / d.batch_ns : 0;
  return d;
}

/// The terms from two commits timed against the real sink: one of 1 row (`one_ns`) and one
/// of `n` rows (`n_ns`), `bytes` per row. A commit that costs less than a row is no
/// database's: the timings were noise (a stalled fsync in the N-row commit), and the terms
/// of `fallback` are kept, marked inconclusive.
constexpr sink_profile sink_terms_from_timings(double one_ns, double n_ns, std::size_t n, double bytes,
                                               const sink_profile& fallback = {}) {
  sink_profile p;
  p.measured = true;
  p.row_bytes = bytes;
  const double extra = n > 1 ? (n_ns - one_ns) / static_cast<double>(n - 1) : 0;
  p.row_ns = extra > 1 ? extra : 1;  // a row never costs nothing: the rule needs a slope
  p.commit_ns = one_ns - p.row_ns > 0 ? one_ns - p.row_ns : 0;
  if (p.commit_ns < p.row_ns) {
    p = fallback;
    p.row_bytes = bytes;
    p.measured = false;
    p.inconclusive = true;
  }
  return p;
}

namespace detail {
inline std::string format_ns(double ns) {
  char b[48];
  if (ns >= 1e9) std::snprintf(b, sizeof b, "%.2f s", ns / 1e9);
  else if (ns >= 1e6) std::snprintf(b, sizeof b, "%.2f ms", ns / 1e6);
  else if (ns >= 1e3) std::snprintf(b, sizeof b, "%.2f us", ns / 1e3);
  else std::snprintf(b, sizeof b, "%.0f ns", ns);
  return b;
}
}  // namespace detail

/// Why the batch is what it is, in one paragraph.
inline std::string explain(const sink_decision& d) {
  using detail::format_ns;
  char b[640];
  std::string s;
  std::snprintf(b, sizeof b, "writer batch %zu rows: a commit costs %s and a row %s (%s); ", d.batch,
                format_ns(d.terms.commit_ns).c_str(), format_ns(d.terms.row_ns).c_str(),
                d.terms.measured       ? "measured against this sink"
                : d.terms.inconclusive ? "the profile's: timing this sink at start-up was inconclusive"
                                       : "from the given profile, not measured");
  s += b;
  std::snprintf(b, sizeof b, "the commit stays under %.1f%% of a batch from %zu rows", d.options.max_overhead * 100, d.wanted);
  s += b;
  switch (d.limited_by) {
    case batch_limit::overhead: s += ", the smallest such batch"; break;
    case batch_limit::linger:
      s += ", but a batch must be written within the " + format_ns(d.options.linger_ns) + " linger";
      break;
    case batch_limit::bytes:
      std::snprintf(b, sizeof b, ", but a batch holds at most %zu bytes (%.0f per row)", d.options.max_bytes, d.terms.row_bytes);
      s += b;
      break;
    case batch_limit::max_rows:
      std::snprintf(b, sizeof b, ", capped at %zu rows", d.options.max_rows);
      s += b;
      break;
    case batch_limit::forced: s += ", but the caller fixed the batch"; break;
  }
  std::snprintf(b, sizeof b, "; at %zu rows the commit is %.1f%% of %s per batch, %.0f rows/s", d.batch,
                d.overhead_share * 100, format_ns(d.batch_ns).c_str(), d.rows_per_s);
  s += b;
  return s;
}

}  // namespace breakeven
