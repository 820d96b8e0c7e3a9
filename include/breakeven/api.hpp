// breakeven/api.hpp - map, for_each and submit over ranges, with the executor chosen by
// cost: at compile time where the batch size is in the type, by the same decision tree at
// run time otherwise. An executor can be named per call instead.
#pragma once

#include <breakeven/learn.hpp>
#include <breakeven/operation.hpp>
#include <breakeven/call.hpp>
#include <breakeven/select.hpp>

#include <range/v3/range/access.hpp>
#include <range/v3/range/concepts.hpp>
#include <range/v3/range/conversion.hpp>
#include <range/v3/range/primitives.hpp>

#include <ranges>

#include <chrono>
#include <future>
#include <iterator>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

namespace breakeven {
namespace detail {

template <class R>
concept indexable_range = ranges::random_access_range<R> && ranges::sized_range<R>;

template <class Op, class R>
consteval bool check_items() {
  static_assert(ranges::input_range<R>, "breakeven: 'items' must be a range (std::vector, std::array, std::span, a range-v3 view...)");
  if constexpr (ranges::input_range<R>) {
    static_assert(std::is_convertible_v<ranges::range_reference_t<R>, const input_t<Op>&>,
                  "breakeven: the items of the range do not convert to the kernel's input_type");
  }
  return true;
}

// Runs `body(executor, schedule)` on the executor the plan names; returns the kind that ran.
// decide() never names a kind the kernel's traits or this program exclude, so the
// sequential fallback only guards against a plan built elsewhere.
template <class Op, class Body>
executor_kind on_executor(const plan& p, Body&& body) {
  auto& reg = executor_registry::instance();
  const schedule sched = p.schedule();
  switch (p.kind) {
    case executor_kind::thread_pool:
      if constexpr (admits_v<thread_pool, Op>) {
        body(reg.threads(), sched);
        return executor_kind::thread_pool;
      }
      break;
    case executor_kind::process_pool:
      if constexpr (admits_v<process_pool, Op> && processes_built_v<Op>) {
        body(reg.processes(), sched);
        return executor_kind::process_pool;
      }
      break;
    case executor_kind::shared_memory:
      if constexpr (admits_v<shared_memory_pool, Op> && processes_built_v<Op>) {
        body(reg.shared_memory(), sched);
        return executor_kind::shared_memory;
      }
      break;
    default:
      break;
  }
  if constexpr (admits_v<sequential_executor, Op>) {
    if (p.kind != executor_kind::sequential)
      std::fprintf(stderr, "breakeven: %s cannot run this kernel; running sequentially\n",
                   std::string(to_string(p.kind)).c_str());
    body(reg.sequential(), sched);
    return executor_kind::sequential;
  } else {  // an isolated kernel runs in a process or not at all
    throw std::logic_error("breakeven: the plan names " + std::string(to_string(p.kind)) +
                           ", which cannot run this kernel, and isolation forbids running it here");
  }
}

// True for a kernel that declares `shared_sink`; false for one that is not a kernel at all,
// whose first error (the trait it lacks) is then the only one.
template <class Op>
inline constexpr bool shared_sink_kernel = [] {
  if constexpr (operation<Op>) return kernel_traits<Op>::shared_sink;
  else return false;
}();

// Some executor admits kernel `Op`: the one rule select_t and decide() state in these words.
template <class Op>
consteval bool check_some_executor_admits() {
  constexpr bool some = admits_v<sequential_executor, Op> || admits_v<process_pool, Op> || admits_v<shared_memory_pool, Op>;
  static_assert(some, "breakeven: no executor admits this kernel (isolation needs a process executor; see the refusals)");
  return some;
}

// The items after a probe: a plain iterator pair (std::ranges::subrange does not satisfy
// the standard range concepts with clang 14 and libstdc++ 12).
template <class It>
struct iterator_range {
  It first, last;
  It begin() const { return first; }
  It end() const { return last; }
  std::size_t size() const { return static_cast<std::size_t>(last - first); }
};

// The items a probe left when it ran items spread over the batch: item j of the view is
// `first[at[j]]`; over the outputs, the same iterator writes output j to `out[at[j]]`.
template <class It>
class gathered_iterator {
 public:
  using iterator_concept = std::random_access_iterator_tag;
  using iterator_category = std::random_access_iterator_tag;
  using value_type = std::iter_value_t<It>;
  using difference_type = std::ptrdiff_t;
  using reference = std::iter_reference_t<It>;

