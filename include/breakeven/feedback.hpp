// breakeven/feedback.hpp - decisions that learn from what they measure.
//
// Every call of `map` / `for_each` times itself already (the statistics); that time is set
// against the estimate of the executor that ran, and the gap is kept per kernel as
// corrections of the terms of its estimates (decide.hpp's model_corrections):
//
//   - work: the kernel's own time, per executor: the sequential executor's runs measure the
//     kernel alone; a parallel executor's own runs give its factor (memory bandwidth, caches,
//     workers slower than the caller); until it has run it borrows the sequential one, or,
//     before any sequential run, the mean of the parallel executors that have run, and
//     until its own runs have measured its work it moves as the sequential one does. A
//     parallel run never teaches the sequential work: one number cannot tell work from
//     transport, and blaming the work would make sequential look as slow as the executor
//     that was mis-estimated (the sequential run that follows settles it);
//   - transport: the terms that grow with the bytes moved (the pipe, copies into shared
//     memory, pages to fault), per executor;
//   - set-up: the terms every call pays (the call, wake-ups, dispatch, a segment), per executor.
//
// One measurement is one number, so the log of measured / estimated is shared among the
// terms in proportion to their part of the estimate: a run whose estimate was mostly
// transport corrects mostly transport. Each term is smoothed (the first sample at full
// weight, then 1/n, then a fixed weight), each step and each factor bounded
// ([1/max_correction, max_correction]), and each executor keeps the spread of its residuals
// (the uncertainty). Declared costs are the prior: with nothing measured, the decision is
// exactly the static one.
//
// Margins shrink with confidence: once the sequential and a parallel executor have both run
// and their residuals' spread is small, the guide's 3x rule and the lecture's 1.2x minimum
// speedup for that executor narrow towards what the spread justifies (explain() says so).
//
// Exploration, bounded: where the runner-up's estimate is close to the winner's and the
// runner-up is not confident yet, a call now and then runs the runner-up (at most
// `explore_share` of a kernel's calls; never a latency-first, forced, asynchronous or
// disabled call; only an admissible candidate). What it cost is counted in the statistics.
//
// One switch turns all of this off: BREAKEVEN_LEARN=0 (settings::learn), or
// call_options::learn = false per call. Nothing is then recorded, nothing corrected, nothing
// explored: every plan is decide()'s static one.
//
// Persistence: corrections are saved with the learned costs into the run-time profile file
// (feedback_registry::save), keyed by kernel name and machine; entries of another machine
// are ignored with a message, malformed ones rejected by the reader (profile_io.hpp).
#pragma once

#include <breakeven/decide.hpp>
#include <breakeven/learn.hpp>
#include <breakeven/operation.hpp>
#include <breakeven/profile_io.hpp>
#include <breakeven/stats.hpp>

#include <algorithm>
#include <array>
#include <atomic>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace breakeven {

/// How decisions learn from measured calls.
struct learn_policy {
  /// Weight of a new measurement once a term has 1/smoothing of them (before: 1/n).
  double smoothing = 0.25;
  /// One call moves a factor by at most this (up or down).
  double max_step = 8;
  /// A parallel executor's margins narrow once the sequential and it have run this many
  /// calls together (each at least once) ...
  std::uint64_t confident_calls = 3;
  /// ... and the spread of their residuals r = log(measured/estimate), sqrt(var_seq + var_exec)
  /// around their means, plus the part of the means that flatters the parallel executor,
  /// is below this.
  double confident_spread = 0.15;
  /// A narrowed margin: exp(margin_sigmas x spread), never below min_margin (speedup) or 1 (3x rule).
  double margin_sigmas = 1.5;
  double min_margin = 1.03;
  /// The runner-up is explored when its estimate is within this share of the winner's ...
  double explore_window = 0.3;
  /// ... on at most this share of the kernel's measured calls, counted over at least
  /// `explore_horizon` calls (so that a new kernel's first calls may check a close runner-up
  /// more than once: one measurement of it can be an outlier).
  double explore_share = 0.15;
  std::uint64_t explore_horizon = 14;
  /// Calls estimated shorter than this teach nothing: the call's fixed cost and the clock
  /// would be most of what they measure.
  double min_feedback_ns = 2'000;
  /// After an executor's first runs, a residual counts at most this many spreads away from
  /// its mean (the spread taken at least `outlier_floor`): one run slowed 1.8x by a moment of
  /// the machine moves an estimate by a few percent, not by a sixth; a lasting change still
  /// comes through, a little more each call as the spread it widens lets it.
  double outlier_sigmas = 2.5;
  double outlier_floor = 0.08;
};

