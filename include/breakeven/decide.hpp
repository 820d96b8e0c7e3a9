// breakeven/decide.hpp - the decision tree as constexpr functions: (kernel description,
// batch size, profile, options) -> plan. The one producer of every call's executor kind,
// schedule (chunk, tasks, dynamic claiming), asynchronous route and batched-writer flag;
// the glue and the executors read the plan, nothing re-derives it.
//
// The steps below read top to bottom in the order of the guide's section 3 ("The decision
// tree"), then the verdict:
//   0 disabled, 1 I/O-bound, 2 estimates, 3 admissibility, 4 payload per task,
//   5 shared sink, 6 variance, 7 latency-first; verdict: forced, unknown cost, least
//   admissible estimate past the margins; then the asynchronous route.
//
// Estimate of a parallel candidate (step 2):
//   call overhead + start (if cold) + wake (if workers sleep) + dispatch x tasks
//   + transfer(bytes) + set-up and re-fault (shared memory) + work on the critical path,
// where the critical path is ceil(tasks / workers) chunks of `chunk` items, plus one chunk
// of straggler for varying task sizes. Dispatch is serialized through the caller, as in the
// lecture's measurements (its crossover example: 8 tasks x 5 ms round trip + work / 4).
// A parallel plan must do more work than `overhead_factor` x its overhead (the Python
// multiprocessing guide's 3x rule) and beat sequential by more than `min_speedup` (the
// lecture's 1.2x).
#pragma once

#include <breakeven/executor.hpp>
#include <breakeven/limits.hpp>
#include <breakeven/operation.hpp>
#include <breakeven/plan.hpp>
#include <breakeven/profile.hpp>
#include <breakeven/row_view.hpp>
#include <breakeven/transport.hpp>

#include <concepts>
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
  bool transportable = true;     ///< input, output and kernel object can cross a process boundary
  bool shm_compatible = true;    ///< items can live in shared memory (shm_item in, shm_value out)
  /// The process executors are compiled for this kernel. describe() says so only for a kernel
  /// threads cannot run (not thread-safe, or isolation) and that processes may take (not
  /// I/O-bound unless isolated): a thread-safe kernel runs on threads, which share its items
  /// with no transport and no start-up, so a translation unit mapping one compiles no process
  /// machinery. A description built by hand keeps every executor.
  bool processes_built = true;
};

/// Per-call options and what the run time knows that the profile cannot.
struct call_options {
  priority prio = priority::throughput;
  std::size_t chunk = 0;           ///< force items per task (0: the plan's choice)
  unsigned max_workers = 0;        ///< cap on workers (0: the profile's cores)
  bool disabled = false;           ///< parallelism switched off
  bool force = false;              ///< use `forced` whatever the estimates say
  executor_kind forced = executor_kind::sequential;
  bool async = false;              ///< an asynchronous call: the plan carries its route off the caller's thread
  bool learn = true;               ///< corrections from measured calls apply, and this call teaches them (feedback.hpp)
  bool threads_warm = true;        ///< the thread pool is already started
  bool workers_spinning = false;   ///< the pools' workers are awake (work arrived back to back)
  bool processes_warm = true;      ///< the process pool is already started
  bool shm_segment_ready = false;  ///< a large enough shared segment is already mapped
  /// Executors built into this program; the decision never picks one that is not.
  std::array<bool, executor_kind_count> available{true, true, true, true};
};

