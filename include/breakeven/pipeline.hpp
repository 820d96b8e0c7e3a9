// breakeven/pipeline.hpp - breakeven::map_into(kernel, items, sink): the guide's shared-sink
// pattern. CPU workers -> a bounded queue -> exactly one batched writer -> the sink.
//
// The CPU stage runs chunk by chunk through breakeven::map, so each chunk goes to the
// executor the plan picks (sequential, threads, processes, shared memory). Its results go
// through a bounded queue (capacity in items and in bytes: producers block when it is full)
// to one writer thread, which commits batches of rows, one transaction per batch. The batch
// is decided by the break-even rule of sink_policy.hpp from the sink's commit and row costs,
// measured against the sink at start-up (a commit of 1 row, then of N rows) or given.
//
// Nothing lost, nothing doubled: every item ends committed or in the report's dead-letter
// list with its reason. A kernel that throws (or a process worker that dies on an item)
// fails that item only; a failing batch is retried with backoff, then split to isolate the
// rows at fault while the rest commit. Closing drains and commits what is queued; a failure
// of the sink's flush or close is reported (report.close_error), never swallowed.
// Glue: reads the policy (sink_policy) and drives the mechanism (queue, committer, executors).
#pragma once

#include <breakeven/api.hpp>
#include <breakeven/pipeline/committer.hpp>
#include <breakeven/pipeline/queue.hpp>
#include <breakeven/sink.hpp>
#include <breakeven/sink_policy.hpp>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <exception>
#include <mutex>
#include <optional>
#include <string>
#include <system_error>
#include <thread>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

namespace breakeven {

/// The order in which results reach the writer.
enum class result_order : unsigned char {
  completion,  ///< as each chunk of the CPU stage completes (the default)
  input,       ///< in the order of the items (dead-letter items aside)
};

/// Options of a pipeline call.
struct pipeline_options {
  std::size_t queue_items = 8192;        ///< queue capacity in rows
  std::size_t queue_bytes = 64u << 20;   ///< queue capacity in bytes
  sink_batch_options batch{};            ///< overhead target, linger, caps, or a forced batch
  std::optional<sink_profile> sink_terms;///< the sink's costs; absent: measured at start-up
  std::size_t calibration_rows = 64;     ///< N of the start-up measurement (1 row, then N rows)
  result_order order = result_order::completion;
  retry_policy retry{};
  call_options cpu{};                    ///< options of the CPU stage's plan
  std::size_t cpu_chunk = 0;             ///< items per CPU-stage call (0: half the queue)
  unsigned cpu_callers = 2;              ///< CPU-stage calls in flight (results stream between them)
};

/// What a pipeline call did.
struct pipeline_report {
  std::size_t items = 0;                 ///< items given
  std::size_t committed = 0;             ///< rows committed
  std::size_t batches = 0;               ///< commits that succeeded
  std::size_t retries = 0, splits = 0;   ///< tries again, and batches bisected
  std::vector<dead_letter> failed;       ///< items not committed, by index, with the reason
  std::string close_error;               ///< the sink's flush or close failed (empty: it did not)
  std::size_t capacity_items = 0, capacity_bytes = 0;  ///< the queue's bounds
  std::size_t peak_items = 0, peak_bytes = 0;          ///< the most the queue held
  sink_decision decision{};              ///< the writer's batch and why