/// True when plan `pl` explores (kernel_feedback::explore changed its executor).
constexpr bool explored(const plan& pl) noexcept {
  return pl.reason_count != 0 && pl.reasons[pl.reason_count - 1].code == reason_code::explored;
}

/// One correction factor, kept as its logarithm.
struct correction_term {
  double log_factor = 0;
  std::uint64_t samples = 0;
  double factor() const noexcept { return std::exp(log_factor); }
  /// Moves the factor by `share` of the residual `log_ratio` (log measured / estimated).
  void update(double log_ratio, double share, const learn_policy& lp) noexcept {
    if (!(share > 0)) return;
    const double n = static_cast<double>(++samples);
    const double alpha = std::max(lp.smoothing, 1.0 / n);
    const double bound = std::log(max_correction);
    log_factor = std::clamp(log_factor + alpha * share * log_ratio, -bound, bound);
  }
};

/// What a kernel's feedback has done: observable through kernel_feedback::stats().
struct feedback_stats {
  std::uint64_t calls = 0;         ///< measured calls folded into the corrections
  std::uint64_t explored = 0;      ///< calls that ran the runner-up to check its estimate
  double explore_cost_ns = 0;      ///< what exploring calls took beyond the winner's estimate
  std::array<std::uint64_t, executor_kind_count> runs{};  ///< measured calls per executor
};

/// The corrections of one kernel: terms per executor, their spread, the exploration budget.
/// Safe to use from several threads.
class kernel_feedback {
 public:
  explicit kernel_feedback(std::string kernel) : kernel_(std::move(kernel)) {}

  const std::string& kernel() const noexcept { return kernel_; }

  /// Folds one measured call into the corrections: plan `pl` (decided in full) ran on
  /// `ran` and took `measured_ns`.
  void record(const plan& pl, executor_kind ran, double measured_ns, const learn_policy& lp = {}) {
    const candidate& c = pl.of(ran);
    const double est = c.estimate_ns();
    if (!(est >= lp.min_feedback_ns) || !(measured_ns > 0)) return;
    const std::lock_guard lock(m_);
    const auto k = static_cast<std::size_t>(ran);
    const double r = bounded_residual(k, std::log(measured_ns / est), lp);
    if (ran == executor_kind::sequential) {
      if (early_start(0, c.work_ns, 0, 0, measured_ns, lp)) return;
      work_[0].update(r, 1, lp);
      follow_sequential();
    } else {
      if (work_[k].samples == 0) {
        work_[k].log_factor = borrowed_work();  // what its estimate used
        following_[k] = work_[0].samples != 0;
        followed_at_[k] = work_[0].log_factor;
      }
      // Its own evidence of its work: a run whose estimate was all work counts whole.
      own_work_[k] += c.work_ns / est;
      if (own_work_[k] >= 1) following_[k] = false;
      const double transport = c.transport_ns, setup = std::max(0.0, c.overhead_ns - transport);
      if (early_start(k, c.work_ns, transport, setup, measured_ns, lp)) return;
      work_[k].update(r, c.work_ns / est, lp);
      transport_[k].update(r, transport / est, lp);
      setup_[k].update(r, setup / est, lp);
    }
    count_run(k, r, lp);
  }

  /// True when a fast-path sequential call whose uncorrected work is `estimate_ns` can teach
  /// anything: the fast path runs while the work factor is at most 1.05, so a smaller
  /// estimate stays under min_feedback_ns. The caller asks before converting its time.
  static bool sequential_teaches(double estimate_ns, const learn_policy& lp = {}) noexcept {
    return estimate_ns * 1.05 >= lp.min_feedback_ns;
  }

  /// Folds one sequential call taken on the fast path (no candidates): `estimate_ns` is
  /// the uncorrected work (declared cost x items).
  void record_sequential(double estimate_ns, double measured_ns, const learn_policy& lp = {}) {
    if (!sequential_teaches(estimate_ns, lp) || !(measured_ns > 0)) return;
    const std::lock_guard lock(m_);
    const double est = estimate_ns * work_[0].factor();
    if (!(est >= lp.min_feedback_ns)) return;
    if (early_start(0, est, 0, 0, measured_ns, lp)) return;
    const double r = bounded_residual(0, std::log(measured_ns / est), lp);
    work_[0].update(r, 1, lp);
    follow_sequential();
    count_run(0, r, lp);
  }