/// What a kernel's measured calls say of its estimates (feedback.hpp keeps them): factors on
/// the work, transport and set-up terms of each executor's estimate, and the margins that
/// apply to an executor once its corrections are confident. The default corrects nothing:
/// decide() is then exactly the static decision.
struct model_corrections {
  std::array<double, executor_kind_count> work{1, 1, 1, 1};       ///< x the kernel's work
  std::array<double, executor_kind_count> transport{1, 1, 1, 1};  ///< x the bytes' terms
  std::array<double, executor_kind_count> setup{1, 1, 1, 1};      ///< x call, start, wake, dispatch, segment
  /// The margins for a parallel executor whose corrections are confident; negative: the profile's.
  std::array<double, executor_kind_count> overhead_factor{-1, -1, -1, -1};
  std::array<double, executor_kind_count> min_speedup{-1, -1, -1, -1};
  std::array<double, executor_kind_count> spread{0, 0, 0, 0};     ///< measured spread behind a narrowed margin
  std::uint64_t calls = 0;  ///< measured calls behind them: 0 applies nothing
  constexpr double of(const std::array<double, executor_kind_count>& a, executor_kind k) const noexcept {
    return a[static_cast<std::size_t>(k)];
  }
};

/// The description of kernel `Op` from its traits.
template <operation Op>
constexpr kernel_desc describe() noexcept {
  using kt = kernel_traits<Op>;
  using In = typename kt::input_type;
  using Out = typename kt::output_type;
  constexpr bool out_void = std::is_void_v<Out>;
  // A worker process obtains the kernel object by value, or builds a default one.
  constexpr bool object_travels = transportable<Op> || std::default_initializable<Op>;
  return kernel_desc{
      .cost_ns = static_cast<double>(kt::cost_ns),
      .bytes_in = static_cast<double>(kt::bytes_in),
      .bytes_out = static_cast<double>(kt::bytes_out),
      .bound = kt::bound,
      .variance = kt::variance,
      .thread_safe = kt::thread_safe,
      .isolation = kt::isolation,
      .shared_sink = kt::shared_sink,
      .transportable = transportable<In> && (out_void || transportable<Out>) && object_travels,
      .shm_compatible = shm_item<In> && (out_void || shm_value<Out>) && object_travels,
      .processes_built = kt::isolation || (!kt::thread_safe && kt::bound != bound::io),
  };
}

/// The largest batch work (ns) an asynchronous call runs inline, in its initiating call:
/// what handing it to a worker and back costs, a dispatch and two wake-ups (120 us on the
/// conservative profile). Above it the work leaves the caller's thread.
constexpr double async_inline_budget_ns(const machine_profile& p) noexcept {
  return p.thread_dispatch_ns + 2 * p.wake_ns;
}

