// breakeven/plan.hpp - what the decision returns: the executor, its schedule, the estimate
// of every candidate, and the chain of reasons that decided it.
#pragma once

#include <breakeven/executor.hpp>
#include <breakeven/detail/fixed_string.hpp>

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace breakeven {

/// Latency-first plans cut more, smaller tasks; throughput-first plans amortise dispatch.
enum class priority : std::uint8_t { throughput, latency };

/// Where an asynchronous call's work runs (plans made with call_options::async).
enum class async_route : std::uint8_t {
  caller,      ///< inline, in the initiating call (a sequential plan cheaper than a hand-off)
  one_worker,  ///< the sequential schedule on one pool worker, off the caller's thread
  executor,    ///< the plan's parallel executor, driven off the caller's thread
};

/// Why a candidate executor could not take the kernel.
enum class refusal : std::uint8_t {
  none,
  not_thread_safe,     ///< threads need a thread-safe kernel
  io_bound,            ///< processes never run I/O-bound kernels
  not_transportable,   ///< input or output cannot cross a process boundary
  not_contiguous,      ///< shared memory needs trivially copyable items (or rows of them)
  isolation,           ///< the kernel must run in another process
  disabled,            ///< parallelism is switched off
  not_available,       ///< the executor is not built into this program
  threads_suffice,     ///< a thread-safe kernel: threads run it, process executors are not built for it
};

/// The reason codes a plan records, in the order the tree visits its steps.
enum class reason_code : std::uint8_t {
  disabled,          ///< step 0: parallelism disabled
  forced_ignored,    ///< step 0: a forced executor, ignored while parallelism is disabled
  forced,            ///< an executor was forced by the caller or the environment
  forced_refused,    ///< the forced executor cannot take this kernel: decided normally
  cost_unknown,      ///< the cost is unknown: measure before deciding
  io_bound,          ///< step 1: I/O-bound, threads or nothing
  io_isolated,       ///< step 1: I/O-bound, but isolation requires processes
  not_thread_safe,   ///< step 3: thread pool inadmissible
  isolation,         ///< step 3: isolation forces processes
  estimate,          ///< step 2: one candidate's estimate (kind, estimate, overhead)
  below_overhead,    ///< step 2: work does not exceed factor x overhead
  below_speedup,     ///< step 2: speedup does not exceed the profile's minimum
  payload_shm,       ///< step 4: payload per task above the shared-memory crossover
  payload_pipe,      ///< step 4: payload per task below the crossover
  sink_writer,       ///< step 5: a shared sink gets one batched writer
  variance_high,     ///< step 6: small chunks, dynamic claiming (b: 1 for high, 0 for medium)
  variance_low,      ///< step 6: large chunks to amortise dispatch
  latency_first,     ///< step 7: latency-first cuts smaller tasks
  none_admissible,   ///< no executor admits the kernel (select_t refuses to compile it)
  chosen,            ///< the verdict
  async_executor,    ///< asynchronous: the parallel executor off the caller's thread (a: chunk)
  async_inline,      ///< asynchronous: inline in the initiating call (a: work, b: budget)
  async_one_worker,  ///< asynchronous: the sequential schedule on one worker (a: work, b: budget)
  corrected,         ///< measured corrections applied to the estimates (a: work factor, b: calls measured)
  margins_narrowed,  ///< confident corrections narrowed the margins (a: overhead factor, b: min speedup, c: spread)
  margins_static,    ///< the profile's margins apply: corrections not confident yet (a: calls measured)
  explored,          ///< this call tries the runner-up to check its estimate (a: its estimate, b: the winner's)
};

/// One link of a plan's reason chain: a code, the executor it concerns and up to three numbers.
struct reason {
  reason_code code{};
  executor_kind kind = executor_kind::sequential;
  double a = 0, b = 0, c = 0;
};

/// One candidate executor as the decision saw it.
struct candidate {
  executor_kind kind = executor_kind::sequential;
  bool admissible = false;
  refusal why_not = refusal::none;
  unsigned workers = 1;
  std::size_t chunk = 0;       ///< items per task
  std::size_t tasks = 0;       ///< tasks the batch is cut into
  bool dynamic = false;
  double work_ns = 0;          ///< the kernel's own time on the critical path
  double overhead_ns = 0;      ///< everything else: start, dispatch, transfer, set-up
  double transport_ns = 0;     ///< the part of overhead_ns that moves the payload (grows with bytes)
  constexpr double estimate_ns() const noexcept { return work_ns + overhead_ns; }
};

/// The decision for one call: the executor kind, its schedule, every candidate, the reasons.
struct plan {
  executor_kind kind = executor_kind::sequential;
  unsigned workers = 1;
  std::size_t chunk = 0;
  std::size_t tasks = 0;
  bool dynamic = false;
  bool batched_sink = false;     ///< results go to one batched writer through a bounded queue
  bool disabled = false;         ///< parallelism was switched off for this call
  async_route route = async_route::caller;  ///< where an asynchronous call runs (options.async)
  executor_kind runner_up = executor_kind::sequential;  ///< the best admissible loser (== kind: none)
  bool needs_measurement = false;///< cost unknown: the run time probes before deciding
  std::size_t batch = 0;
  double cost_ns = 0;
  const char* profile = "";
  std::array<candidate, executor_kind_count> candidates{};
  std::array<reason, 16> reasons{};
  std::size_t reason_count = 0;

  constexpr void add(reason r) noexcept {
    if (reason_count < reasons.size()) reasons[reason_count++] = r;
  }
  constexpr const candidate& of(executor_kind k) const noexcept { return candidates[static_cast<std::size_t>(k)]; }
  constexpr candidate& of(executor_kind k) noexcept { return candidates[static_cast<std::size_t>(k)]; }
  /// The chosen executor's estimated time.
  constexpr double estimate_ns() const noexcept { return of(kind).estimate_ns(); }
  /// Estimated sequential time / estimated time of the chosen executor.
  constexpr double speedup() const noexcept {
    const double e = estimate_ns();
    return e > 0 ? of(executor_kind::sequential).estimate_ns() / e : 1.0;
  }
  constexpr bool parallel() const noexcept { return kind != executor_kind::sequential; }
  /// False when no executor admits the kernel: the plan cannot run.
  constexpr bool runnable() const noexcept { return of(kind).admissible; }
  /// The schedule the chosen executor runs with.
  constexpr breakeven::schedule schedule() const noexcept { return {chunk, workers, dynamic}; }
};

/// The text of a refusal.
constexpr std::string_view to_string(refusal r) noexcept {
  switch (r) {
    case refusal::none: return "admissible";
    case refusal::not_thread_safe: return "kernel not thread-safe";
    case refusal::io_bound: return "I/O-bound kernels never go to processes";
    case refusal::not_transportable: return "input/output not transportable";
    case refusal::not_contiguous: return "items not trivially copyable values or rows of them";
    case refusal::isolation: return "kernel requires isolation in another process";
    case refusal::disabled: return "parallelism disabled";
    case refusal::not_available: return "executor not available";
    case refusal::threads_suffice: return "thread-safe: threads run it, no process executor is built for it";
  }
  return "?";
}

namespace detail {

template <std::size_t N>
constexpr void append_estimate_pair(fixed_string<N>& s, const plan& p, executor_kind a, executor_kind b) {
  (s += "est ").append_duration(p.of(a).estimate_ns());
  (s += " vs ").append_duration(p.of(b).estimate_ns());
}

/// Why the chosen executor beat the runner-up, as a short phrase.
template <std::size_t N>
constexpr void append_why(fixed_string<N>& s, const plan& p) {
  if (!p.runnable()) {
    s += "no executor admits this kernel";
    return;
  }
  const executor_kind w = p.kind, r = p.runner_up;
  bool forced = false, explored = false;
  for (std::size_t i = 0; i < p.reason_count; ++i) {
    forced = forced || p.reasons[i].code == reason_code::forced;
    explored = explored || p.reasons[i].code == reason_code::explored;
  }
  if (w == r) {
    (s += to_string(w)) += ": the only admissible executor";
    return;
  }
  if (forced || explored) {
    (((s += forced ? "forced over " : "explored over ") += to_string(r)) += ": ");
    append_estimate_pair(s, p, w, r);
    return;
  }
  if (w == executor_kind::sequential && p.needs_measurement) {
    s += "sequential until the cost is measured";
    return;
  }
  (((s += to_string(w)) += " beats ") += to_string(r)) += ": ";
  append_estimate_pair(s, p, w, r);
  const double ew = p.of(w).estimate_ns(), er = p.of(r).estimate_ns();
  if (w == executor_kind::sequential && r != executor_kind::sequential && er < ew)
    s += ", margins not cleared";
  else if (ew > 0 && er >= ew)
    (s += ", ").append_fixed(er / ew, 2) += "x";
}

template <std::size_t N>
constexpr void append_reason(fixed_string<N>& s, const reason& r, const plan& p) {
  switch (r.code) {
    case reason_code::disabled: s += "parallelism disabled -> sequential"; break;
    case reason_code::forced_ignored: ((s += "forced ") += to_string(r.kind)) += " ignored: parallelism disabled"; break;
    case reason_code::forced: (s += "forced: ") += to_string(r.kind); break;
    case reason_code::forced_refused:
      ((s += "forced ") += to_string(r.kind)) += " refused: ";
      s += to_string(p.of(r.kind).why_not);
      break;
    case reason_code::cost_unknown: s += "cost unknown -> measure first items before deciding"; break;
    case reason_code::io_bound: s += "I/O-bound -> threads or sequential, never processes"; break;
    case reason_code::io_isolated: s += "I/O-bound, but isolation required -> process executors"; break;
    case reason_code::not_thread_safe: s += "not thread-safe -> thread pool inadmissible"; break;
    case reason_code::isolation: s += "isolation required -> process executors only"; break;
    case reason_code::estimate:
      ((s += to_string(r.kind)) += " ").append_duration(r.a);
      (s += " (overhead ").append_duration(r.b) += ")";
      break;
    case reason_code::below_overhead:
      ((s += to_string(r.kind)) += ": work ").append_duration(r.a);
      (s += " <= ").append_fixed(r.c, 2);
      (s += " x overhead ").append_duration(r.b);
      break;
    case reason_code::below_speedup:
      ((s += to_string(r.kind)) += ": speedup ").append_fixed(r.a, 2);
      (s += "x <= ").append_fixed(r.b, 2) += "x";
      break;
    case reason_code::payload_shm:
      (s += "payload/task ").append_bytes(r.a);
      (s += " > crossover ").append_bytes(r.b) += " -> shared memory";
      break;
    case reason_code::payload_pipe:
      (s += "payload/task ").append_bytes(r.a);
      (s += " <= crossover ").append_bytes(r.b) += " -> pipe";
      break;
    case reason_code::sink_writer: s += "shared sink -> one batched writer, bounded queue"; break;
    case reason_code::variance_high:
      (s += r.b > 0 ? "high" : "medium") += " variance -> dynamic chunks of ";
      s.append_uint(static_cast<std::uint64_t>(r.a));
      break;
    case reason_code::variance_low:
      (s += "low variance -> static chunks of ").append_uint(static_cast<std::uint64_t>(r.a));
      break;
    case reason_code::latency_first: s += "latency-first -> smaller tasks"; break;
    case reason_code::none_admissible:
      s += "no executor admits this kernel (isolation needs a process executor; see the refusals)";
      break;
    case reason_code::chosen:
      ((s += "=> ") += to_string(r.kind));
      if (r.kind != executor_kind::sequential) {
        (s += " x").append_uint(p.of(r.kind).workers);
        (s += ", chunk ").append_uint(p.of(r.kind).chunk);
      }
      (s += ", est ").append_duration(r.a);
      (s += ", speedup ").append_fixed(r.b, 2) += "x (";
      append_why(s, p);
      s += ")";
      break;
    case reason_code::async_executor:
      (((s += "async: ") += to_string(r.kind)) += " off the caller's thread, chunks of ").append_uint(static_cast<std::uint64_t>(r.a));
      break;
    case reason_code::async_inline:
      (s += "async: inline (work ").append_duration(r.a);
      (s += " <= hand-off ").append_duration(r.b) += " or it must)";
      break;
    case reason_code::async_one_worker:
      (s += "async: one worker off the caller's thread (work ").append_duration(r.a);
      (s += " > hand-off ").append_duration(r.b) += ")";
      break;
    case reason_code::corrected:
      (s += "measured corrections applied (work x").append_fixed(r.a, 2);
      (s += ", ").append_uint(static_cast<std::uint64_t>(r.b)) += " calls measured)";
      break;
    case reason_code::margins_narrowed:
      ((s += "margins for ") += to_string(r.kind)) += " narrowed by confidence: overhead x";
      (s.append_fixed(r.a, 2) += ", min speedup ").append_fixed(r.b, 2);
      (s += "x (measured spread ").append_fixed(100 * r.c, 1) += "%)";
      break;
    case reason_code::margins_static:
      (s += "profile's margins apply (3x rule, min speedup): ").append_uint(static_cast<std::uint64_t>(r.a));
      s += " calls measured, not confident yet";
      break;
    case reason_code::explored:
      ((s += "explore: ") += to_string(r.kind)) += " runs this call to check its estimate ";
      (s.append_duration(r.a) += " vs ").append_duration(r.b);
      break;
  }
}

/// Every candidate: its estimate, or why it was refused.
template <std::size_t N>
constexpr void append_candidates(fixed_string<N>& s, const plan& p) {
  s += "candidates: ";
  bool first = true;
  for (const candidate& c : p.candidates) {
    if (!first) s += "; ";
    first = false;
    s += to_string(c.kind);
    if (!c.admissible) {
      (s += " refused: ") += to_string(c.why_not);
    } else if (c.kind == executor_kind::sequential) {
      (s += " ").append_duration(p.needs_measurement ? -1 : c.estimate_ns());
    } else {
      (s += " ").append_duration(c.estimate_ns());
      (s += " (overhead ").append_duration(c.overhead_ns) += ")";
    }
  }
}
}  // namespace detail

/// Why the chosen executor beat the runner-up (estimates compared, margins, force), as
/// text; usable at compile time.
template <std::size_t N = 160>
constexpr detail::fixed_string<N> why_chosen(const plan& p) {
  detail::fixed_string<N> s;
  detail::append_why(s, p);
  return s;
}

/// The plan as one line of text: batch, cost, the reason chain (the verdict says why the
/// winner beat the runner-up), then every candidate with its estimate or its refusal.
/// Usable at compile time.
template <std::size_t N = 1536>
constexpr detail::fixed_string<N> explain(const plan& p) {
  detail::fixed_string<N> s;
  ((s += "[") += p.profile) += "] batch ";
  s.append_uint(p.batch);
  (s += " x ").append_duration(p.needs_measurement ? -1 : p.cost_ns);
  for (std::size_t i = 0; i < p.reason_count; ++i) {
    s += " | ";
    detail::append_reason(s, p.reasons[i], p);
  }
  s += " | ";
  detail::append_candidates(s, p);
  return s;
}

}  // namespace breakeven