  /// The corrections the next decision uses (nothing measured: the identity).
  model_corrections corrections() const {
    const std::lock_guard lock(m_);
    return current_;
  }

  /// False while the compile-time fast path (declared costs) still gives this kernel's
  /// decision: its work measured no costlier than declared. One relaxed load.
  bool leaves_fast_path() const noexcept { return leaves_fast_path_.load(std::memory_order_relaxed); }

  /// The batch below which this kernel's calls are surely sequential with its corrections,
  /// once it has left the fast path (call.hpp's learn_fast_limit finds it): those calls take
  /// the fast path again. 0 while not known. One relaxed load.
  std::size_t learned_fast_limit() const noexcept {
    const std::size_t stored = fast_limit_.load(std::memory_order_relaxed);
    return stored != 0 ? stored - 1 : 0;
  }

  /// True when a full call of `n` items that ran sequentially should look for that limit:
  /// the kernel left the fast path, and the limit is not known, or known only below `n`.
  bool needs_fast_limit(std::size_t n) const {
    if (!leaves_fast_path()) return false;
    const std::lock_guard lock(m_);
    const std::size_t stored = fast_limit_.load(std::memory_order_relaxed);
    return stored == 0 || (!fast_limit_complete_ && n + 1 >= stored);
  }

  /// Keeps the limit found with the corrections of `at_calls` measured calls (ignored when
  /// more came in meanwhile), valid while the sequential work factor stays under
  /// `work_bound` and no parallel executor runs; `complete`: no batch from `limit` up is
  /// surely sequential (else: only the batches under it were checked).
  void set_learned_fast_limit(std::size_t limit, bool complete, std::uint64_t at_calls, double work_bound) {
    const std::lock_guard lock(m_);
    if (current_.calls != at_calls) return;
    fast_limit_work_ = work_bound;
    fast_limit_complete_ = complete;
    fast_limit_.store(limit + 1, std::memory_order_relaxed);
  }

  /// How far past the winner's estimate exploration looks at executor `k`: (1 + window) x
  /// what its own runs leave unsure (explore() below).
  double explore_reach(executor_kind k, const learn_policy& lp = {}) const {
    const std::lock_guard lock(m_);
    return reach_of(static_cast<std::size_t>(k), lp);
  }

  /// True when executor `k`'s corrections are confident enough to narrow its margins.
  bool confident(executor_kind k) const {
    const std::lock_guard lock(m_);
    return current_.of(current_.min_speedup, k) >= 1;
  }

  /// The executor this call runs: the plan's, or, when the policy explores, its runner-up
  /// (then the plan is changed to it, and the exploration counted).
  plan explore(const plan& pl, const call_options& o, const learn_policy& lp = {}) {
    if (o.force || o.async || o.disabled || !o.learn || o.prio != priority::throughput) return pl;
    if (pl.disabled || pl.needs_measurement || pl.runner_up == pl.kind || !pl.runnable()) return pl;
    const candidate& w = pl.of(pl.kind);
    const candidate& r = pl.of(pl.runner_up);
    if (!r.admissible || !(w.estimate_ns() >= lp.min_feedback_ns)) return pl;
    {
      const std::lock_guard lock(m_);
      const auto ru = static_cast<std::size_t>(pl.runner_up);
      if (runs_[static_cast<std::size_t>(pl.kind)] == 0) return pl;  // the winner not measured yet
      // Enough known: the pair's margins narrowed, and the runner-up estimated no faster
      // than the winner (a faster one held back by its margin is worth another look: one
      // more run narrows it), or the runner-up measured as many runs as the smoothing keeps.
      const auto sure = [&](executor_kind e) { return e == executor_kind::sequential || current_.of(current_.min_speedup, e) >= 1; };
      if (sure(pl.kind) && sure(pl.runner_up) && r.estimate_ns() >= w.estimate_ns()) return pl;
      if (static_cast<double>(runs_[ru]) >= kept_window(lp)) return pl;
      // Within the window, given what is known of the runner-up: its runs so far widen the
      // window by their spread (a single slow run must not rule it out for good).
      if (!(r.estimate_ns() <= reach_of(ru, lp) * w.estimate_ns())) return pl;
      const double horizon = static_cast<double>(std::max(calls_ + 1, lp.explore_horizon));
      if (static_cast<double>(explored_ + 1) > lp.explore_share * horizon) return pl;
      ++explored_;
    }
    return explore_as(pl, pl.runner_up);
  }