namespace detail {

constexpr std::size_t ceil_div(std::size_t a, std::size_t b) noexcept { return b == 0 ? 0 : (a + b - 1) / b; }

constexpr bool is_process_kind(executor_kind k) noexcept {
  return k == executor_kind::process_pool || k == executor_kind::shared_memory;
}

constexpr unsigned workers_for(const kernel_desc& k, std::size_t n, const machine_profile& p,
                               const call_options& o) noexcept {
  std::size_t w = k.bound == bound::io ? p.io_threads : p.cores;
  if (o.max_workers != 0 && o.max_workers < w) w = o.max_workers;
  if (w > n) w = n;
  return static_cast<unsigned>(w < 1 ? 1 : w);
}

// Step 6 and 7: items per task. Low variance: one static chunk per worker, which minimises
// dispatch. Otherwise tasks long enough that dispatch is at most ~5% of each, at least 4 per
// worker where the batch allows, claimed dynamically. Latency-first halves the chunk.
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

/// Kept for code that named it here: the payload a process-pool task aims at (limits.hpp).
inline constexpr double process_task_payload_bytes = static_cast<double>(limits::process_task_payload_bytes);

// Step 4's cut of a process-pool task that moves payload: about a quarter of the ring, but
// not so small that dispatch exceeds ~5% of a task, and never more than a whole ring of
// items (a forced plan runs it too: 64 items of 1 MiB in one task took 315 - 530 ms against
// 21 - 56 ms one per task). A profile whose transport costs nothing (the guide's, the
// lecture's: dispatch includes it) is not cut, nor is a chunk the caller set.
constexpr std::size_t process_chunk_cut(std::size_t chunk, const kernel_desc& k, std::size_t n, double dispatch,
                                        const machine_profile& p, const call_options& o) noexcept {
  const double item = k.bytes_in + k.bytes_out;
  if (o.chunk != 0 || item <= 0 || p.pipe_ns_per_byte <= 0) return chunk;
  const double ring = static_cast<double>(limits::process_ring_bytes) / item;
  double fit = process_task_payload_bytes / item;
  double by_dispatch = 20.0 * dispatch / (k.cost_ns > 0 ? k.cost_ns : 1) + 1;
  if (by_dispatch > ring) by_dispatch = ring;
  if (fit < by_dispatch) fit = by_dispatch;
  const std::size_t most = fit < 1 ? 1 : fit > static_cast<double>(n) ? n : static_cast<std::size_t>(fit);
  return chunk > most ? most : chunk;
}

// The expected extra time of the last chunk to finish, in chunks. Two items whose costs
// spread uniformly over [0.2, 1.8] x the mean finish, on two workers, after 1.27 means:
// a high-variance straggler is taken as half a chunk, a medium one as a quarter.
constexpr double straggler_factor(variance v) noexcept {
  return v == variance::high ? 0.5 : v == variance::medium ? 0.25 : 0.0;
}

// The pages a shared-memory call faults in: all of them in a segment not mapped yet, and
// again on every call whose payload reaches the pool's retention limit (the pool hands
// those pages back when the call ends).
constexpr double shm_fault_pages(double bytes, const machine_profile& p, bool segment_ready) noexcept {
  if (segment_ready && bytes < static_cast<double>(limits::shm_retain_bytes)) return 0;
  return bytes / p.page_bytes + 1;
}

// Step 2: the schedule, work and overhead of one parallel candidate.
constexpr void estimate_parallel(candidate& c, const kernel_desc& k, std::size_t n, const machine_profile& p,
                                 const call_options& o, const model_corrections& mc) noexcept {
  const bool threads = c.kind == executor_kind::thread_pool;
  const double dispatch = threads ? p.thread_dispatch_ns : p.process_dispatch_ns;
  c.workers = workers_for(k, n, p, o);
  c.chunk = chunk_for(k, n, c.workers, dispatch, o);
  if (c.kind == executor_kind::process_pool) c.chunk = process_chunk_cut(c.chunk, k, n, dispatch, p, o);
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
  c.work_ns *= mc.of(mc.work, c.kind);

  // Set-up: what the call costs whatever its payload; transport: what grows with the bytes.
  double over = p.call_overhead_ns + dispatch * static_cast<double>(c.tasks);
  double transport = 0;
  const double bytes = static_cast<double>(n) * (k.bytes_in + k.bytes_out);
  if (!o.workers_spinning) over += p.wake_ns;
  if (threads) {
    if (!o.threads_warm) over += p.thread_start_ns;
  } else {
    if (!o.processes_warm) over += p.process_start_ns;
    if (c.kind == executor_kind::process_pool) {
      transport = bytes * p.pipe_ns_per_byte;
    } else {  // shared memory: copy in and out, a segment when none is mapped, pages to fault
      transport = bytes * p.memcpy_ns_per_byte + shm_fault_pages(bytes, p, o.shm_segment_ready) * p.shm_page_ns;
      if (!o.shm_segment_ready) over += p.shm_setup_ns;
    }
  }
  c.transport_ns = transport * mc.of(mc.transport, c.kind);
  c.overhead_ns = over * mc.of(mc.setup, c.kind) + c.transport_ns;
}

// The payload per task above which shared memory beats the pipe: pipe x B = set-up +
// pages(B) x first touch + memcpy x B. Infinite when the pipe is as cheap as memory.
constexpr double shm_crossover_bytes(const machine_profile& p, bool segment_ready) noexcept {
  const double per_byte = p.pipe_ns_per_byte - p.memcpy_ns_per_byte - (segment_ready ? 0 : p.shm_page_ns / p.page_bytes);
  if (per_byte <= 0) return 1e30;
  return (segment_ready ? 0 : p.shm_setup_ns + p.shm_page_ns) / per_byte;
}

// The least estimate among admissible parallel candidates (ties to the cheaper machinery,
// in executor_kind order); sequential when none is admissible.
constexpr executor_kind least_parallel(const plan& out) noexcept {
  executor_kind best = executor_kind::sequential;
  for (executor_kind kind : {executor_kind::thread_pool, executor_kind::process_pool, executor_kind::shared_memory}) {
    const candidate& c = out.of(kind);
    if (c.admissible && (best == executor_kind::sequential || c.estimate_ns() < out.of(best).estimate_ns())) best = kind;
  }
  return best;
}

// Whether parallel candidate `c` clears the profile's margins against `work` done sequentially.
constexpr bool clears_margins(const candidate& c, double work, const machine_profile& p) noexcept {
  return work > p.overhead_factor * c.overhead_ns && c.estimate_ns() > 0 && work / c.estimate_ns() > p.min_speedup;
}

// The asynchronous route of a decided plan (guide section 5, "Asynchronous calls"): a
// parallel plan runs on its executor off the caller's thread, in chunks of about a
// millisecond claimed one at a time so that a cancellation is seen soon. A sequential plan
// runs inline when it costs less than a hand-off (or it must: parallelism off, sequential
// forced, a kernel threads may not run), else on one worker in ~100 us pieces.
constexpr void route_async(plan& out, const kernel_desc& k, std::size_t n, const machine_profile& p,
                           const call_options& o) noexcept {
  if (out.kind != executor_kind::sequential) {
    out.route = async_route::executor;
    if (o.chunk == 0 && k.cost_ns > 0) {
      const double cap = limits::async_chunk_ns / k.cost_ns;
      const std::size_t most = cap < 1 ? 1 : static_cast<std::size_t>(cap);
      if (out.chunk > most) out.chunk = most;
    }
    out.tasks = ceil_div(n, out.chunk);
    out.dynamic = true;
    out.add({reason_code::async_executor, out.kind, static_cast<double>(out.chunk)});
    return;
  }
  const bool stays = out.disabled || !out.of(executor_kind::thread_pool).admissible ||
                     !out.of(executor_kind::sequential).admissible ||
                     (o.force && o.forced == executor_kind::sequential);
  const double work = k.cost_ns > 0 ? k.cost_ns * static_cast<double>(n) : 0;
  if (stays || (k.cost_ns >= 0 && work <= async_inline_budget_ns(p))) {
    out.route = async_route::caller;
    out.add({reason_code::async_inline, executor_kind::sequential, work, async_inline_budget_ns(p)});
    return;
  }
  out.route = async_route::one_worker;
  out.workers = 1;
  out.dynamic = false;
  if (k.cost_ns > 0) {
    const double piece = limits::async_lane_piece_ns / k.cost_ns;
    out.chunk = piece < 1 ? 1 : static_cast<std::size_t>(piece);
  } else {
    out.chunk = ceil_div(n, 64);
  }
  if (out.chunk == 0) out.chunk = 1;
  if (n != 0 && out.chunk > n) out.chunk = n;
  out.tasks = ceil_div(n, out.chunk);
  out.add({reason_code::async_one_worker, executor_kind::sequential, work, async_inline_budget_ns(p)});
}

}  // namespace detail

