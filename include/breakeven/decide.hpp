// breakeven/decide.hpp - the decision tree of design.md as constexpr functions:
// (kernel description, batch size, profile, options) -> plan.
//
// Estimate of a parallel candidate (design.md step 2):
//   call overhead + start (if cold) + wake (if workers sleep) + dispatch x tasks
//   + transfer(bytes) + set-up (shared memory) + work on the critical path,
// where the critical path is ceil(tasks / workers) chunks of `chunk` items, plus one chunk
// of straggler for varying task sizes. Dispatch is serialized through the caller, as in the
// lecture's measurements (its crossover example: 8 tasks x 5 ms round trip + work / 4).
// A parallel plan must do more work than `overhead_factor` x its overhead (the guide's 3x
// rule) and beat sequential by more than `min_speedup` (the lecture's 1.2x).
#pragma once

#include <breakeven/executor.hpp>
#include <breakeven/operation.hpp>
#include <breakeven/plan.hpp>
#include <breakeven/profile.hpp>
#include <breakeven/row_view.hpp>
#include <breakeven/transport.hpp>

#include <cstddef>
#include <cstdint>
#include <type_traits>

namespace breakeven {

/// What the decision needs to know of a kernel; built from its traits or at run time.
struct kernel_desc {
  double cost_ns = -1;           ///< per item; negative when unknown
  double bytes_in = 0;           ///< per item
  double bytes_out = 0;          ///< per item
  breakeven::bound bound = bound::cpu;
  breakeven::variance variance = variance::low;
  bool thread_safe = true;
  bool isolation = false;
  bool shared_sink = false;
  bool transportable = true;     ///< input and output can cross a process boundary
  bool shm_compatible = true;    ///< items can live in shared memory (shm_item in, shm_value out)
};

/// Per-call options and what the run time knows that the profile cannot.
struct call_options {
  priority prio = priority::throughput;
  std::size_t chunk = 0;           ///< force items per task (0: the plan's choice)
  unsigned max_workers = 0;        ///< cap on workers (0: the profile's cores)
  bool disabled = false;           ///< parallelism switched off
  bool force = false;              ///< use `forced` whatever the estimates say
  executor_kind forced = executor_kind::sequential;
  bool threads_warm = true;        ///< the thread pool is already started
  bool workers_spinning = false;   ///< the pools' workers are awake (work arrived back to back)
  bool processes_warm = true;      ///< the process pool is already started
  bool shm_segment_ready = false;  ///< a large enough shared segment is already mapped
  /// Executors built into this program; the decision never picks one that is not.
  std::array<bool, executor_kind_count> available{true, true, true, true};
};

/// The description of kernel `Op` from its traits.
template <operation Op>
constexpr kernel_desc describe() noexcept {
  using kt = kernel_traits<Op>;
  using In = typename kt::input_type;
  using Out = typename kt::output_type;
  constexpr bool out_void = std::is_void_v<Out>;
  return kernel_desc{
      .cost_ns = static_cast<double>(kt::cost_ns),
      .bytes_in = static_cast<double>(kt::bytes_in),
      .bytes_out = static_cast<double>(kt::bytes_out),
      .bound = kt::bound,
      .variance = kt::variance,
      .thread_safe = kt::thread_safe,
      .isolation = kt::isolation,
      .shared_sink = kt::shared_sink,
      .transportable = transportable<In> && (out_void || transportable<Out>),
      .shm_compatible = shm_item<In> && (out_void || shm_value<Out>),
  };
}

namespace detail {

constexpr std::size_t ceil_div(std::size_t a, std::size_t b) noexcept { return b == 0 ? 0 : (a + b - 1) / b; }

constexpr unsigned workers_for(const kernel_desc& k, std::size_t n, const machine_profile& p,
                               const call_options& o) noexcept {
  std::size_t w = k.bound == bound::io ? p.io_threads : p.cores;
  if (o.max_workers != 0 && o.max_workers < w) w = o.max_workers;
  if (w > n) w = n;
  return static_cast<unsigned>(w < 1 ? 1 : w);
}

// Items per task. Low variance: one static chunk per worker, which minimises dispatch.
// Otherwise tasks long enough that dispatch is at most ~5% of each, at least 4 per worker
// where the batch allows, claimed dynamically. Latency-first halves the chunk.
constexpr std::size_t chunk_for(const kernel_desc& k, std::size_t n, unsigned w, double dispatch_ns,
                                const call_options& o) noexcept {
  if (o.chunk != 0) return o.chunk < n ? o.chunk : (n == 0 ? 1 : n);
  if (n == 0) return 1;
  std::size_t chunk = ceil_div(n, w);
  if (k.variance != variance::low) {
    const double cost = k.cost_ns > 0 ? k.cost_ns : 1;
    auto by_dispatch = static_cast<std::size_t>(20.0 * dispatch_ns / cost) + 1;
    const std::size_t by_balance = ceil_div(n, std::size_t{4} * w);
    chunk = by_dispatch < by_balance ? by_balance : by_dispatch;
    if (chunk > ceil_div(n, w)) chunk = ceil_div(n, w);
  }
  if (o.prio == priority::latency && chunk > 1) chunk = ceil_div(chunk, 2);
  return chunk < 1 ? 1 : chunk;
}

/// The most payload (in and out) the plan aims to put in one process-pool task: a quarter of
/// the pool's default ring (process_pool_options::ring_bytes, 256 KiB). Larger tasks stream
/// through the ring in many turns and leave the caller encoding while the workers wait; with
/// more, smaller tasks, encoding, transfer and work overlap (100,000 log lines on 2 workers:
/// 44 - 64 ms in two tasks, 29 - 33 ms in twenty).
inline constexpr double process_task_payload_bytes = 64 << 10;

// The expected extra time of the last chunk to finish, in chunks. Two items whose costs
// spread uniformly over [0.2, 1.8] x the mean finish, on two workers, after 1.27 means:
// a high-variance straggler is taken as half a chunk, a medium one as a quarter.
constexpr double straggler_factor(variance v) noexcept {
  return v == variance::high ? 0.5 : v == variance::medium ? 0.25 : 0.0;
}

// Fills in work and overhead of one parallel candidate.
constexpr void estimate_parallel(candidate& c, const kernel_desc& k, std::size_t n, const machine_profile& p,
                                 const call_options& o) noexcept {
  const bool threads = c.kind == executor_kind::thread_pool;
  const double dispatch = threads ? p.thread_dispatch_ns : p.process_dispatch_ns;
  c.workers = workers_for(k, n, p, o);
  c.chunk = chunk_for(k, n, c.workers, dispatch, o);
  // Process tasks that move payload are kept to a quarter ring, but not so small that
  // dispatch exceeds ~5% of a task (a profile whose transport costs nothing is not cut).
  if (c.kind == executor_kind::process_pool && o.chunk == 0 && p.pipe_ns_per_byte > 0 && k.bytes_in + k.bytes_out > 0) {
    double fit = process_task_payload_bytes / (k.bytes_in + k.bytes_out);
    const double by_dispatch = 20.0 * dispatch / (k.cost_ns > 0 ? k.cost_ns : 1) + 1;
    if (fit < by_dispatch) fit = by_dispatch;
    const std::size_t most = fit < 1 ? 1 : fit > static_cast<double>(n) ? n : static_cast<std::size_t>(fit);
    if (c.chunk > most) c.chunk = most;
  }
  c.tasks = ceil_div(n, c.chunk);
  c.dynamic = k.variance != variance::low || o.prio == priority::latency;

  double scale = c.workers;
  if (k.bound == bound::memory && scale > p.memory_bound_scaling) scale = p.memory_bound_scaling;
  const double per_worker_chunks = static_cast<double>(ceil_div(c.tasks, c.workers));
  const double chunk_work = static_cast<double>(c.chunk) * k.cost_ns;
  // Critical path: the busiest worker's chunks, stretched when memory bandwidth caps scaling.
  c.work_ns = per_worker_chunks * chunk_work * (static_cast<double>(c.workers) / scale) +
              straggler_factor(k.variance) * chunk_work;
  // No schedule makes the critical path longer than all the work done in one place.
  const double all_work = static_cast<double>(n) * k.cost_ns;
  if (c.work_ns > all_work) c.work_ns = all_work;

  double over = p.call_overhead_ns + dispatch * static_cast<double>(c.tasks);
  const double bytes = static_cast<double>(n) * (k.bytes_in + k.bytes_out);
  if (!o.workers_spinning) over += p.wake_ns;
  if (threads) {
    if (!o.threads_warm) over += p.thread_start_ns;
  } else {
    if (!o.processes_warm) over += p.process_start_ns;
    if (c.kind == executor_kind::process_pool) {
      over += bytes * p.pipe_ns_per_byte;
    } else {  // shared memory: copy in and out, plus a segment when none is mapped yet
      over += bytes * p.memcpy_ns_per_byte;
      if (!o.shm_segment_ready) over += p.shm_setup_ns + (bytes / p.page_bytes + 1) * p.shm_page_ns;
    }
  }
  c.overhead_ns = over;
}

// The payload per task above which shared memory beats the pipe: pipe x B = set-up +
// pages(B) x first touch + memcpy x B. Infinite when the pipe is as cheap as memory.
constexpr double shm_crossover_bytes(const machine_profile& p, bool segment_ready) noexcept {
  const double per_byte = p.pipe_ns_per_byte - p.memcpy_ns_per_byte - (segment_ready ? 0 : p.shm_page_ns / p.page_bytes);
  if (per_byte <= 0) return 1e30;
  return (segment_ready ? 0 : p.shm_setup_ns + p.shm_page_ns) / per_byte;
}

}  // namespace detail

/// The decision tree: which executor runs `n` items of the kernel described by `k`.
constexpr plan decide(const kernel_desc& k, std::size_t n, const machine_profile& p,
                      const call_options& o = {}) noexcept {
  plan out;
  out.batch = n;
  out.cost_ns = k.cost_ns;
  out.profile = p.name;
  out.batched_sink = k.shared_sink;

  for (std::size_t i = 0; i < executor_kind_count; ++i) {
    candidate& c = out.candidates[i];
    c.kind = all_executor_kinds[i];
    c.admissible = o.available[i];
    c.why_not = o.available[i] ? refusal::none : refusal::not_available;
  }
  candidate& seq = out.of(executor_kind::sequential);
  seq.workers = 1;
  seq.chunk = n == 0 ? 1 : n;
  seq.tasks = n == 0 ? 0 : 1;
  seq.work_ns = k.cost_ns > 0 ? k.cost_ns * static_cast<double>(n) : 0;

  const auto choose = [&](executor_kind kind) {
    const candidate& c = out.of(kind);
    out.kind = kind;
    out.workers = c.workers;
    out.chunk = c.chunk;
    out.tasks = c.tasks;
    out.dynamic = c.dynamic;
    out.add({reason_code::chosen, kind, c.estimate_ns(), out.speedup()});
    return out;
  };
  const auto refuse = [&](executor_kind kind, refusal r) {
    candidate& c = out.of(kind);
    if (c.admissible) {
      c.admissible = false;
      c.why_not = r;
    }
  };

  // Step 3 (admissibility) first: every later step only weighs admissible candidates.
  if (!k.thread_safe) {
    refuse(executor_kind::thread_pool, refusal::not_thread_safe);
    out.add({reason_code::not_thread_safe});
  }
  if (k.bound == bound::io) {
    refuse(executor_kind::process_pool, refusal::io_bound);
    refuse(executor_kind::shared_memory, refusal::io_bound);
  }
  if (!k.transportable) refuse(executor_kind::process_pool, refusal::not_transportable);
  if (!k.shm_compatible) refuse(executor_kind::shared_memory, refusal::not_contiguous);
  if (k.isolation) {
    refuse(executor_kind::sequential, refusal::isolation);
    refuse(executor_kind::thread_pool, refusal::isolation);
    out.add({reason_code::isolation});
  }
  const double cost = k.cost_ns > 0 ? k.cost_ns : 0;
  kernel_desc kk = k;
  kk.cost_ns = cost;
  for (executor_kind kind : {executor_kind::thread_pool, executor_kind::process_pool, executor_kind::shared_memory})
    detail::estimate_parallel(out.of(kind), kk, n, p, o);

  // An explicit choice wins over estimates, but not over the kernel's traits.
  if (o.force) {
    if (out.of(o.forced).admissible) {
      out.add({reason_code::forced, o.forced});
      return choose(o.forced);
    }
    out.add({reason_code::forced_refused, o.forced});
  }
  // Step 0: switched off. Kernels that require isolation still leave the caller's process.
  if (o.disabled) {
    out.add({reason_code::disabled});
    if (!k.isolation) return choose(executor_kind::sequential);
    candidate& c = out.of(executor_kind::process_pool);
    c.workers = 1;
    return choose(executor_kind::process_pool);
  }
  if (k.cost_ns < 0) {
    out.needs_measurement = true;
    out.add({reason_code::cost_unknown});
    if (!k.isolation) return choose(executor_kind::sequential);
  }
  // Step 1.
  if (k.bound == bound::io) out.add({reason_code::io_bound});

  // Step 2 and 4: the least estimate among admissible parallel candidates. Shared memory
  // and the pipe are compared on payload per task, with the crossover in the reasons.
  executor_kind best = executor_kind::sequential;
  bool have = false;
  for (executor_kind kind : {executor_kind::thread_pool, executor_kind::process_pool, executor_kind::shared_memory}) {
    const candidate& c = out.of(kind);
    if (!c.admissible) continue;
    if (!have || c.estimate_ns() < out.of(best).estimate_ns()) {
      best = kind;
      have = true;
    }
  }
  if (have) {
    const candidate& c = out.of(best);
    out.add({reason_code::estimate, best, c.estimate_ns(), c.overhead_ns});
    if ((best == executor_kind::process_pool || best == executor_kind::shared_memory) &&
        out.of(executor_kind::shared_memory).admissible && out.of(executor_kind::process_pool).admissible) {
      const double payload = static_cast<double>(c.chunk) * (k.bytes_in + k.bytes_out);
      const double cross = detail::shm_crossover_bytes(p, o.shm_segment_ready);
      out.add({best == executor_kind::shared_memory ? reason_code::payload_shm : reason_code::payload_pipe,
               best, payload, cross});
    }
  }
  if (k.shared_sink) out.add({reason_code::sink_writer});

  if (!have) return choose(executor_kind::sequential);  // only sequential is admissible
  const candidate& c = out.of(best);
  if (c.tasks > 1 || c.workers > 1) {
    if (k.variance != variance::low)
      out.add({reason_code::variance_high, best, static_cast<double>(c.chunk), k.variance == variance::high ? 1.0 : 0.0});
    else out.add({reason_code::variance_low, best, static_cast<double>(c.chunk)});
    if (o.prio == priority::latency) out.add({reason_code::latency_first, best});
  }
  if (k.isolation || !seq.admissible) return choose(best);

  // The margins: work beyond factor x overhead, and a speedup beyond the minimum.
  const double work = seq.work_ns;
  if (!(work > p.overhead_factor * c.overhead_ns)) {
    out.add({reason_code::below_overhead, best, work, c.overhead_ns, p.overhead_factor});
    return choose(executor_kind::sequential);
  }
  const double speedup = c.estimate_ns() > 0 ? work / c.estimate_ns() : 0;
  if (!(speedup > p.min_speedup)) {
    out.add({reason_code::below_speedup, best, speedup, p.min_speedup});
    return choose(executor_kind::sequential);
  }
  return choose(best);
}

/// The plan for kernel `Op` over `n` items under profile source `P`.
template <operation Op, profile_source P = default_profile>
constexpr plan plan_for(std::size_t n, const call_options& o = {}) noexcept {
  return decide(describe<Op>(), n, P::value, o);
}

}  // namespace breakeven