  /// Counts what an exploring call cost beyond the winner's estimate (`winner_ns`).
  void count_exploration_cost(double measured_ns, double winner_ns) {
    const double extra = measured_ns > winner_ns ? measured_ns - winner_ns : 0;
    {
      const std::lock_guard lock(m_);
      explore_cost_ns_ += extra;
    }
    record_exploration(static_cast<std::uint64_t>(extra));
  }

  feedback_stats stats() const {
    const std::lock_guard lock(m_);
    return {calls_, explored_, explore_cost_ns_, runs_};
  }

  /// The corrections as a profile file stores them, measured on `machine`.
  correction_entry entry(const std::string& machine) const {
    const std::lock_guard lock(m_);
    correction_entry e{kernel_, machine, {}};
    for (std::size_t k = 0; k < executor_kind_count; ++k) {
      correction_record& r = e.executors[k];
      r.work = work_[k].factor();
      r.transport = transport_[k].factor();
      r.setup = setup_[k].factor();
      r.spread = std::min(10.0, std::sqrt(var_[k] + mean_[k] * mean_[k]));  // bias and noise alike
      r.runs = runs_[k];
    }
    return e;
  }

  /// Starts from stored corrections (ignored when this kernel has measured already). Each
  /// term counts as at most 1/smoothing samples, so new measurements still move it.
  void seed(const correction_entry& e, const learn_policy& lp = {}) {
    const std::lock_guard lock(m_);
    if (calls_ != 0) return;
    const auto cap = static_cast<std::uint64_t>(1 / std::max(lp.smoothing, 1e-3));
    const double bound = std::log(max_correction);
    const auto term = [&](correction_term& t, double f, std::uint64_t runs) {
      t.log_factor = std::clamp(std::log(f), -bound, bound);
      t.samples = std::min(runs, cap);
    };
    for (std::size_t k = 0; k < executor_kind_count; ++k) {
      const correction_record& r = e.executors[k];
      if (r.runs == 0) continue;
      term(work_[k], r.work, r.runs);
      if (k != 0) {
        term(transport_[k], r.transport, r.runs);
        term(setup_[k], r.setup, r.runs);
      }
      runs_[k] = std::min(r.runs, cap);
      var_[k] = r.spread * r.spread;
      mean_[k] = 0;
      calls_ += runs_[k];
    }
    fast_limit_.store(0, std::memory_order_relaxed);
    refresh(lp);
  }

  /// Forgets every correction and counter.
  void reset() {
    const std::lock_guard lock(m_);
    work_ = transport_ = setup_ = {};
    var_ = {};
    mean_ = {};
    runs_ = {};
    early_ = {};
    early_count_ = {};
    start_ = {};
    following_ = {};
    followed_at_ = {};
    own_work_ = {};
    calls_ = explored_ = 0;
    explore_cost_ns_ = 0;
    current_ = {};
    fast_limit_.store(0, std::memory_order_relaxed);
    fast_limit_work_ = 0;
    fast_limit_complete_ = false;
    leaves_fast_path_.store(false, std::memory_order_relaxed);
  }

 private:
  static constexpr std::size_t early_runs = 3;  // folded by their median (early_start)

  static double clamp_step(double r, const learn_policy& lp) noexcept {
    const double most = std::log(std::max(lp.max_step, 1.0));
    return std::isfinite(r) ? std::clamp(r, -most, most) : 0;
  }

  // Residual `r` (log measured / estimated) of a run of executor `k`, bounded: one step at
  // most max_step, and once its early runs are in (their median already ignores one outlier),
  // at most outlier_sigmas spreads from its mean. The spread is then kept from the bounded
  // residuals too, so a lone outlier widens it little; a lasting change widens it run by
  // run, and the bound with it. m_ held.
  double bounded_residual(std::size_t k, double r, const learn_policy& lp) const noexcept {
    r = clamp_step(r, lp);
    if (runs_[k] < early_runs) return r;
    const double reach = lp.outlier_sigmas * std::max(lp.outlier_floor, std::sqrt(var_[k]));
    return std::clamp(r, mean_[k] - reach, mean_[k] + reach);
  }

