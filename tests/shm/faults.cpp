// Faults during a shared-memory call: a worker that dies mid-call, an exception in the
// caller's process mid-call, a call larger than memory. In each case the call ends with
// every worker done with its blocks, the pool goes on, and (checked after every test case
// by main.cpp) no process, descriptor, /dev/shm name or segment mapping is left behind.
#include "../support/shm_hygiene.hpp"
#include "kernels.hpp"

#include <breakeven/executor/shared_memory.hpp>

#include <catch2/catch.hpp>

#include <range/v3/view/iota.hpp>
#include <range/v3/view/transform.hpp>

#include <csignal>
#include <span>
#include <numeric>
#include <vector>

#include <sys/mman.h>

namespace be = breakeven;

namespace {

std::vector<std::int32_t> iota_vec(int n) {
  std::vector<std::int32_t> v(static_cast<std::size_t>(n));
  std::iota(v.begin(), v.end(), 0);
  return v;
}

// An output iterator whose writes throw from index `bad` on (the caller's own code failing).
struct throwing_out {
  std::int32_t* base;
  std::ptrdiff_t bad;
  struct ref {
    std::int32_t* p;
    bool fail;
    ref& operator=(std::int32_t v) {
      if (fail) throw std::runtime_error("the caller's output refused a value");
      *p = v;
      return *this;
    }
  };
  ref operator[](std::ptrdiff_t i) const { return {base + i, i >= bad}; }
};

}  // namespace

TEST_CASE("a worker that dies mid-call fails only its unfinished items; the call returns the rest",
          "[shm][faults][crash]") {
  const auto shm_before = breakeven_test::dev_shm_entries();
  be::shared_memory_pool pool(2);
  const auto in = iota_vec(1000);
  auto out = pool.make_buffer<std::int32_t>(in.size());
  std::fill(out.begin(), out.end(), -1);
  const be::bulk_report r = pool.try_bulk_map(stest::triple_or_crash{.crash = 437}, in, out.data(), {.chunk = 100});
  REQUIRE(r.failures().size() == 1);
  const auto& f = r.failures().front();
  // The worker finished items 400..436 of its chunk before item 437 killed it.
  CHECK(f.first == 437);
  CHECK(f.count == 500 - 437);
  try {
    std::rethrow_exception(f.error);
  } catch (const be::worker_lost& e) {
    CHECK(e.status().signaled());
    CHECK(e.status().code == SIGSEGV);
    CHECK(std::string(e.what()).find("SIGSEGV") != std::string::npos);
  }
  for (std::size_t i = 0; i < in.size(); ++i)
    if (!r.failed(i)) REQUIRE(out[i] == 3 * in[i]);
  CHECK(pool.stats().processes.workers_lost == 1);
  CHECK(breakeven_test::dev_shm_entries() == shm_before);

  // The pool goes on with a replacement worker, which maps the same segment.
  CHECK_THROWS_AS(pool.bulk_map(stest::triple_or_crash{.crash = 3}, in, out.data()), be::worker_lost);
  pool.bulk_map(stest::triple_or_crash{}, in, out.data());
  CHECK(out[999] == 2997);
  CHECK(pool.stats().processes.workers_started == 4);
  CHECK(pool.submit(stest::triple_or_crash{}, 5).get() == 15);
  CHECK(pool.stats().segment.in_use_bytes == pool.segment()->page_size());  // only `out`: every call gave its blocks back
}

TEST_CASE("a worker that dies after an item threw fails its whole chunk", "[shm][faults][crash]") {
  // The thrown item's own error died with the worker: no item of the chunk can be trusted.
  be::shared_memory_pool pool(1);
  const auto in = iota_vec(20);
  std::vector<std::int32_t> out(in.size(), -1);
  const be::bulk_report r =
      pool.try_bulk_map(stest::throw_then_crash{.bad = 12, .crash = 16}, in, out.begin(), {.chunk = 10});
  REQUIRE(r.failures().size() == 1);
  CHECK(r.failures().front().first == 10);
  CHECK(r.failures().front().count == 10);
  CHECK_THROWS_AS(r.rethrow(), be::worker_lost);
  CHECK(out[9] == 27);
  CHECK(out[10] == -1);
  CHECK(out[19] == -1);
}