  /// Every item committed and the sink closed cleanly.
  bool ok() const noexcept { return failed.empty() && close_error.empty() && committed == items; }
  /// The batch decision and the outcome, as text.
  std::string explain() const {
    std::string s = breakeven::explain(decision);
    s += "\n" + std::to_string(committed) + " of " + std::to_string(items) + " rows committed in " +
         std::to_string(batches) + " batches (" + std::to_string(retries) + " retries, " + std::to_string(splits) +
         " splits), " + std::to_string(failed.size()) + " reported; queue peak " + std::to_string(peak_items) + "/" +
         std::to_string(capacity_items) + " rows, " + std::to_string(peak_bytes) + "/" + std::to_string(capacity_bytes) +
         " bytes";
    if (!close_error.empty()) s += "; closing the sink failed: " + close_error;
    return s;
  }
};

namespace detail {

// The bytes a row holds, its heap parts included (strings, vectors, tuples of them).
template <class T>
std::size_t heap_bytes(const T& x) {
  if constexpr (requires { x.capacity(); x.data(); typename T::value_type; }) {
    std::size_t b = x.capacity() * sizeof(typename T::value_type);
    if constexpr (!std::is_trivially_copyable_v<typename T::value_type>)
      for (const auto& e : x) b += heap_bytes(e);
    return b;
  } else if constexpr (requires { std::tuple_size<T>::value; }) {
    return std::apply([](const auto&... e) { return (std::size_t{0} + ... + heap_bytes(e)); }, x);
  } else if constexpr (requires { x.has_value(); *x; }) {
    return x.has_value() ? heap_bytes(*x) : 0;
  } else {
    (void)x;
    return 0;
  }
}
template <class T>
std::size_t row_bytes(const T& x) { return sizeof(T) + heap_bytes(x); }

/// The user's kernel with its exceptions caught per item: the result is the value, or no
/// value and the exception's message. Same traits as the kernel, but for shared_sink (the
/// pipeline is the shared sink's one writer) and the name (its own type's).
template <class Op>
struct guarded {
  using kt = kernel_traits<Op>;
  using input_type = typename kt::input_type;
  using output_type = std::pair<std::optional<typename kt::output_type>, std::string>;
  static constexpr auto cost = [] {
    if constexpr (kt::cost_known) return std::chrono::nanoseconds{kt::cost_ns};
    else return unknown_cost;
  }();
  static constexpr breakeven::bound bound = kt::bound;
  static constexpr breakeven::variance variance = kt::variance;
  static constexpr bool thread_safe = kt::thread_safe;
  static constexpr bool isolation = kt::isolation;
  static constexpr std::size_t bytes_out = kt::bytes_out + 32;
  static constexpr std::size_t bytes_in = kt::bytes_in;

  // The wrapper adds no bytes: an empty kernel leaves it empty (default-constructed in a
  // worker), a kernel of raw bytes makes it raw bytes too (it travels as they do).
  static constexpr bool bitwise_transport = bitwise_transportable<Op>;
  [[no_unique_address]] Op op{};

  output_type operator()(const input_type& x) const {
    try {
      return {std::optional<typename kt::output_type>(op(x)), std::string{}};
    } catch (const std::exception& e) {
      return {std::nullopt, std::string("kernel threw: ") + e.what()};
    } catch (...) {
      return {std::nullopt, "kernel threw a non-standard exception"};
    }
  }
};

template <class Op>
consteval bool check_map_into() {
  static_assert(check_operation<Op>());
  static_assert(!std::is_void_v<output_t<Op>>,
                "breakeven::map_into needs a kernel with an output_type: its results are the sink's rows");
  static_assert(std::is_default_constructible_v<output_t<Op>>,
                "breakeven::map_into needs a default-constructible output_type");
  return true;
}

}  // namespace detail

/// Runs a kernel over items and commits its results to a sink through one batched writer.
template <profile_source P = default_profile>
struct map_into_fn {
  template <class Op, class R, class S>
  pipeline_report operator()(const Op& op, R&& items, S& sink, const pipeline_options& o = {}) const {
    static_assert(detail::check_map_into<Op>());
    static_assert(detail::check_items<Op, R>());
    using T = output_t<Op>;
    static_assert(breakeven::sink<S, T>,
                  "breakeven::map_into: the sink must offer write_batch(std::span<const output_type>), flush() and close()");
    return detail::with_indexable(items, [&](auto& in) { return run<P>(op, in, sink, o); });
  }