/// The decision tree: which executor runs `n` items of the kernel described by `k`.
/// `mc` corrects the estimates with what earlier calls of the kernel measured (feedback.hpp);
/// the default corrects nothing, and no correction makes an inadmissible executor admissible
/// or overrides a forced one.
constexpr plan decide(const kernel_desc& k, std::size_t n, const machine_profile& p,
                      const call_options& options = {}, const model_corrections& mc = {}) noexcept {
  call_options o = options;
  plan out;
  out.batch = n;
  out.cost_ns = k.cost_ns;
  out.profile = p.name;

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
  seq.work_ns = k.cost_ns > 0 ? k.cost_ns * static_cast<double>(n) * mc.of(mc.work, executor_kind::sequential) : 0;

  const auto refuse = [&](executor_kind kind, refusal r) {
    candidate& c = out.of(kind);
    if (c.admissible) {
      c.admissible = false;
      c.why_not = r;
    }
  };
  const auto choose = [&](executor_kind kind) {
    const candidate& c = out.of(kind);
    out.kind = kind;
    out.workers = c.workers;
    out.chunk = c.chunk;
    out.tasks = c.tasks;
    out.dynamic = c.dynamic;
    // Why the winner beat the runner-up: the least other admissible estimate.
    executor_kind runner = kind;
    for (const candidate& other : out.candidates)
      if (other.kind != kind && other.admissible &&
          (runner == kind || other.estimate_ns() < out.of(runner).estimate_ns()))
        runner = other.kind;
    out.runner_up = runner;
    out.add({reason_code::chosen, kind, c.estimate_ns(), out.speedup()});
    if (o.async) detail::route_async(out, k, n, p, o);
    return out;
  };

  // Step 0 (guide 3, step 0): switched off. Every call is sequential, a forced executor
  // included; kernels that require isolation still leave the caller's process, on one worker.
  if (o.disabled) {
    out.disabled = true;
    out.add({reason_code::disabled});
    if (o.force && o.forced != executor_kind::sequential) out.add({reason_code::forced_ignored, o.forced});
    o.force = false;
    if (!k.isolation) {
      for (executor_kind kind : {executor_kind::thread_pool, executor_kind::process_pool, executor_kind::shared_memory})
        refuse(kind, refusal::disabled);
      return choose(executor_kind::sequential);
    }
    o.max_workers = 1;
    refuse(executor_kind::thread_pool, refusal::disabled);
  }

  // Step 1 (guide 3, step 1): I/O-bound kernels run on threads or sequentially, never in
  // processes; isolation is a requirement and beats this preference (one documented rule,
  // which select_t follows: an isolated I/O-bound kernel goes to a process executor).
  if (k.bound == bound::io) {
    if (k.isolation) {
      out.add({reason_code::io_isolated});
    } else {
      refuse(executor_kind::process_pool, refusal::io_bound);
      refuse(executor_kind::shared_memory, refusal::io_bound);
      out.add({reason_code::io_bound});
    }
  }

  // Step 2 (guide 3, step 2): estimate each parallel executor with its schedule (steps 4, 6
  // and 7 shape the schedule; see chunk_for and process_chunk_cut).
  kernel_desc kk = k;
  kk.cost_ns = k.cost_ns > 0 ? k.cost_ns : 0;
  for (executor_kind kind : {executor_kind::thread_pool, executor_kind::process_pool, executor_kind::shared_memory})
    detail::estimate_parallel(out.of(kind), kk, n, p, o, mc);
  if (mc.calls != 0 && k.cost_ns >= 0)
    out.add({reason_code::corrected, executor_kind::sequential, mc.of(mc.work, executor_kind::sequential),
             static_cast<double>(mc.calls)});

  // Step 3 (guide 3, step 3): admissibility.
  if (!k.thread_safe) {
    refuse(executor_kind::thread_pool, refusal::not_thread_safe);
    out.add({reason_code::not_thread_safe});
  }
  if (!k.processes_built) {
    refuse(executor_kind::process_pool, refusal::threads_suffice);
    refuse(executor_kind::shared_memory, refusal::threads_suffice);
  }
  if (!k.transportable) refuse(executor_kind::process_pool, refusal::not_transportable);
  if (!k.shm_compatible) refuse(executor_kind::shared_memory, refusal::not_contiguous);
  if (k.isolation) {
    refuse(executor_kind::sequential, refusal::isolation);
    refuse(executor_kind::thread_pool, refusal::isolation);
    out.add({reason_code::isolation});
  }
  const executor_kind best = detail::least_parallel(out);
  const bool have = best != executor_kind::sequential;
  if (have) {
    const candidate& c = out.of(best);
    out.add({reason_code::estimate, best, c.estimate_ns(), c.overhead_ns});
  }

  // Step 4 (guide 3, step 4): payload per task decides between the pipe and shared memory.
  if (have && detail::is_process_kind(best) && out.of(executor_kind::shared_memory).admissible &&
      out.of(executor_kind::process_pool).admissible) {
    const double payload = static_cast<double>(out.of(best).chunk) * (k.bytes_in + k.bytes_out);
    const double cross = detail::shm_crossover_bytes(p, o.shm_segment_ready);
    out.add({best == executor_kind::shared_memory ? reason_code::payload_shm : reason_code::payload_pipe, best,
             payload, cross});
  }

  // Step 5 (guide 3, step 5): a shared sink gets one batched writer.
  out.batched_sink = k.shared_sink;
  if (k.shared_sink) out.add({reason_code::sink_writer});

  // Step 6 (guide 3, step 6): variance shapes the chosen candidate's chunks.
  if (have) {
    const candidate& c = out.of(best);
    if (c.tasks > 1 || c.workers > 1) {
      if (k.variance != variance::low)
        out.add({reason_code::variance_high, best, static_cast<double>(c.chunk), k.variance == variance::high ? 1.0 : 0.0});
      else
        out.add({reason_code::variance_low, best, static_cast<double>(c.chunk)});
      // Step 7 (guide 3, step 7): latency-first cuts smaller tasks.
      if (o.prio == priority::latency) out.add({reason_code::latency_first, best});
    }
  }

  // The verdict. Nothing admissible: the plan says so (select_t refuses to compile it).
  if (!seq.admissible && !have) {
    out.add({reason_code::none_admissible});
    out.kind = executor_kind::sequential;
    out.runner_up = executor_kind::sequential;
    return out;
  }
  // An explicit choice wins over estimates, but not over the kernel's traits.
  if (o.force) {
    if (out.of(o.forced).admissible) {
      out.add({reason_code::forced, o.forced});
      return choose(o.forced);
    }
    out.add({reason_code::forced_refused, o.forced});
  }
  if (k.cost_ns < 0) {
    out.needs_measurement = true;
    out.add({reason_code::cost_unknown});
    if (seq.admissible) return choose(executor_kind::sequential);
  }
  if (!have) return choose(executor_kind::sequential);  // only sequential is admissible
  if (!seq.admissible) return choose(best);             // isolation: the least process estimate

  // The margins: work beyond factor x overhead, and a speedup beyond the minimum; narrower
  // for an executor whose measured corrections are confident (feedback.hpp says how much).
  const candidate& c = out.of(best);
  const double work = seq.work_ns;
  double factor = p.overhead_factor, min_speedup = p.min_speedup;
  if (mc.calls != 0) {
    if (mc.of(mc.overhead_factor, best) >= 0 && mc.of(mc.min_speedup, best) >= 1) {
      factor = mc.of(mc.overhead_factor, best) < factor ? mc.of(mc.overhead_factor, best) : factor;
      min_speedup = mc.of(mc.min_speedup, best) < min_speedup ? mc.of(mc.min_speedup, best) : min_speedup;
      out.add({reason_code::margins_narrowed, best, factor, min_speedup, mc.of(mc.spread, best)});
    } else {
      out.add({reason_code::margins_static, best, static_cast<double>(mc.calls)});
    }
  }
  if (!(work > factor * c.overhead_ns)) {
    out.add({reason_code::below_overhead, best, work, c.overhead_ns, factor});
    return choose(executor_kind::sequential);
  }
  const double speedup = c.estimate_ns() > 0 ? work / c.estimate_ns() : 0;
  if (!(speedup > min_speedup)) {
    out.add({reason_code::below_speedup, best, speedup, min_speedup});
    return choose(executor_kind::sequential);
  }
  return choose(best);
}