  gathered_iterator() = default;
  gathered_iterator(It first, const std::size_t* at) : first_(first), at_(at) {}
  reference operator*() const { return first_[static_cast<difference_type>(*at_)]; }
  reference operator[](difference_type k) const { return first_[static_cast<difference_type>(at_[k])]; }
  gathered_iterator& operator++() { ++at_; return *this; }
  gathered_iterator operator++(int) { auto t = *this; ++at_; return t; }
  gathered_iterator& operator--() { --at_; return *this; }
  gathered_iterator operator--(int) { auto t = *this; --at_; return t; }
  gathered_iterator& operator+=(difference_type k) { at_ += k; return *this; }
  gathered_iterator& operator-=(difference_type k) { at_ -= k; return *this; }
  friend gathered_iterator operator+(gathered_iterator i, difference_type k) { return i += k; }
  friend gathered_iterator operator+(difference_type k, gathered_iterator i) { return i += k; }
  friend gathered_iterator operator-(gathered_iterator i, difference_type k) { return i -= k; }
  friend difference_type operator-(const gathered_iterator& a, const gathered_iterator& b) { return a.at_ - b.at_; }
  friend bool operator==(const gathered_iterator& a, const gathered_iterator& b) { return a.at_ == b.at_; }
  friend auto operator<=>(const gathered_iterator& a, const gathered_iterator& b) { return a.at_ <=> b.at_; }