 private:
  template <profile_source Q, class Op, class In, class S>
  static pipeline_report run(const Op& op, In& in, S& sink, const pipeline_options& o) {
    using T = output_t<Op>;
    using G = detail::guarded<Op>;
    const std::size_t n = static_cast<std::size_t>(ranges::size(in));
    pipeline_report rep;
    rep.items = n;
    pipeline::bounded_queue<T> q(o.queue_items, o.queue_bytes);
    rep.capacity_items = q.capacity_items();
    rep.capacity_bytes = q.capacity_bytes();

    std::mutex dead_m;
    std::vector<dead_letter> kernel_dead;
    std::vector<dead_letter> sink_dead;

    // The writer: measures the sink (unless its terms are given), decides the batch, commits.
    pipeline::commit_counts counts;
    std::string close_error;
    std::exception_ptr writer_failure;
    sink_decision decision;
    std::thread writer([&] {
      try {
        pipeline::committer<T, S> c(sink, o.retry, sink_dead);
        std::vector<pipeline::queued<T>> got;
        std::vector<T> rows;
        std::vector<std::size_t> idx;
        const auto commit = [&] {
          rows.clear();
          idx.clear();
          for (auto& g : got) rows.push_back(std::move(g.row)), idx.push_back(g.index);
          got.clear();
          c.commit(std::span<const T>(rows), std::span<const std::size_t>(idx));
        };
        const auto bytes_of = [&] {
          std::size_t b = 0;
          for (auto& g : got) b += g.bytes;
          return got.empty() ? 0.0 : static_cast<double>(b) / static_cast<double>(got.size());
        };
        const auto forever = std::chrono::hours(1);
        sink_profile terms = o.sink_terms.value_or(sink_profile{});
        if (!o.sink_terms && o.batch.forced == 0) {
          // Commits of 1 row, then of N rows, each the fastest of three (a commit's time
          // varies: a shared disk's fsync, a server's other clients); N grows eightfold
          // until the rows' cost shows above the commit's (the N-row commit takes half as
          // long again as the 1-row one) or the rows run out.
          double one = 1e300, many = 0, bytes = terms.row_bytes;
          std::size_t n_rows = 0;
          bool clean = true;
          const auto timed_commit = [&] {
            bytes = bytes_of();
            const auto before = c.counts();
            const auto t0 = std::chrono::steady_clock::now();
            commit();
            const double ns = std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - t0).count();
            clean = c.counts().batches == before.batches + 1 && c.counts().retries == before.retries;
            return ns;
          };
          for (int k = 0; k < 3 && clean; ++k) {
            if (!q.pop_batch(got, 1, ~std::size_t{0}, forever)) { clean = false; break; }
            one = std::min(one, timed_commit());
          }
          for (std::size_t want = std::max<std::size_t>(2, o.calibration_rows); clean; want *= 8) {
            double best = 1e300;
            std::size_t rows_at = 0;
            for (int k = 0; k < 3 && clean && q.pop_batch(got, want, ~std::size_t{0}, forever); ++k) {
              const std::size_t m = got.size();
              const double ns = timed_commit();
              if (m != want && k > 0) break;  // the rows ran out: keep the full batches' time
              rows_at = m;
              best = std::min(best, ns);
              if (m != want) break;
            }
            if (!clean || rows_at == 0) break;
            n_rows = rows_at;
            many = best;
            if (many >= 1.5 * one || n_rows < want || want >= 8192) break;
          }
          if (clean && n_rows >= 2) terms = sink_terms_from_timings(one, many, n_rows, bytes, terms);
          else terms.row_bytes = bytes;
        }
        decision = decide_sink_batch(terms, o.batch);
        const auto linger = std::chrono::nanoseconds(static_cast<std::int64_t>(o.batch.linger_ns));
        while (q.pop_batch(got, decision.batch, o.batch.max_bytes, linger)) commit();
        counts = c.counts();
      } catch (...) {
        writer_failure = std::current_exception();
        q.abort();
      }
      try {
        sink.flush();
      } catch (const std::exception& e) {
        close_error = std::string("flush: ") + e.what();
      } catch (...) {
        close_error = "flush: unknown exception";
      }
      try {
        sink.close();
      } catch (const std::exception& e) {
        close_error += (close_error.empty() ? "" : "; ") + std::string("close: ") + e.what();
      } catch (...) {
        close_error += (close_error.empty() ? "" : "; ") + std::string("close: unknown exception");
      }
    });

    // The CPU stage: chunks through breakeven::map, as many calls in flight as cpu_callers.
    // A chunk's results are held until it completes: chunks are cut so that all callers'
    // together hold at most half the queue's bytes (sized by the rows seen so far).
    const std::size_t callers_wanted = std::max<std::size_t>(1, o.cpu_callers);
    const std::size_t max_chunk = std::max<std::size_t>(1, o.cpu_chunk != 0 ? o.cpu_chunk : q.capacity_items() / 2);
    std::mutex claim_m;
    std::size_t claimed = 0, claims = 0;  // items handed out, chunks handed out
    std::atomic<std::size_t> seen_rows{0}, seen_bytes{0};
    const auto claim = [&](std::size_t& seq, std::size_t& lo, std::size_t& hi) {
      std::size_t c = max_chunk;
      if (const std::size_t rows = seen_rows.load(); rows != 0) {
        const std::size_t avg = std::max<std::size_t>(1, seen_bytes.load() / rows);
        c = std::clamp<std::size_t>(q.capacity_bytes() / 2 / callers_wanted / avg, 1, max_chunk);
      } else {
        c = std::min<std::size_t>(c, 64);  // the first chunk measures the rows
      }
      std::lock_guard lk(claim_m);
      if (claimed >= n) return false;
      seq = claims++;
      lo = claimed;
      hi = std::min(n, lo + c);
      claimed = hi;
      return true;
    };
    std::mutex turn_m;
    std::condition_variable turn_cv;
    std::size_t turn = 0;  // input order: the chunk whose results go next
    std::atomic<bool> refused{false};
    const G g{op};
    const auto first = ranges::begin(in);

