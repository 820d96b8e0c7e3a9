// breakeven/learn.hpp - learned costs for kernels whose cost trait is unknown
// (`static constexpr auto cost = breakeven::unknown_cost;`), and the spread of item costs.
//
// The first call on such a kernel runs items spread over the batch sequentially, timing each
// (a *probe*): it goes on until the mean is known to within ~20% (the relative standard error
// of the measured item costs) or its time budget is spent, the budget being a small share of
// the work at which parallelism starts to pay or of the batch's estimated work, whichever is
// larger. The spread of the measured costs gives the kernel's variance where it declares none
// (coefficient of variation -> low, medium, high), so items of very different costs get
// dynamic chunks. Each kernel keeps its estimate across calls in the process (an
// exponentially weighted moving average), so later calls decide at once, without probing.
// Estimates can be saved into the run-time profile file and are read back from it
// (BREAKEVEN_PROFILE), so a later process starts with them. Items of variable size
// (`static std::size_t bytes_in(const input_type&)`) are costed per input byte, so a batch of
// large items is estimated as such.
//
// The map() entry point calls one function: `learned_describe(op, in, out, profile)`.
#pragma once

#include <breakeven/decide.hpp>
#include <breakeven/operation.hpp>
#include <breakeven/profile.hpp>
#include <breakeven/profile_io.hpp>
#include <breakeven/stats.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <map>
#include <memory>
#include <mutex>
#include <ranges>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace breakeven {

/// How much a first call may spend measuring before it decides.
struct probe_policy {
  /// Probing stops once it has taken this share of the break-even work (the work at which
  /// the cheapest parallel executor starts to pay, from the profile).
  double budget_fraction = 0.1;
  /// ... or, if larger, this share of the batch's estimated work (the mean so far times
  /// the batch size): a large batch affords the items that make its estimate reliable.
  double batch_fraction = 0.02;
  /// Probing stops once the relative standard error of the mean item cost is below this.
  double target_error = 0.2;
  /// ... or once this many items are measured (whichever comes first), and never fewer
  /// than min_items while items remain.
  std::size_t max_items = 64;
  std::size_t min_items = 2;
  /// Weight of a new measurement in the moving average (1: keep only the latest).
  double smoothing = 0.25;
};

/// What a kernel's cost model has done: observable through cost_model::stats().
struct cost_stats {
  std::uint64_t probe_calls = 0;      ///< calls that probed before deciding
  std::uint64_t probed_items = 0;     ///< items run sequentially by probes
  double probe_ns = 0;                ///< time spent in probes
  std::uint64_t estimated_calls = 0;  ///< calls decided from an existing estimate, without probing
  std::uint64_t records = 0;          ///< measurements folded into the estimate
};

/// The learned cost of one kernel: a smoothed estimate per item (and per input byte for
/// variable-size items), and counters. Safe to use from several threads.
class cost_model {
 public:
  explicit cost_model(std::string kernel, double smoothing = probe_policy{}.smoothing)
      : kernel_(std::move(kernel)), alpha_(std::clamp(smoothing, 0.0, 1.0)) {}

  const std::string& kernel() const noexcept { return kernel_; }

  /// True while there is no estimate: the next call must measure first.
  bool needs_probe() const {
    const std::lock_guard lock(m_);
    return samples_ == 0;
  }

  /// Folds one sequential timing into the estimate: `items` items took `ns` nanoseconds and
  /// carried `bytes` bytes of input (0 when the size is fixed or unknown).
  void record(std::size_t items, double ns, double bytes = 0) {
    if (items == 0 || !(ns >= 0)) return;
    const std::lock_guard lock(m_);
    const double per_item = ns / static_cast<double>(items);
    const double per_byte = bytes > 0 ? ns / bytes : 0;
    if (samples_ == 0) {
      ns_per_item_ = per_item;
      ns_per_byte_ = per_byte;
    } else {
      ns_per_item_ += alpha_ * (per_item - ns_per_item_);
      if (per_byte > 0) ns_per_byte_ = ns_per_byte_ > 0 ? ns_per_byte_ + alpha_ * (per_byte - ns_per_byte_) : per_byte;
    }
    ++samples_;
    ++stats_.records;
  }