 private:
  It first_{};
  const std::size_t* at_ = nullptr;
};

// The kernel's description for this batch, from up to 64 items spread over it: variable-size
// items are measured rather than taken at sizeof, and a kernel whose cost is a function of
// its item (cost_of, cost_per_byte) is costed by the mean over them, its variance (unless
// declared) by their spread.
template <class Op, class In>
kernel_desc describe_batch(const In& in) {
  using kt = kernel_traits<Op>;
  kernel_desc d = describe<Op>();
  if constexpr (kt::variable_bytes_in || kt::cost_per_item_varies) {
    const auto n = static_cast<std::size_t>(std::ranges::size(in));
    if (n != 0) {
      const std::size_t samples = n < 64 ? n : 64;
      double bytes = 0;
      cost_spread costs;
      for (std::size_t i = 0; i < samples; ++i) {
        const auto& x = std::ranges::begin(in)[static_cast<std::ptrdiff_t>(i * n / samples)];
        if constexpr (kt::variable_bytes_in) bytes += static_cast<double>(kt::input_bytes(x));
        if constexpr (kt::cost_per_item_varies) costs.add(kt::item_cost_ns(x));
      }
      if constexpr (kt::variable_bytes_in) d.bytes_in = bytes / static_cast<double>(samples);
      if constexpr (kt::cost_per_item_varies) {
        d.cost_ns = costs.mean;
        if constexpr (!kt::variance_declared)
          if (samples > 1) d.variance = variance_of_spread(costs.cv());
      }
    }
  }
  return d;
}

// Plans, logs, times and records one bulk call over `in`, writing through `out`;
// `body(executor, items, out, schedule)` does the work on the items the plan covers. A kernel
// whose cost is unknown first runs a few items here to measure it (or uses what earlier
// calls learned), and the plan covers the rest.
template <class Op, call_profile P, std::size_t StaticN = 0, class In, class Out, class Body>
void run_planned(const Op& op, In& in, Out out, const call_options& o, Body&& body) {
  static_assert(check_some_executor_admits<Op>());
  using kt = kernel_traits<Op>;
  const auto n = static_cast<std::size_t>(std::ranges::size(in));
  // The sequential fast path: plan_call's own verdict, taken without building a plan
  // (unless a test's hook wants to see one). The statistics' two reads of their clock are
  // its only other cost.
  // The same time teaches the kernel's corrections (feedback.hpp) when the call is long
  // enough to teach anything; a kernel measured costlier than declared leaves this path.
  if constexpr (admits_v<sequential_executor, Op>) {
    kernel_feedback& learner = feedback_of<Op>();
    if (detail::sequential_fast_path<Op, P, StaticN>(n, o, &learner) &&
        detail::plan_hook().load(std::memory_order_relaxed) == nullptr) {
      const detail::call_stamp start = detail::call_start();
      sequential_executor seq;
      body(seq, in, out, schedule{});
      const std::uint64_t took = detail::record_call_since(executor_kind::sequential, n, start);
      const double estimate = static_cast<double>(kt::cost_ns) * static_cast<double>(n);
      if (kernel_feedback::sequential_teaches(estimate) && o.learn && learning_enabled())
        if (const double t = detail::elapsed_ns(start, took); t > 0) learner.record_sequential(estimate, t);
      return;
    }
  }
  const auto t0 = std::chrono::steady_clock::now();
  std::size_t done = 0;
  kernel_desc desc;
  std::vector<std::size_t> probed;  // items a probe ran, spread over the batch
  double probe_ns = 0;
  if constexpr (kt::cost_known || kt::cost_per_item_varies) {
    desc = describe_batch<Op>(in);
  } else {
    learned_description learned = learned_describe(op, in, out, profile_of<P>());  // counts its probes
    done = learned.done;
    desc = learned.desc;
    probed = std::move(learned.probed_items);
    probe_ns = learned.probe_ns;
  }
  bool full = false;
  kernel_feedback& fb = feedback_of<Op>();
  plan p = plan_call<Op, P, StaticN>(n - done, o, full, desc, &fb);
  if (full && debug_enabled()) detail::log_plan(p, kt::name);
  if (!call_proceeds(p, full)) return;
  executor_kind ran = executor_kind::sequential;
  const auto run = [&](auto&& items, auto items_out) {
    if constexpr (admits_v<sequential_executor, Op>) {
      if (!full) {
        body(executor_registry::instance().sequential(), items, items_out, schedule{});
        return;
      }
    }
    ran = on_executor<Op>(p, [&](auto& ex, const schedule& s) { body(ex, items, items_out, s); });
  };
  if (done == 0) {
    run(in, out);
  } else if (probed.back() + 1 == done) {  // the probe ran a prefix
    const auto first = std::ranges::begin(in);
    const iterator_range<decltype(first)> rest{first + static_cast<std::ptrdiff_t>(done), first + static_cast<std::ptrdiff_t>(n)};
    run(rest, out + static_cast<std::ptrdiff_t>(done));
  } else {
    std::vector<std::size_t> left;
    left.reserve(n - done);
    for (std::size_t i = 0, next = 0; i < n; ++i) {
      if (next < probed.size() && probed[next] == i) ++next;
      else left.push_back(i);
    }
    using git = gathered_iterator<decltype(std::ranges::begin(in))>;
    const iterator_range<git> rest{git(std::ranges::begin(in), left.data()), git(std::ranges::begin(in), left.data() + left.size())};
    run(rest, gathered_iterator<Out>(out, left.data()));
  }
  const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - t0).count();
  record_call(ran, n, static_cast<std::uint64_t>(ns));
  // The same time teaches the kernel's corrections (feedback.hpp): no clock read of its own.
  if (o.learn && learning_enabled()) {
    const double t = static_cast<double>(ns) - probe_ns;
    if (full) {
      fb.record(p, ran, t);
      if (explored(p)) fb.count_exploration_cost(t, p.of(p.runner_up).estimate_ns());
      // A kernel that left the fast path (measured costlier than declared) and still runs
      // sequentially: the batches its corrections make surely sequential take it again.
      if constexpr (kt::cost_known && !kt::variable_bytes_in && !kt::cost_per_item_varies)
        if (ran == executor_kind::sequential && !explored(p) && done == 0 && fb.needs_fast_limit(n))
          detail::learn_fast_limit<Op, P>(fb, n);
    } else {
      fb.record_sequential(desc.cost_ns * static_cast<double>(n - done), t);
    }
  }
}

// run_planned, once the entry point's checks passed: after a failed check the call stops
// here, so the user reads the one error that names the fault, not a cascade after it.
template <class Op, call_profile P, std::size_t StaticN = 0, class In, class Out, class Body>
void run_bulk(const Op& op, In& in, Out out, const call_options& o, Body&& body) {
  if constexpr (operation<Op> && std::is_convertible_v<std::ranges::range_reference_t<In&>, const input_t<Op>&>)
    run_planned<Op, P, StaticN>(op, in, out, o, std::forward<Body>(body));
}

// A kernel whose cost is unknown is probed on the items themselves: the range must be
// indexable with the standard library's concepts too.
template <class R>
concept std_indexable_range = std::ranges::random_access_range<R> && std::ranges::sized_range<R>;

// Calls `f(indexable range)`, materializing ranges that cannot be indexed.
template <class R, class F>
decltype(auto) with_indexable(R&& items, F&& f) {
  if constexpr (indexable_range<R> && std_indexable_range<R&>) {
    return f(items);
  } else {
    auto v = ranges::to<std::vector<ranges::range_value_t<R>>>(items);
    return f(v);
  }
}

}  // namespace detail