/// Plan `pl` with its admissible candidate `kind` run instead of the winner: an exploring
/// call (feedback.hpp decides when), which checks the runner-up's estimate on a real call.
/// The reasons keep the winner's verdict and say that this call explores.
constexpr plan explore_as(plan pl, executor_kind kind) noexcept {
  const candidate& c = pl.of(kind);
  if (!c.admissible || kind == pl.kind) return pl;
  const double winner = pl.estimate_ns();
  pl.runner_up = pl.kind;
  pl.kind = kind;
  pl.workers = c.workers;
  pl.chunk = c.chunk;
  pl.tasks = c.tasks;
  pl.dynamic = c.dynamic;
  pl.add({reason_code::explored, kind, c.estimate_ns(), winner});
  return pl;
}

/// The plan for kernel `Op` over `n` items under profile source `P`.
template <operation Op, profile_source P = default_profile>
constexpr plan plan_for(std::size_t n, const call_options& o = {}) noexcept {
  return decide(describe<Op>(), n, P::value, o);
}

/// True when the process executors are compiled for kernel `Op` (kernel_desc::processes_built):
/// the glue instantiates them for it only then.
template <operation Op>
inline constexpr bool processes_built_v = describe<Op>().processes_built;

/// True when every call of `k` over `n` items under `p` is sequential whatever the pools'
/// state: no admissible parallel candidate clears the margins even with warm, spinning
/// workers and a mapped segment (every other state only adds overhead). The fast path of a
/// call reads this, so that it gives exactly the decision the full tree would.
constexpr bool surely_sequential(const kernel_desc& k, std::size_t n, const machine_profile& p) noexcept {
  if (k.cost_ns < 0 || k.isolation) return false;
  call_options best_case;
  best_case.workers_spinning = true;
  best_case.shm_segment_ready = true;
  const plan pl = decide(k, n, p, best_case);
  if (pl.kind != executor_kind::sequential) return false;
  const double work = pl.of(executor_kind::sequential).work_ns;
  for (const candidate& c : pl.candidates)
    if (c.kind != executor_kind::sequential && c.admissible && detail::clears_margins(c, work, p)) return false;
  return true;
}