TEST_CASE("an exception in the caller mid-call: workers finish, blocks come back, the pool goes on",
          "[shm][faults][parent]") {
  be::shared_memory_pool pool(2);
  const auto shm_before = breakeven_test::dev_shm_entries();

  // While items are copied in: the input range throws at item 600, after chunks were sent.
  const auto exploding = ranges::views::iota(0, 1000) | ranges::views::transform([](int x) {
                           if (x == 600) throw std::domain_error("input 600 cannot be read");
                           return static_cast<std::int32_t>(x);
                         });
  std::vector<std::int64_t> out(1000, -1);
  CHECK_THROWS_AS(pool.bulk_map(stest::square_or_throw{}, exploding, out.begin(), {.chunk = 100}), std::domain_error);
  CHECK(pool.stats().segment.in_use_bytes == 0);

  // While outputs are copied out: the caller's output iterator throws.
  const auto in = iota_vec(1000);
  std::vector<std::int32_t> target(1000, -1);
  CHECK_THROWS_WITH(pool.bulk_map(stest::triple_or_crash{}, in, throwing_out{target.data(), 250}, {.chunk = 100}),
                    "the caller's output refused a value");
  CHECK(target[249] == 747);
  CHECK(target[250] == -1);
  CHECK(pool.stats().segment.in_use_bytes == 0);
  CHECK(pool.stats().processes.workers_lost == 0);

  // A pool terminated under a running call: unsent and unfinished items fail with pool_closed.
  std::vector<std::int32_t> naps(8, 30);
  std::vector<std::int32_t> slept(naps.size(), -1);
  be::bulk_report r;
  std::thread call([&] { r = pool.try_bulk_map(stest::nap_ms{}, naps, slept.begin(), {.chunk = 1}); });
  std::this_thread::sleep_for(std::chrono::milliseconds(10));
  pool.terminate();
  call.join();
  CHECK(r.failed_items() >= 6);
  CHECK_THROWS_AS(r.rethrow(), be::pool_closed);
  CHECK(pool.stats().segment.in_use_bytes == 0);
  CHECK(breakeven_test::dev_shm_entries() == shm_before);
}

TEST_CASE("a call larger than the memory available fails before any work starts", "[shm][faults][memory]") {
  be::shared_memory_pool pool(2);
  // Input in private memory larger than the memory available: address space only (read-only,
  // never touched), so it must be copied into the segment, which cannot grow that far.
  const std::size_t bytes = be::shm::available_memory() + (std::size_t{1} << 30);
  void* p = ::mmap(nullptr, bytes, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  REQUIRE(p != MAP_FAILED);
  const std::span<const std::int32_t> huge(static_cast<const std::int32_t*>(p), bytes / sizeof(std::int32_t));
  void* q = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  REQUIRE(q != MAP_FAILED);
  auto* out = static_cast<std::int32_t*>(q);  // the same: never written, since nothing runs
  const auto completed = pool.stats().processes.tasks_completed;
  try {
    (void)pool.try_bulk_map(stest::triple_or_crash{}, huge, out);
    FAIL("the call did not throw");
  } catch (const be::insufficient_memory& e) {
    CHECK(std::string(e.what()).find("of memory is available") != std::string::npos);
  }
  ::munmap(p, bytes);
  ::munmap(q, bytes);
  CHECK(pool.stats().processes.tasks_completed == completed);  // no task was sent
  CHECK_THROWS_AS(pool.make_buffer<double>(bytes / sizeof(double)), be::insufficient_memory);
  std::vector<std::int32_t> small(16, 5), small_out(16);
  pool.bulk_map(stest::triple_or_crash{}, small, small_out.begin());  // and the pool works on
  CHECK(small_out[15] == 15);
}

TEST_CASE("try_bulk_map on a terminated pool reports every item and throws nothing", "[shm][faults][parent]") {
  be::shared_memory_pool pool(1);
  pool.terminate();
  std::vector<std::int32_t> naps(4, 1);
  std::vector<std::int32_t> slept(naps.size(), -1);
  be::bulk_report r;
  REQUIRE_NOTHROW(r = pool.try_bulk_map(stest::nap_ms{}, naps, slept.begin(), {.chunk = 1}));
  CHECK(r.failed_items() == 4);
  CHECK_THROWS_AS(r.rethrow(), be::pool_closed);
  CHECK(slept == std::vector<std::int32_t>(4, -1));
}