  // The log work factor of an executor that has not run: the sequential one once it has run,
  // else the mean of the parallel executors that have; m_ held.
  double borrowed_work() const noexcept {
    if (work_[0].samples != 0) return work_[0].log_factor;
    double sum = 0;
    int ran = 0;
    for (std::size_t k = 1; k < executor_kind_count; ++k)
      if (work_[k].samples != 0) sum += work_[k].log_factor, ++ran;
    return ran ? sum / ran : 0;
  }

  // What executor `k`'s runs leave unsure of its estimate, as a factor: exp(their spread),
  // at most e; 1 before it has run; m_ held.
  double unsure_of(std::size_t k) const noexcept {
    return runs_[k] != 0 ? std::exp(std::min(1.0, std::sqrt(var_[k]))) : 1.0;
  }

  // How far past the winner's estimate exploration looks at executor `k`: the one rule that
  // explore() applies and that the learned fast-path limit (explore_reach) must stay clear
  // of; m_ held.
  double reach_of(std::size_t k, const learn_policy& lp) const noexcept {
    return (1 + lp.explore_window) * unsure_of(k);
  }

  // The fast-path limit stands while the sequential work stays under the factor it was
  // found with and no parallel executor runs (a run of `k` is being counted); m_ held.
  void check_fast_limit(std::size_t k) noexcept {
    if (k != 0 || work_[0].factor() > fast_limit_work_) fast_limit_.store(0, std::memory_order_relaxed);
  }

  // How many runs executor `k`'s means stand on: all of them at first, then as many as the
  // smoothing keeps (2/smoothing - 1, the exponential window's equivalent); m_ held.
  static double kept_window(const learn_policy& lp) noexcept { return 2 / std::max(lp.smoothing, 1e-3) - 1; }
  double kept_runs(std::size_t k, const learn_policy& lp) const noexcept {
    return std::clamp(static_cast<double>(runs_[k]), 1.0, kept_window(lp));
  }

  // The median of the first `n` values of `v` (1 <= n <= early_runs).
  static double median_of_first(std::array<double, early_runs> v, std::size_t n) noexcept {
    return detail::median_in_place({v.data(), n});
  }

  // An executor's first `early_runs` runs (none seeded from a file) set its terms from the
  // median of their residuals against the model it started from, not from their mean: the
  // first run of an executor is often its slowest (a cold moment of the machine), and a mean
  // would carry that one run for many calls. `work`, `transport`, `setup` are this run's
  // corrected terms (their sum the estimate); true when the run was folded in here; m_ held.
  bool early_start(std::size_t k, double work, double transport, double setup, double measured_ns,
                   const learn_policy& lp) {
    const std::size_t i = runs_[k];
    if (i >= early_runs || early_count_[k] != i) return false;
    if (i == 0) start_[k] = {work_[k], transport_[k], setup_[k]};
    const auto& [w0, t0, s0] = start_[k];
    // This run's estimate under the starting model, and its residual against it.
    const double est0 = work * std::exp(w0.log_factor - work_[k].log_factor) +
                        transport * std::exp(t0.log_factor - transport_[k].log_factor) +
                        setup * std::exp(s0.log_factor - setup_[k].log_factor);
    const double est = work + transport + setup;
    if (!(est0 > 0) || !(est > 0)) return false;
    early_[k][i] = clamp_step(std::log(measured_ns / est0), lp);
    const std::size_t n = i + 1;
    const double med = median_of_first(early_[k], n);
    // The terms: the starting ones moved once, at full weight, by the median.
    const double bound = std::log(max_correction);
    const auto set = [&](correction_term& t, const correction_term& from, double share) {
      t.log_factor = share > 0 ? std::clamp(from.log_factor + share * med, -bound, bound) : from.log_factor;
      t.samples = share > 0 ? n : from.samples;
    };
    set(work_[k], w0, work / est);
    set(transport_[k], t0, transport / est);
    set(setup_[k], s0, setup / est);
    // The residuals' mean and spread: the median, and the median absolute deviation from it
    // (x 1.4826, a normal spread's scale), which one slow run does not inflate either. One
    // run says nothing of the noise: assume it as large as the residual.
    std::array<double, early_runs> dev{};
    for (std::size_t j = 0; j < n; ++j) dev[j] = std::abs(early_[k][j] - med);
    const double mad = 1.4826 * median_of_first(dev, n);
    mean_[k] = med;
    var_[k] = n == 1 ? med * med : mad * mad;
    ++runs_[k];
    ++early_count_[k];
    ++calls_;
    if (k == 0) follow_sequential();
    check_fast_limit(k);
    refresh(lp);
    return true;
  }