/// surely_sequential for a kernel with measured corrections `mc`: every call of `k` over
/// `n` items under `p` is sequential and explores nothing, whatever the pools' state and
/// however its margins narrow. With warm, spinning workers and a mapped segment, the plan is
/// sequential and no admissible parallel candidate is estimated faster than sequential (so
/// no margin lets it through), nor within `reach[kind]` x sequential's estimate (what
/// exploration looks at: feedback.hpp's kernel_feedback::explore_reach) unless sequential's
/// is under `explore_floor_ns` (too short to explore).
constexpr bool surely_sequential_learned(const kernel_desc& k, std::size_t n, const machine_profile& p,
                                         const model_corrections& mc,
                                         const std::array<double, executor_kind_count>& reach,
                                         double explore_floor_ns) noexcept {
  if (k.cost_ns < 0 || k.isolation) return false;
  call_options best_case;
  best_case.workers_spinning = true;
  best_case.shm_segment_ready = true;
  const plan pl = decide(k, n, p, best_case, mc);
  if (pl.kind != executor_kind::sequential) return false;
  const double seq = pl.of(executor_kind::sequential).estimate_ns();
  for (const candidate& c : pl.candidates) {
    if (c.kind == executor_kind::sequential || !c.admissible) continue;
    if (!(c.estimate_ns() >= seq)) return false;
    if (seq >= explore_floor_ns && !(c.estimate_ns() > mc.of(reach, c.kind) * seq)) return false;
  }
  return true;
}

}  // namespace breakeven