  /// The estimated cost per item in nanoseconds; -1 while there is none.
  double estimate_ns() const {
    const std::lock_guard lock(m_);
    return samples_ == 0 ? -1 : ns_per_item_;
  }

  /// The estimated cost per item of a batch of `items` items carrying `bytes` bytes of input
  /// in all: per byte when the kernel was learned per byte, else per item; -1 while unknown.
  double estimate_ns(std::size_t items, double bytes) const {
    const std::lock_guard lock(m_);
    if (samples_ == 0) return -1;
    if (ns_per_byte_ > 0 && bytes > 0 && items > 0) return ns_per_byte_ * bytes / static_cast<double>(items);
    return ns_per_item_;
  }

  /// Notes the coefficient of variation of measured item costs (standard deviation / mean).
  void record_spread(double cv) {
    if (!(cv >= 0)) return;
    const std::lock_guard lock(m_);
    cv_ = cv_ < 0 ? cv : cv_ + alpha_ * (cv - cv_);
  }
  /// The coefficient of variation of item costs measured so far; -1 when none was.
  double spread() const {
    const std::lock_guard lock(m_);
    return cv_;
  }

  /// Counts a probe (items, time) in the statistics; record() folds it into the estimate.
  void count_probe(std::size_t items, double ns) {
    const std::lock_guard lock(m_);
    ++stats_.probe_calls;
    stats_.probed_items += items;
    stats_.probe_ns += ns;
  }
  /// Counts a call decided from the existing estimate.
  void count_estimated_call() {
    const std::lock_guard lock(m_);
    ++stats_.estimated_calls;
  }

  cost_stats stats() const {
    const std::lock_guard lock(m_);
    return stats_;
  }

  /// The estimate as a profile file stores it.
  learned_entry entry() const {
    const std::lock_guard lock(m_);
    return {kernel_, ns_per_item_, ns_per_byte_, samples_};
  }

  /// Starts from a stored estimate (ignored when this model has measured already).
  void seed(const learned_entry& e) {
    const std::lock_guard lock(m_);
    if (samples_ != 0 || e.samples == 0) return;
    ns_per_item_ = e.ns_per_item;
    ns_per_byte_ = e.ns_per_byte;
    samples_ = e.samples;
  }

  /// Forgets the estimate and the counters.
  void reset() {
    const std::lock_guard lock(m_);
    ns_per_item_ = ns_per_byte_ = 0;
    cv_ = -1;
    samples_ = 0;
    stats_ = {};
  }

 private:
  std::string kernel_;
  double alpha_;
  mutable std::mutex m_;
  double ns_per_item_ = 0;
  double ns_per_byte_ = 0;
  double cv_ = -1;
  std::uint64_t samples_ = 0;
  cost_stats stats_;
};

/// What reading the steady clock twice costs (ns): the least of a few tries, measured once.
/// A probe subtracts it from each item's time, so that tiny items are not costed as clocks.
inline double clock_overhead_ns() {
  static const double overhead = [] {
    double least = 1e9;
    for (int i = 0; i < 16; ++i) {
      const auto a = std::chrono::steady_clock::now();
      const auto b = std::chrono::steady_clock::now();
      least = std::min(least, std::chrono::duration<double, std::nano>(b - a).count());
    }
    return least;
  }();
  return overhead;
}

/// Items measured faster than this (ns) give no variance: the clock's jitter would.
inline constexpr double min_spread_item_ns = 2'000;

namespace detail {
/// The median of `v` (reordered; not empty): its middle value, or the mean of the middle two.
inline double median_in_place(std::span<double> v) noexcept {
  std::sort(v.begin(), v.end());
  const std::size_t h = v.size() / 2;
  return v.size() % 2 == 1 ? v[h] : (v[h - 1] + v[h]) / 2;
}
}  // namespace detail

/// The variance class of item costs whose coefficient of variation (standard deviation /
/// mean) is `cv`: below 0.3 low, below 1 medium, else high (a few items cost many times the
/// others).
constexpr variance variance_of_spread(double cv) noexcept {
  return cv < 0.3 ? variance::low : (cv < 1.0 ? variance::medium : variance::high);
}