/// Applies a kernel to every item of a range; the results come back in input order. Every
/// path of the call decides with `P`: the run-time profile unless a profile is named.
template <call_profile P = runtime_profile_source>
struct map_fn {
  /// Returns a std::vector of the results, the executor chosen by cost.
  template <class Op, class R>
  auto operator()(const Op& op, R&& items, const call_options& o = {}) const {
    static_assert(check_operation<Op>());
    static_assert(detail::check_items<Op, R>());
    static_assert(!detail::shared_sink_kernel<Op>,
                  "breakeven::map: the kernel's 'shared_sink' trait is true: its results go to one batched writer, "
                  "call breakeven::map_into(kernel, items, sink) (<breakeven/pipeline.hpp>)");
    static_assert(!std::is_void_v<output_t<Op>>,
                  "breakeven::map requires a kernel with an output_type; use breakeven::for_each");
    static_assert(std::is_default_constructible_v<output_t<Op>>,
                  "breakeven::map into a new vector needs a default-constructible output_type; "
                  "pass an output iterator instead");
    return detail::with_indexable(items, [&](auto& in) {
      std::vector<output_t<Op>> out(ranges::size(in));
      detail::run_bulk<Op, P, static_batch_v<R>>(op, in, out.begin(), o, [&](auto& ex, auto& part, auto to, const schedule& s) {
        ex.bulk_map(op, part, to, s);
      });
      return out;
    });
  }

  /// Writes the results through `out` (random-access: written in place; otherwise in order
  /// after the batch completes); returns the iterator past the last result.
  template <class Op, class R, std::output_iterator<output_t<Op>> Out>
  Out operator()(const Op& op, R&& items, Out out, const call_options& o = {}) const {
    static_assert(check_operation<Op>());
    static_assert(detail::check_items<Op, R>());
    if constexpr (std::random_access_iterator<Out>) {
      return detail::with_indexable(items, [&](auto& in) {
        const auto n = ranges::size(in);
        detail::run_bulk<Op, P, static_batch_v<R>>(op, in, out, o, [&](auto& ex, auto& part, auto to, const schedule& s) {
          ex.bulk_map(op, part, to, s);
        });
        return out + static_cast<std::iter_difference_t<Out>>(n);
      });
    } else {
      for (auto& r : (*this)(op, items, o)) *out++ = std::move(r);
      return out;
    }
  }

