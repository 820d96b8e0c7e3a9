// The decision tree at run time: tables agree with decide() batch by batch, plans explain
// themselves, admissibility rules hold for every profile.
#include "../support/guide_kernels.hpp"

#include <breakeven/break_even_table.hpp>

#include <catch2/catch.hpp>

#include <string>

namespace be = breakeven;
using be::executor_kind;

TEMPLATE_TEST_CASE("decision table agrees with decide() for every batch size", "[core][table]",
                   be::profiles::guide, be::profiles::lecture, be::profiles::conservative) {
  const auto& prof = TestType::value;
  for (double cost : {1.0, 50.0, 2'000.0, 100'000.0, 5e6, 5e7}) {
    for (auto bound : {be::bound::cpu, be::bound::memory, be::bound::io}) {
      be::kernel_desc k{.cost_ns = cost, .bytes_in = 64, .bytes_out = 32, .bound = bound};
      const auto table = be::make_decision_table(k, prof);
      for (std::size_t n = 1; n < 5'000'000; n = n < 64 ? n + 1 : n + n / 7) {
        INFO("cost " << cost << " n " << n);
        REQUIRE(table.kind_for(n) == be::decide(k, n, prof).kind);
      }
    }
  }
}

TEST_CASE("plans explain every step they took", "[core][explain]") {
  const auto p = be::plan_for<guide_kernels::hash, be::profiles::guide>(1'000);
  const std::string text(be::explain(p).view());
  CHECK(text.find("[guide] batch 1000 x 2 us") == 0);
  CHECK(text.find("work 2 ms <= 3 x overhead 100 ms") != std::string::npos);
  CHECK(text.find("=> sequential") != std::string::npos);

  const auto q = be::plan_for<guide_kernels::unsafe_numerical, be::profiles::guide>(100);
  const std::string qt(be::explain(q).view());
  CHECK(qt.find("not thread-safe -> thread pool inadmissible") != std::string::npos);
  CHECK(qt.find("=> process_pool") != std::string::npos);
  CHECK(q.of(executor_kind::thread_pool).why_not == be::refusal::not_thread_safe);
}

TEST_CASE("switches: disabled, forced, capped workers, unknown cost", "[core][options]") {
  const auto k = be::describe<guide_kernels::numerical>();
  be::call_options off;
  off.disabled = true;
  CHECK(be::decide(k, 100, be::profiles::guide::value, off).kind == executor_kind::sequential);

  be::call_options forced;
  forced.force = true;
  forced.forced = executor_kind::process_pool;
  const auto unsafe = be::describe<guide_kernels::unsafe_numerical>();
  CHECK(be::decide(unsafe, 1, be::profiles::guide::value, forced).kind == executor_kind::process_pool);
  // A thread-safe kernel has no process executor built for it: forcing one is refused, and
  // the call is decided as usual.
  const auto refused = be::decide(k, 1, be::profiles::guide::value, forced);
  CHECK(refused.kind == be::decide(k, 1, be::profiles::guide::value).kind);
  CHECK(refused.of(executor_kind::process_pool).why_not == be::refusal::threads_suffice);
  CHECK(std::string(be::explain(refused).view()).find("forced process_pool refused") != std::string::npos);

  be::call_options capped;
  capped.max_workers = 2;
  CHECK(be::decide(k, 100, be::profiles::guide::value, capped).workers == 2);

  be::kernel_desc unknown = k;
  unknown.cost_ns = -1;
  const auto p = be::decide(unknown, 100, be::profiles::guide::value);
  CHECK(p.needs_measurement);
  CHECK(p.kind == executor_kind::sequential);

  // Isolation survives the global switch: the kernel still leaves the caller's process.
  const auto iso = be::decide(be::describe<guide_kernels::isolated>(), 10, be::profiles::guide::value, off);
  CHECK(iso.kind == executor_kind::process_pool);
  CHECK(iso.workers == 1);
}

TEST_CASE("variance and priority shape the chunks", "[core][chunks]") {
  be::kernel_desc low{.cost_ns = 100'000, .bytes_in = 8, .bytes_out = 8};
  be::kernel_desc high = low;
  high.variance = be::variance::high;
  const auto& prof = be::profiles::conservative::value;
  const auto pl = be::decide(low, 10'000, prof);
  const auto ph = be::decide(high, 10'000, prof);
  REQUIRE(pl.parallel());
  REQUIRE(ph.parallel());
  CHECK_FALSE(pl.dynamic);
  CHECK(pl.chunk == 5'000);  // one static chunk per core
  CHECK(ph.dynamic);
  CHECK(ph.tasks >= 4 * ph.workers);
  be::call_options latency;
  latency.prio = be::priority::latency;
  CHECK(be::decide(high, 10'000, prof, latency).chunk < ph.chunk);
}

TEST_CASE("large payloads per task go to shared memory, small ones through the pipe", "[core][shm]") {
  const auto& prof = be::profiles::conservative::value;
  be::kernel_desc small{.cost_ns = 20'000, .bytes_in = 16, .bytes_out = 16, .thread_safe = false};
  be::kernel_desc large = small;
  large.bytes_in = 4 << 20;
  large.cost_ns = 20e6;  // 4 MiB in: moving it costs milliseconds whichever way
  CHECK(be::decide(small, 1'000, prof).kind == executor_kind::process_pool);
  const auto p = be::decide(large, 64, prof);
  CHECK(p.kind == executor_kind::shared_memory);
  CHECK(std::string(be::explain(p).view()).find("-> shared memory") != std::string::npos);
}

TEST_CASE("process tasks that move payload stay near a quarter ring, unless dispatch forbids", "[core][process]") {
  // 100,000 log lines of ~120 bytes in, 32 out, 295 ns each, thread-unsafe.
  const be::kernel_desc lines{.cost_ns = 295, .bytes_in = 120, .bytes_out = 32, .thread_safe = false};
  be::machine_profile prof = be::profiles::conservative::value;
  prof.process_dispatch_ns = 3'000;
  const be::plan cheap = be::decide(lines, 100'000, prof);
  const auto& c = cheap.of(executor_kind::process_pool);
  const double fit = be::detail::process_task_payload_bytes / 152;
  CHECK(static_cast<double>(c.chunk) <= fit);
  CHECK(static_cast<double>(c.chunk) > fit - 1);
  CHECK(c.tasks == (100'000 + c.chunk - 1) / c.chunk);
  // Dearer dispatch: tasks long enough that dispatch stays near 5% of each, but never more
  // than a whole ring of items.
  const auto ring_items = static_cast<std::size_t>(static_cast<double>(be::limits::process_ring_bytes) / 152);
  prof.process_dispatch_ns = 10'000;
  const be::plan dear = be::decide(lines, 100'000, prof);
  const auto& d = dear.of(executor_kind::process_pool);
  CHECK(d.chunk == static_cast<std::size_t>(20.0 * 10'000 / 295 + 1));
  prof.process_dispatch_ns = 30'000;
  CHECK(be::decide(lines, 100'000, prof).of(executor_kind::process_pool).chunk == ring_items);
  // A profile whose transport costs nothing, or a chunk the caller set, is not cut.
  prof.pipe_ns_per_byte = 0;
  CHECK(be::decide(lines, 100'000, prof).of(executor_kind::process_pool).chunk == 50'000);
  be::call_options fixed;
  fixed.chunk = 10'000;
  CHECK(be::decide(lines, 100'000, be::profiles::conservative::value, fixed).of(executor_kind::process_pool).chunk == 10'000);
  // Threads share memory: their chunks are not cut.
  be::kernel_desc safe = lines;
  safe.thread_safe = true;
  CHECK(be::decide(safe, 100'000, be::profiles::conservative::value).of(executor_kind::thread_pool).chunk == 50'000);
}

TEST_CASE("a forced executor the kernel's traits exclude is refused with a reason", "[core][options]") {
  be::call_options forced;
  forced.force = true;
  forced.forced = executor_kind::thread_pool;
  const auto p = be::decide(be::describe<guide_kernels::unsafe_numerical>(), 100, be::profiles::guide::value, forced);
  CHECK(p.kind == executor_kind::process_pool);
  CHECK(std::string(be::explain(p).view()).find("forced thread_pool refused: kernel not thread-safe") != std::string::npos);
}

TEST_CASE("the variance reason names the variance declared", "[core][explain]") {
  be::kernel_desc medium{.cost_ns = 100'000, .bytes_in = 8, .bytes_out = 8, .variance = be::variance::medium};
  be::kernel_desc high = medium;
  high.variance = be::variance::high;
  const auto& prof = be::profiles::conservative::value;
  CHECK(std::string(be::explain(be::decide(medium, 10'000, prof)).view()).find("medium variance -> dynamic") != std::string::npos);
  CHECK(std::string(be::explain(be::decide(high, 10'000, prof)).view()).find("high variance -> dynamic") != std::string::npos);
}

TEST_CASE("two long items of varying cost on two workers go parallel", "[core][chunks]") {
  // Each worker takes one item; the makespan is the longer item, not two of them.
  be::kernel_desc k{.cost_ns = 50e6, .bytes_in = 32, .bytes_out = 8, .variance = be::variance::high};
  const auto p = be::decide(k, 2, be::profiles::conservative::value);
  CHECK(p.kind == executor_kind::thread_pool);
  CHECK(p.speedup() > 1.3);
  CHECK(p.speedup() < 2.0);
  // The critical path never exceeds the sequential work, whatever the variance.
  for (std::size_t n : {1u, 2u, 3u, 7u})
    CHECK(be::decide(k, n, be::profiles::conservative::value).of(executor_kind::thread_pool).work_ns <= 50e6 * static_cast<double>(n));
}

TEST_CASE("explanations list every candidate and say why the winner beat the runner-up", "[core][explain]") {
  // A thread-unsafe kernel whose output cannot cross a process boundary: the thread pool is
  // refused over thread safety, the process pool over transport, shared memory likewise.
  be::kernel_desc k{.cost_ns = 100'000, .bytes_in = 8, .bytes_out = 8, .thread_safe = false,
                    .transportable = false, .shm_compatible = false};
  const auto p = be::decide(k, 1'000, be::profiles::conservative::value);
  CHECK(p.kind == executor_kind::sequential);
  const std::string text(be::explain(p).view());
  INFO(text);
  CHECK(text.find("thread_pool refused: kernel not thread-safe") != std::string::npos);
  CHECK(text.find("process_pool refused: input/output not transportable") != std::string::npos);
  CHECK(text.find("shared_memory refused: items not trivially copyable") != std::string::npos);
  CHECK(text.find("sequential: the only admissible executor") != std::string::npos);

  // A parallel winner names the runner-up and both estimates.
  const auto q = be::plan_for<guide_kernels::numerical, be::profiles::guide>(100);
  REQUIRE(q.kind == executor_kind::thread_pool);
  CHECK(q.runner_up != q.kind);
  const std::string why(be::why_chosen(q).view());
  CHECK(why.find("thread_pool beats ") == 0);
  CHECK(why.find(" vs ") != std::string::npos);
  CHECK(std::string(be::explain(q).view()).find(why) != std::string::npos);
  // Every admissible candidate appears with its estimate.
  CHECK(std::string(be::explain(q).view()).find("candidates: sequential ") != std::string::npos);

  // Sequential beating a cheaper-looking parallel candidate says the margins were not cleared.
  const auto r = be::plan_for<guide_kernels::hash, be::profiles::guide>(1'000);
  CHECK(std::string(be::why_chosen(r).view()).find("sequential beats ") == 0);
  static_assert(be::why_chosen(be::plan_for<guide_kernels::numerical, be::profiles::guide>(100)).contains("beats"));
}

TEST_CASE("shared memory prices the re-fault of calls past the pool's retention limit", "[core][shm]") {
  const auto& prof = be::profiles::conservative::value;
  be::call_options ready;
  ready.shm_segment_ready = true;
  be::kernel_desc k{.cost_ns = 200'000, .bytes_in = 64 << 10, .bytes_out = 0, .thread_safe = false};
  // Below the limit a ready segment faults nothing in; at the limit every call re-faults.
  const auto below = be::decide(k, 1'024, prof, ready).of(executor_kind::shared_memory);
  const auto at = be::decide(k, 4'096, prof, ready).of(executor_kind::shared_memory);
  const double pages = 4'096.0 * (64 << 10) / prof.page_bytes;
  CHECK(static_cast<double>(be::limits::shm_retain_bytes) == 4'096.0 * (64 << 10));
  const double copy = 4'096.0 * (64 << 10) * prof.memcpy_ns_per_byte;
  CHECK(at.overhead_ns - copy - prof.wake_ns - 4'096.0 / at.chunk * prof.process_dispatch_ns ==
        Approx((pages + 1) * prof.shm_page_ns));
  CHECK(below.overhead_ns < at.overhead_ns / 3);
}

TEST_CASE("an executor this program did not build is never planned, and the plan says so", "[core][available]") {
  be::call_options o;
  o.available[static_cast<std::size_t>(executor_kind::process_pool)] = false;
  o.available[static_cast<std::size_t>(executor_kind::shared_memory)] = false;
  const auto p = be::decide(be::describe<guide_kernels::unsafe_numerical>(), 100, be::profiles::guide::value, o);
  CHECK(p.kind == executor_kind::sequential);
  const std::string text(be::explain(p).view());
  CHECK(text.find("process_pool refused: executor not available") != std::string::npos);
  CHECK(text.find("shared_memory refused: executor not available") != std::string::npos);
  // Forcing one that is not built is refused with that reason too.
  o.force = true;
  o.forced = executor_kind::process_pool;
  CHECK(std::string(be::explain(be::decide(be::describe<guide_kernels::unsafe_numerical>(), 100, be::profiles::guide::value, o)).view())
            .find("forced process_pool refused: executor not available") != std::string::npos);
}