  // A parallel executor that first ran after sequential had run took sequential's work
  // factor of that moment (borrowed_work). Until its own runs have measured its work, as much
  // as one run that was all work, its work term moves as sequential's does: a kernel's first
  // sequential calls can measure several times its cost (6x for the demo's tokenizer, a cold
  // moment) and settle over many calls, while an executor whose set-up dominates its estimate
  // (a small batch) barely moves its work term with its own runs; a term that stopped
  // following would price every larger batch as dear (the demo's tokenizer stayed sequential
  // at 100,000 items, 42.8 ms against the pool's 31.6). m_ held.
  void follow_sequential() {
    const double bound = std::log(max_correction);
    for (std::size_t j = 1; j < executor_kind_count; ++j) {
      if (!following_[j]) continue;
      const double shift = work_[0].log_factor - followed_at_[j];
      work_[j].log_factor = std::clamp(work_[j].log_factor + shift, -bound, bound);
      start_[j][0].log_factor = std::clamp(start_[j][0].log_factor + shift, -bound, bound);
      followed_at_[j] = work_[0].log_factor;
    }
  }

  // Counts one measured run of executor `k` with residual `r` (log measured / estimated):
  // their mean and the spread around it, the calls, then the corrections; m_ held.
  void count_run(std::size_t k, double r, const learn_policy& lp) {
    const double alpha = std::max(lp.smoothing, 1.0 / static_cast<double>(++runs_[k]));
    if (runs_[k] == 1) {
      mean_[k] = r;
      var_[k] = r * r;  // one run says nothing of the noise: assume it as large as the residual
    } else {
      const double d = r - mean_[k];
      mean_[k] += alpha * d;
      var_[k] = (1 - alpha) * (var_[k] + alpha * d * d);
    }
    ++calls_;
    check_fast_limit(k);
    refresh(lp);
  }

  // Recomputes the corrections the next decision uses; m_ held.
  void refresh(const learn_policy& lp) {
    model_corrections mc;
    mc.calls = calls_;
    // Only the terms that measured anything cost an exp(): a kernel that only ever ran
    // sequentially (the fast path's calls) pays one.
    const double w = work_[0].samples != 0 ? work_[0].factor() : 1;
    const double b = borrowed_work();
    const double borrowed = b == work_[0].log_factor ? w : std::exp(b);
    for (std::size_t k = 1; k < executor_kind_count; ++k) {
      mc.work[k] = work_[k].samples != 0 ? work_[k].factor() : borrowed;
      if (transport_[k].samples != 0) mc.transport[k] = transport_[k].factor();
      if (setup_[k].samples != 0) mc.setup[k] = setup_[k].factor();
    }
    mc.work[0] = w;
    for (std::size_t k = 1; k < executor_kind_count; ++k) {
      if (runs_[0] == 0 || runs_[k] == 0 || runs_[0] + runs_[k] < lp.confident_calls) continue;
      // The noise of both, and the part of their bias that flatters the parallel executor
      // (it ran slower than estimated, or sequential faster): a residual that says the
      // executor is faster than its estimate is the corrections' to absorb, not a reason
      // for a wider margin. (Counting it made a kernel whose shared-memory runs were
      // steadily 10 - 15% under their estimate lose its narrowed margin as they came in.)
      // The noise counts as the uncertainty of the corrected estimates, the means: a run's
      // variance over the runs the smoothing keeps (1/n at first, then 2/alpha - 1 of them).
      const double adverse_k = std::max(0.0, mean_[k]), adverse_0 = std::max(0.0, -mean_[0]);
      const double spread = std::sqrt(var_[0] / kept_runs(0, lp) + adverse_0 * adverse_0 +
                                      var_[k] / kept_runs(k, lp) + adverse_k * adverse_k);
      if (!(spread <= lp.confident_spread)) continue;
      const double margin = std::exp(lp.margin_sigmas * spread);
      mc.min_speedup[k] = std::max(lp.min_margin, margin);
      mc.overhead_factor[k] = std::max(1.0, margin);
      mc.spread[k] = spread;
    }
    current_ = mc;
    leaves_fast_path_.store(w > 1.05, std::memory_order_relaxed);
  }