  /// Runs on the executor given, whatever the plan would say.
  template <class Op, class R, executor E>
  auto operator()(const Op& op, R&& items, E& ex) const {
    static_assert(check_operation<Op>());
    static_assert(detail::check_items<Op, R>());
    static_assert(admits_v<E, Op>, "breakeven::map: this executor does not admit the kernel (see its traits)");
    return detail::with_indexable(items, [&](auto& in) {
      std::vector<output_t<Op>> out(ranges::size(in));
      const auto t0 = std::chrono::steady_clock::now();
      ex.bulk_map(op, in, out.begin(), schedule{});
      record_call(E::kind, out.size(),
                  static_cast<std::uint64_t>((std::chrono::steady_clock::now() - t0).count()));
      return out;
    });
  }
};

/// Applies a kernel to every item for its effects (outputs, if any, are discarded).
template <call_profile P = runtime_profile_source>
struct for_each_fn {
  template <class Op, class R>
  void operator()(const Op& op, R&& items, const call_options& o = {}) const {
    static_assert(check_operation<Op>());
    static_assert(detail::check_items<Op, R>());
    detail::with_indexable(items, [&](auto& in) {
      // Outputs, if any, land in scratch storage the probe of an unknown cost may also use.
      using scratch_t = std::conditional_t<std::is_void_v<output_t<Op>>, char, output_t<Op>>;
      std::vector<scratch_t> scratch(std::is_void_v<output_t<Op>> ? 0 : ranges::size(in));
      detail::run_bulk<Op, P, static_batch_v<R>>(op, in, scratch.begin(), o, [&](auto& ex, auto& part, auto to, const schedule& s) {
        if constexpr (requires { ex.bulk_for_each(op, part, s); }) {
          ex.bulk_for_each(op, part, s);
        } else if constexpr (std::is_void_v<output_t<Op>>) {
          (void)to;
          ex.bulk_map(op, part, static_cast<void*>(nullptr), s);  // no outputs to write
        } else {  // an executor that always returns outputs
          ex.bulk_map(op, part, to, s);
        }
      });
      return 0;
    });
  }
};

/// Runs a kernel on one item and returns a std::future of its result. When the plan for
/// one item is sequential (a cheap kernel), the item runs inline and the future is ready.
template <call_profile P = runtime_profile_source>
struct submit_fn {
  template <class Op>
  std::future<output_t<Op>> operator()(const Op& op, input_t<Op> item, const call_options& o = {}) const {
    static_assert(check_operation<Op>());
    bool full = false;
    const plan p = plan_call<Op, P>(1, o, full);
    if (full && debug_enabled()) detail::log_plan(p, kernel_traits<Op>::name);
    std::future<output_t<Op>> f;
    if (!detail::call_proceeds(p, full)) return f;
    executor_kind ran = executor_kind::sequential;
    bool done = false;
    if constexpr (admits_v<sequential_executor, Op>) {
      if (!full) {
        f = executor_registry::instance().sequential().submit(op, std::move(item));
        done = true;
      }
    }
    if (!done) ran = detail::on_executor<Op>(p, [&](auto& ex, const schedule&) { f = ex.submit(op, std::move(item)); });
    record_call(ran, 1, 0);
    return f;
  }
};

/// `breakeven::map(op, items)`: results in input order, the executor chosen by cost.
inline constexpr map_fn<> map{};
/// `breakeven::for_each(op, items)`: the kernel's effects, the executor chosen by cost.
inline constexpr for_each_fn<> for_each{};
/// `breakeven::submit(op, item)`: a std::future of one result.
inline constexpr submit_fn<> submit{};

/// The same entry points deciding every path with profile source `P` instead of the
/// run-time profile.
template <profile_source P>
inline constexpr map_fn<P> map_with{};
template <profile_source P>
inline constexpr for_each_fn<P> for_each_with{};
template <profile_source P>
inline constexpr submit_fn<P> submit_with{};

}  // namespace breakeven