/// Mean and spread of item costs (Welford's running moments).
struct cost_spread {
  std::size_t n = 0;
  double mean = 0;
  double m2 = 0;
  void add(double x) noexcept {
    ++n;
    const double d = x - mean;
    mean += d / static_cast<double>(n);
    m2 += d * (x - mean);
  }
  /// The sample standard deviation (0 below two items).
  double stddev() const noexcept;
  /// Standard deviation over mean; 0 while the mean is 0.
  double cv() const noexcept { return mean > 0 ? stddev() / mean : 0; }
  /// The relative standard error of the mean: cv / sqrt(n).
  double relative_error() const noexcept;
};

inline double cost_spread::stddev() const noexcept {
  return n < 2 ? 0 : std::sqrt(m2 / static_cast<double>(n - 1));
}
inline double cost_spread::relative_error() const noexcept {
  return n == 0 ? 1 : cv() / std::sqrt(static_cast<double>(n));
}

/// The i-th of `n` indices spread over a batch: 0, n/2, n/4, 3n/4, ... (the van der Corput
/// sequence), so that any prefix of the sequence samples the whole batch.
constexpr std::size_t spread_index(std::size_t i, std::size_t n) noexcept {
  double v = 0, f = 0.5;
  for (std::size_t k = i; k != 0; k >>= 1, f /= 2)
    if (k & 1) v += f;
  const auto at = static_cast<std::size_t>(v * static_cast<double>(n));
  return at < n ? at : n - 1;
}

/// The process's cost models, one per kernel name, seeded from the run-time profile's
/// learned costs. Models live as long as the registry: references stay valid.
class learned_costs {
 public:
  learned_costs() = default;
  explicit learned_costs(const std::vector<learned_entry>& stored) { preload(stored); }

  /// The registry of this process, seeded from BREAKEVEN_PROFILE's learned costs.
  static learned_costs& global() {
    static learned_costs registry(environment_profile().learned);
    return registry;
  }

  /// The model of the kernel called `kernel`, created on first use.
  cost_model& model(std::string_view kernel) {
    const std::lock_guard lock(m_);
    auto it = models_.find(kernel);
    if (it == models_.end()) {
      it = models_.emplace(std::string(kernel), std::make_unique<cost_model>(std::string(kernel))).first;
      if (auto s = stored_.find(kernel); s != stored_.end()) it->second->seed(s->second);
    }
    return *it->second;
  }

  /// The model of kernel `Op` (by kernel_traits<Op>::name).
  template <operation Op>
  cost_model& of() {
    return model(kernel_traits<Op>::name);
  }

  /// Stored estimates to start from; models that have not measured yet take them now.
  void preload(const std::vector<learned_entry>& stored) {
    const std::lock_guard lock(m_);
    for (const auto& e : stored) {
      stored_.insert_or_assign(e.kernel, e);
      if (auto it = models_.find(e.kernel); it != models_.end()) it->second->seed(e);
    }
  }

  /// Every estimate there is, sorted by kernel name (stored ones not used in this process too).
  std::vector<learned_entry> entries() const {
    const std::lock_guard lock(m_);
    std::map<std::string, learned_entry, std::less<>> all(stored_.begin(), stored_.end());
    for (const auto& [name, model] : models_) {
      learned_entry e = model->entry();
      if (e.samples != 0) all.insert_or_assign(name, std::move(e));
    }
    std::vector<learned_entry> out;
    for (auto& [name, e] : all) out.push_back(std::move(e));
    return out;
  }

  /// Writes `profile` and every learned estimate to `path` (a run-time profile file);
  /// throws profile_error when the file cannot be written.
  void save(const std::string& path, const machine_profile& profile) const;

  /// Forgets every estimate and counter (stored ones included).
  void reset() {
    const std::lock_guard lock(m_);
    stored_.clear();
    for (auto& [name, model] : models_) model->reset();
  }

