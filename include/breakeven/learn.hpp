// breakeven/learn.hpp - learned costs for kernels whose cost trait is unknown
// (`static constexpr auto cost = breakeven::unknown_cost;`).
//
// The first call on such a kernel runs its first few items sequentially and times them
// (a *probe*), bounded so that probing stays a small share of the work at which parallelism
// starts to pay; the decision then uses the estimate. Each kernel keeps its estimate across
// calls in the process (an exponentially weighted moving average of the timings it is
// given), so later calls decide at once, without probing. Estimates can be saved into the
// run-time profile file and are read back from it (BREAKEVEN_PROFILE), so a later process
// starts with them. Items of variable size (`static std::size_t bytes_in(const input_type&)`)
// are costed per input byte, so a batch of large items is estimated as such.
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
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <map>
#include <memory>
#include <mutex>
#include <ranges>
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
  /// ... or once this many items are measured (whichever comes first), and never fewer
  /// than min_items while items remain.
  std::size_t max_items = 64;
  std::size_t min_items = 1;
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
    samples_ = 0;
    stats_ = {};
  }

 private:
  std::string kernel_;
  double alpha_;
  mutable std::mutex m_;
  double ns_per_item_ = 0;
  double ns_per_byte_ = 0;
  std::uint64_t samples_ = 0;
  cost_stats stats_;
};

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
  void save(const std::string& path, const machine_profile& profile) const {
    const std::string text = profile_json(profile, entries());
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

/// The work at which the cheapest parallel executor of `p` starts to pay: the profile's
/// overhead factor (at least 1) times the overhead of one cold call on all cores.
constexpr double break_even_work_ns(const machine_profile& p) noexcept {
  const double workers = p.cores < 1 ? 1.0 : static_cast<double>(p.cores);
  const double threads = p.call_overhead_ns + p.wake_ns + p.thread_dispatch_ns * workers;
  const double processes = p.call_overhead_ns + p.wake_ns + p.process_dispatch_ns * workers;
  const double factor = p.overhead_factor < 1 ? 1.0 : p.overhead_factor;
  return factor * (threads < processes ? threads : processes);
}

/// What learned_describe() did: the kernel's description with its cost filled in, and how
/// many leading items it has already run (their outputs are written).
struct learned_description {
  kernel_desc desc;
  std::size_t done = 0;   ///< items already run by the probe: the plan is for the rest
  bool probed = false;    ///< this call measured (the first call, or one after a reset)
  double probe_ns = 0;
};

/// The description of kernel `Op` for a batch `in` with its cost known: declared, learned
/// from earlier calls, or measured now by running the first items sequentially into `out`
/// (at most `policy.max_items`, stopping once the probe has spent its share of the
/// break-even work of `profile`). The caller runs items [done, size) and decides for them.
template <operation Op, std::ranges::random_access_range R, class Out>
learned_description learned_describe(const Op& op, const R& in, Out out, const machine_profile& profile,
                                     const probe_policy& policy = {},
                                     learned_costs& registry = learned_costs::global()) {
  using kt = kernel_traits<Op>;
  learned_description r{describe<Op>()};
  if constexpr (kt::cost_known) {
    return r;
  } else {
    const std::size_t n = static_cast<std::size_t>(std::ranges::size(in));
    auto first = std::ranges::begin(in);
    const auto bytes_of = [&](std::size_t b, std::size_t e) {
      double total = 0;
      if constexpr (kt::variable_bytes_in)
        for (std::size_t i = b; i < e; ++i) total += static_cast<double>(kt::input_bytes(first[static_cast<std::ptrdiff_t>(i)]));
      return total;
    };
    cost_model& model = registry.template of<Op>();
    if (model.needs_probe() && n > 0) {
      const double budget = policy.budget_fraction * break_even_work_ns(profile);
      const std::size_t limit = std::min(n, std::max<std::size_t>(1, policy.max_items));
      // Items run in doubling batches (1, 2, 4, ...) with the clock read between batches:
      // the time a probe reports is the kernel's, not the clock's, even for tiny items.
      const auto t0 = std::chrono::steady_clock::now();
      double elapsed = 0;
      std::size_t k = 0;
      for (std::size_t batch = 1; k < limit; batch *= 2) {
        for (const std::size_t end = std::min(limit, k + batch); k < end; ++k) {
          if constexpr (std::is_void_v<typename kt::output_type>) {
            op(first[static_cast<std::ptrdiff_t>(k)]);
          } else {
            *out = op(first[static_cast<std::ptrdiff_t>(k)]);
            ++out;
          }
        }
        elapsed = std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - t0).count();
        if (k >= policy.min_items && elapsed >= budget) break;
      }
      model.record(k, elapsed, bytes_of(0, k));
      model.count_probe(k, elapsed);
      record_probe(k);  // the library's statistics count it too
      r.done = k;
      r.probed = true;
      r.probe_ns = elapsed;
    } else {
      model.count_estimated_call();
    }
    const std::size_t rest = n - r.done;
    const double rest_bytes = bytes_of(r.done, n);
    r.desc.cost_ns = model.estimate_ns(rest, rest_bytes);
    if constexpr (kt::variable_bytes_in)
      if (rest > 0) r.desc.bytes_in = rest_bytes / static_cast<double>(rest);
    return r;
  }
}

}  // namespace breakeven