  std::string kernel_;
  mutable std::mutex m_;
  std::array<correction_term, executor_kind_count> work_{}, transport_{}, setup_{};
  std::array<double, executor_kind_count> mean_{}, var_{};  // of the residuals, per executor
  std::array<std::uint64_t, executor_kind_count> runs_{};
  std::array<std::array<double, early_runs>, executor_kind_count> early_{};  // their residuals
  std::array<std::uint64_t, executor_kind_count> early_count_{};             // runs folded by early_start
  std::array<std::array<correction_term, 3>, executor_kind_count> start_{};  // the terms before them
  std::array<bool, executor_kind_count> following_{};       // work term moves as sequential's does
  std::array<double, executor_kind_count> followed_at_{};   // ... from this log factor of sequential's
  std::array<double, executor_kind_count> own_work_{};      // its runs' work shares, summed
  std::uint64_t calls_ = 0, explored_ = 0;
  double explore_cost_ns_ = 0;
  model_corrections current_{};
  std::atomic<bool> leaves_fast_path_{false};
  std::atomic<std::size_t> fast_limit_{0};  // learned_fast_limit() + 1; 0: not known
  double fast_limit_work_ = 0;              // ... stands while work_[0] stays under this
  bool fast_limit_complete_ = false;
};

/// The process's corrections, one per kernel name, seeded from the run-time profile's
/// entries measured on this machine. References stay valid as long as the registry.
class feedback_registry {
 public:
  /// An empty registry for machine `machine` (the key its entries are saved and loaded under).
  explicit feedback_registry(std::string machine = {}) : machine_(std::move(machine)) {}

  const std::string& machine() const noexcept { return machine_; }

  /// The feedback of the kernel called `kernel`, created on first use.
  kernel_feedback& model(std::string_view kernel) {
    const std::lock_guard lock(m_);
    auto it = models_.find(kernel);
    if (it == models_.end()) {
      it = models_.emplace(std::string(kernel), std::make_unique<kernel_feedback>(std::string(kernel))).first;
      if (auto s = stored_.find(kernel); s != stored_.end()) it->second->seed(s->second);
    }
    return *it->second;
  }

  template <operation Op>
  kernel_feedback& of() {
    return model(kernel_traits<Op>::name);
  }

  /// Stored corrections to start from. Entries measured on another machine are not used:
  /// each gives one line in the returned messages (the caller logs them).
  std::vector<std::string> preload(const std::vector<correction_entry>& stored) {
    std::vector<std::string> refused;
    const std::lock_guard lock(m_);
    for (const auto& e : stored) {
      if (e.machine != machine_) {
        refused.push_back("corrections of \"" + e.kernel + "\" were measured on machine \"" + e.machine +
                          "\", not on this one (\"" + machine_ + "\"): ignored");
        continue;
      }
      stored_.insert_or_assign(e.kernel, e);
      if (auto it = models_.find(e.kernel); it != models_.end()) it->second->seed(e);
    }
    return refused;
  }

  /// Every kernel's corrections, sorted by name (stored ones not used in this process too).
  std::vector<correction_entry> entries() const {
    const std::lock_guard lock(m_);
    std::map<std::string, correction_entry, std::less<>> all(stored_.begin(), stored_.end());
    for (const auto& [name, model] : models_)
      if (model->stats().calls != 0) all.insert_or_assign(name, model->entry(machine_));
    std::vector<correction_entry> out;
    for (auto& [name, e] : all) out.push_back(std::move(e));
    return out;
  }

  /// Writes `profile`, the learned costs of `costs` and these corrections to `path` (a
  /// run-time profile file); throws profile_error when the file cannot be written.
  void save(const std::string& path, const machine_profile& profile, const learned_costs& costs) const {
    write_profile_file(path, profile_json(profile, costs.entries(), {}, entries()));
  }

  /// Forgets every correction (stored ones included).
  void reset() {
    const std::lock_guard lock(m_);
    stored_.clear();
    for (auto& [name, model] : models_) model->reset();
  }

 private:
  std::string machine_;
  mutable std::mutex m_;
  std::map<std::string, std::unique_ptr<kernel_feedback>, std::less<>> models_;
  std::map<std::string, correction_entry, std::less<>> stored_;
};

}  // namespace breakeven