 private:
  mutable std::mutex m_;
  std::map<std::string, std::unique_ptr<cost_model>, std::less<>> models_;
  std::map<std::string, learned_entry, std::less<>> stored_;
};

/// Writes profile file text `text` to `path` through a temporary file renamed over it;
/// throws profile_error when it cannot.
inline void write_profile_file(const std::string& path, const std::string& text) {
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << text;
    out.flush();
    if (!out) throw profile_error(path + ": cannot write the profile file");
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    std::remove(tmp.c_str());
    throw profile_error(path + ": cannot replace the profile file");
  }
}

inline void learned_costs::save(const std::string& path, const machine_profile& profile) const {
  write_profile_file(path, profile_json(profile, entries()));
}

/// The work at which the cheapest parallel executor of `p` starts to pay: the profile's
/// overhead factor (at least 1) times the overhead of one cold call on all cores.
constexpr double break_even_work_ns(const machine_profile& p) noexcept {
  const double workers = p.cores < 1 ? 1.0 : static_cast<double>(p.cores);
  const double threads = p.call_overhead_ns + p.wake_ns + p.thread_dispatch_ns * workers;
  const double processes = p.call_overhead_ns + p.wake_ns + p.process_dispatch_ns * workers;
  const double factor = p.overhead_factor < 1 ? 1.0 : p.overhead_factor;
  return factor * (threads < processes ? threads : processes);
}

/// What learned_describe() did: the kernel's description with its cost filled in, and
/// which items it has already run (their outputs are written).
struct learned_description {
  kernel_desc desc;
  std::size_t done = 0;   ///< items already run by the probe: the plan is for the rest
  std::vector<std::size_t> probed_items;  ///< their indices, ascending
  bool probed = false;    ///< this call measured (the first call, or one after a reset)
  double probe_ns = 0;
};