    // Runs items [lo, hi) and appends their results; a call that throws (a worker died) is
    // split until the item at fault is alone, and that item is reported.
    const auto run_range = [&](auto&& self, std::size_t lo, std::size_t hi, std::vector<pipeline::queued<T>>& out) -> void {
      try {
        const detail::iterator_range<decltype(first)> part{first + static_cast<std::ptrdiff_t>(lo), first + static_cast<std::ptrdiff_t>(hi)};
        auto res = map_with<Q>(g, part, o.cpu);
        for (std::size_t i = 0; i < res.size(); ++i) {
          if (res[i].first) {
            pipeline::queued<T> e{lo + i, std::move(*res[i].first), 0};
            e.bytes = detail::row_bytes(e.row);
            out.push_back(std::move(e));
          } else {
            std::lock_guard lk(dead_m);
            kernel_dead.push_back({lo + i, dead_letter::stage::kernel, std::move(res[i].second)});
          }
        }
      } catch (...) {
        if (hi - lo == 1) {
          std::lock_guard lk(dead_m);
          kernel_dead.push_back({lo, dead_letter::stage::kernel, pipeline::detail::reason_of(std::current_exception())});
          return;
        }
        const std::size_t mid = lo + (hi - lo) / 2;
        self(self, lo, mid, out);
        self(self, mid, hi, out);
      }
    };
    const auto producer = [&] {
      std::vector<pipeline::queued<T>> out;
      for (std::size_t k = 0, lo = 0, hi = 0; claim(k, lo, hi);) {
        out.clear();
        if (!refused) run_range(run_range, lo, hi, out);
        std::size_t b = 0;
        for (const auto& e : out) b += e.bytes;
        seen_rows += out.size();
        seen_bytes += b;
        if (o.order == result_order::input) {
          std::unique_lock lk(turn_m);
          turn_cv.wait(lk, [&] { return turn == k; });
        }
        for (auto& e : out) {
          const std::size_t idx = e.index;
          if (refused || !q.push(std::move(e))) {
            refused = true;
            std::lock_guard lk(dead_m);
            kernel_dead.push_back({idx, dead_letter::stage::sink, "the writer stopped before this row"});
          }
        }
        if (o.order == result_order::input) {
          { std::lock_guard lk(turn_m); ++turn; }
          turn_cv.notify_all();
        }
      }
    };
    const unsigned callers = static_cast<unsigned>(std::clamp<std::size_t>(callers_wanted, 1, std::max<std::size_t>(1, (n + 63) / 64)));
    std::vector<std::thread> extra;
    try {
      for (unsigned i = 1; i < callers; ++i) extra.emplace_back(producer);
    } catch (const std::system_error&) {  // no thread to spare: this one runs every chunk
    }
    producer();
    for (auto& t : extra) t.join();
    q.close();
    writer.join();

    rep.committed = counts.committed;
    rep.batches = counts.batches;
    rep.retries = counts.retries;
    rep.splits = counts.splits;
    rep.failed = std::move(kernel_dead);
    rep.failed.insert(rep.failed.end(), sink_dead.begin(), sink_dead.end());
    std::sort(rep.failed.begin(), rep.failed.end(), [](const dead_letter& a, const dead_letter& b) { return a.index < b.index; });
    rep.close_error = std::move(close_error);
    if (writer_failure) rep.close_error += (rep.close_error.empty() ? "" : "; ") + std::string("writer: ") + pipeline::detail::reason_of(writer_failure);
    rep.peak_items = q.peak_items();
    rep.peak_bytes = q.peak_bytes();
    rep.decision = decision;
    return rep;
  }
};

/// `breakeven::map_into(kernel, items, sink, options)`: results committed through one writer.
inline constexpr map_into_fn<> map_into{};
/// The same with a profile other than the build's default.
template <profile_source P>
inline constexpr map_into_fn<P> map_into_with{};

}  // namespace breakeven