/// The description of kernel `Op` for a batch `in` with its cost known: declared, learned
/// from earlier calls, or measured now by running items spread over the batch sequentially
/// into `out` (at most `policy.max_items`; stopping once the mean is known to within
/// `policy.target_error`, or the probe has spent its budget). The caller runs the items not
/// in `probed_items` and decides for them. The kernel's variance, where it declares none,
/// comes from the spread of the measured item costs.
template <operation Op, std::ranges::random_access_range R, class Out>
learned_description learned_describe(const Op& op, const R& in, Out out, const machine_profile& profile,
                                     const probe_policy& policy = {},
                                     learned_costs& registry = learned_costs::global()) {
  using kt = kernel_traits<Op>;
  learned_description r{describe<Op>(), 0, {}, false, 0};
  if constexpr (kt::cost_known) {
    return r;
  } else {
    const std::size_t n = static_cast<std::size_t>(std::ranges::size(in));
    auto first = std::ranges::begin(in);
    const auto bytes_at = [&](std::size_t i) {
      if constexpr (kt::variable_bytes_in) return static_cast<double>(kt::input_bytes(first[static_cast<std::ptrdiff_t>(i)]));
      else return 0.0;
    };
    cost_model& model = registry.template of<Op>();
    if (model.needs_probe() && n > 0) {
      const double floor_budget = policy.budget_fraction * break_even_work_ns(profile);
      const std::size_t limit = std::min(n, std::max<std::size_t>(1, policy.max_items));
      const std::size_t at_least = std::min(limit, std::max<std::size_t>(1, policy.min_items));
      std::vector<bool> taken(n, false);
      const double clock = clock_overhead_ns();
      double spent = 0;       // time of the spread items when a contiguous run gives the estimate
      bool recorded = false;
      cost_spread spread;
      double elapsed = 0, bytes = 0;
      const auto run = [&](std::size_t i) {  // item i, its output kept
        if constexpr (std::is_void_v<typename kt::output_type>) {
          op(first[static_cast<std::ptrdiff_t>(i)]);
        } else {
          out[static_cast<std::ptrdiff_t>(i)] = op(first[static_cast<std::ptrdiff_t>(i)]);
        }
      };
      for (std::size_t seq = 0; r.probed_items.size() < limit; ++seq) {
        const std::size_t i = spread_index(seq, n);
        if (taken[i]) continue;  // a small batch: the sequence repeats an index
        taken[i] = true;
        const auto t0 = std::chrono::steady_clock::now();
        run(i);
        const double ns = std::max(
            0.0, std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - t0).count() - clock);
        r.probed_items.push_back(i);
        elapsed += ns;
        bytes += bytes_at(i);
        // Per byte when items vary in size: the spread is the cost's, not the sizes'.
        const double b = bytes_at(i);
        spread.add(kt::variable_bytes_in && b > 0 ? ns / b : ns);
        if (r.probed_items.size() < at_least) continue;
        const double budget = std::max(floor_budget, policy.batch_fraction * (elapsed / static_cast<double>(r.probed_items.size())) * static_cast<double>(n));
        if (spread.relative_error() <= policy.target_error || elapsed >= budget) break;
      }
      // Items this fast are timed mostly by cold caches and the clock when taken one at a
      // time far apart: the estimate then comes from a contiguous run. The run is timed in
      // four pieces and costed by their median per item: an interruption (a preemption, a
      // page fault) falls in one piece, and in a single timing of a few hundred nanoseconds
      // of work it would be costed as the kernel's (on a loaded machine, a kernel of a few ns
      // an item was once costed high enough that a batch of 1,000 went parallel).
      if (r.probed_items.size() < limit && elapsed / static_cast<double>(r.probed_items.size()) < min_spread_item_ns) {
        spent = elapsed;
        elapsed = bytes = 0;
        const std::size_t before = r.probed_items.size();
        constexpr std::size_t pieces = 4;
        double per_item[pieces] = {};
        std::size_t timed = 0, i = 0;
        for (std::size_t p = 1; p <= pieces; ++p) {
          const std::size_t goal = before + (limit - before) * p / pieces;
          const std::size_t start = r.probed_items.size();
          const auto t0 = std::chrono::steady_clock::now();
          for (; i < n && r.probed_items.size() < goal; ++i) {
            if (taken[i]) continue;
            taken[i] = true;
            run(i);
            r.probed_items.push_back(i);
            bytes += bytes_at(i);
          }
          const double ns = std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - t0).count();
          elapsed += ns;
          if (const std::size_t m = r.probed_items.size() - start; m != 0)
            per_item[timed++] = std::max(0.0, ns - clock) / static_cast<double>(m);
        }
        // Fewer than `limit` items were taken of the n >= limit: the run ran at least one.
        const std::size_t m = r.probed_items.size() - before;
        model.record(m, detail::median_in_place({per_item, timed}) * static_cast<double>(m), bytes);
        recorded = true;
      }
      std::sort(r.probed_items.begin(), r.probed_items.end());
      const std::size_t k = r.probed_items.size();
      if (!recorded) model.record(k, elapsed, bytes);
      elapsed += spent;
      // Below a couple of microseconds an item's time is mostly the clock's own jitter: its
      // spread says nothing of the kernel (and dispatch, not variance, decides there).
      if (k >= 2 && elapsed / static_cast<double>(k) >= min_spread_item_ns) model.record_spread(spread.cv());
      model.count_probe(k, elapsed);
      record_probe(k);  // the library's statistics count it too
      r.done = k;
      r.probed = true;
      r.probe_ns = elapsed;
    } else {
      model.count_estimated_call();
    }
    const std::size_t rest = n - r.done;
    double rest_bytes = 0;
    if constexpr (kt::variable_bytes_in) {
      std::size_t next = 0;  // the probed indices are ascending
      for (std::size_t i = 0; i < n; ++i) {
        if (next < r.probed_items.size() && r.probed_items[next] == i) {
          ++next;
          continue;
        }
        rest_bytes += bytes_at(i);
      }
    }
    r.desc.cost_ns = model.estimate_ns(rest, rest_bytes);
    if constexpr (kt::variable_bytes_in)
      if (rest > 0) r.desc.bytes_in = rest_bytes / static_cast<double>(rest);
    if (!kt::variance_declared)
      if (const double cv = model.spread(); cv >= 0) r.desc.variance = variance_of_spread(cv);
    return r;
  }
}

}  // namespace breakeven
