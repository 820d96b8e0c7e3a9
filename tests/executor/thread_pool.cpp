// The thread pool's own promises: nothing lost or run twice, schedules and caps honoured,
// concurrent callers, nested calls, busy and sleeping workers, shutdown with queued work.
#include "../support/executors.hpp"
#include "../support/guide_kernels.hpp"

#include <range/v3/view/iota.hpp>

#include <catch2/catch.hpp>

#include <atomic>
#include <cstddef>
#include <filesystem>
#include <fstream>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <sched.h>

namespace be = breakeven;
using namespace std::chrono_literals;

namespace {

// Counts each index it is called with.
struct count_index {
  using input_type = std::size_t;
  using output_type = void;
  static constexpr auto cost = std::chrono::nanoseconds{5};
  std::atomic<unsigned char>* counts;
  void operator()(const std::size_t& i) const { counts[i].fetch_add(1, std::memory_order_relaxed); }
};

// Records which thread ran each index.
struct record_thread {
  using input_type = std::size_t;
  using output_type = std::size_t;
  static constexpr auto cost = std::chrono::nanoseconds{50};
  std::thread::id* ran_on;
  std::size_t operator()(const std::size_t& i) const {
    ran_on[i] = std::this_thread::get_id();
    return i;
  }
};

using test::gate;

// Sleeps a little, then counts itself.
struct slow_count {
  using input_type = int;
  using output_type = int;
  static constexpr auto cost = std::chrono::microseconds{50};
  std::atomic<int>* done;
  int operator()(const int& x) const {
    std::this_thread::sleep_for(50us);
    done->fetch_add(1);
    return x;
  }
};

// Submits a slow_count task to the same pool, and counts itself.
struct submits_more {
  using input_type = int;
  using output_type = int;
  static constexpr auto cost = std::chrono::microseconds{1};
  be::thread_pool* pool;
  std::atomic<int>* done;
  int operator()(const int& x) const {
    pool->submit(slow_count{done}, x);  // its future is dropped: the task runs all the same
    done->fetch_add(1);
    return x;
  }
};

// Maps each item to the sum of a bulk_map it runs on the same pool.
struct nested_sum {
  using input_type = int;
  using output_type = long long;
  static constexpr auto cost = std::chrono::microseconds{10};
  be::thread_pool* pool;
  long long operator()(const int& x) const {
    std::vector<long long> inner(50);
    pool->bulk_map(test::square{}, ranges::views::iota(0, 50), inner.begin(), {.chunk = 5});
    long long sum = x;
    for (long long v : inner) sum += v;
    return sum;
  }
};

struct identity {
  using input_type = std::size_t;
  using output_type = std::size_t;
  static constexpr auto cost = std::chrono::nanoseconds{1};
  std::size_t operator()(const std::size_t& x) const { return x; }
};

struct kernel_error {
  int item;
};
// Throws a type that is not a std::exception.
struct throws_custom {
  using input_type = int;
  using output_type = int;
  static constexpr auto cost = std::chrono::nanoseconds{20};
  int operator()(const int& x) const {
    if (x % 100 == 42) throw kernel_error{x};
    return x;
  }
};

std::vector<std::thread::id> run_recording(be::thread_pool& pool, std::size_t n, const be::schedule& s) {
  std::vector<std::thread::id> ran_on(n);
  std::vector<std::size_t> out(n);
  pool.bulk_map(record_thread{ran_on.data()}, ranges::views::iota(0, static_cast<int>(n)), out.begin(), s);
  for (std::size_t i = 0; i < n; ++i) REQUIRE(out[i] == i);
  return ran_on;
}

// Every chunk [k * chunk, (k + 1) * chunk) ran on one thread; returns the threads used.
std::set<std::thread::id> check_chunks_whole(const std::vector<std::thread::id>& ran_on, std::size_t chunk) {
  std::set<std::thread::id> threads;
  for (std::size_t i = 0; i < ran_on.size(); ++i) {
    INFO("item " << i);
    REQUIRE(ran_on[i] == ran_on[i / chunk * chunk]);
    threads.insert(ran_on[i]);
  }
  return threads;
}

// Records, for items a pool worker runs, whether that worker's CPU mask excluded `cpu`
// (1: excluded, 2: allowed, -1: unreadable); items the caller runs stay 0.
struct record_mask {
  using input_type = std::size_t;
  using output_type = std::size_t;
  static constexpr auto cost = std::chrono::microseconds{500};
  std::thread::id caller;
  int cpu;
  std::atomic<int>* seen;
  std::size_t operator()(const std::size_t& i) const {
    if (std::this_thread::get_id() != caller) {
      cpu_set_t mask;
      CPU_ZERO(&mask);
      seen[i].store(::sched_getaffinity(0, sizeof mask, &mask) != 0 ? -1 : CPU_ISSET(cpu, &mask) ? 2 : 1);
    }
    const auto until = std::chrono::steady_clock::now() + 500us;
    while (std::chrono::steady_clock::now() < until) {
    }
    return i;
  }
};

// "Cpus_allowed_list" of a thread's /proc status.
std::string cpus_allowed(const std::filesystem::path& task) {
  std::ifstream status(task / "status");
  for (std::string line; std::getline(status, line);)
    if (line.rfind("Cpus_allowed_list:", 0) == 0) return line.substr(line.find_first_not_of(" \t", 18));
  return {};
}

// The threads of this process whose CPU mask differs from the calling thread's.
std::vector<std::string> narrowed_threads() {
  const std::string mine = cpus_allowed("/proc/thread-self");
  std::vector<std::string> odd;
  for (const auto& task : std::filesystem::directory_iterator("/proc/self/task"))
    if (const std::string cpus = cpus_allowed(task.path()); cpus != mine) odd.push_back(task.path().filename().string() + ": " + cpus);
  return odd;
}

}  // namespace

TEST_CASE("thread pool: a million tiny items, each run exactly once", "[thread_pool]") {
  constexpr std::size_t n = 1'000'000;
  be::thread_pool pool(4);
  for (const be::schedule s : {be::schedule{}, be::schedule{.chunk = 64, .dynamic = true}, be::schedule{.chunk = 1000}}) {
    INFO("chunk " << s.chunk << " dynamic " << s.dynamic);
    auto counts = std::make_unique<std::atomic<unsigned char>[]>(n);
    pool.bulk_for_each(count_index{counts.get()}, ranges::views::iota(0, static_cast<int>(n)), s);
    std::size_t wrong = 0;
    for (std::size_t i = 0; i < n; ++i) wrong += counts[i].load() != 1;
    REQUIRE(wrong == 0);
  }
  std::vector<std::size_t> in(n);
  for (std::size_t i = 0; i < n; ++i) in[i] = n - i;
  std::vector<std::size_t> out(n, 0);
  pool.bulk_map(identity{}, in, out.data(), {.chunk = 10, .dynamic = true});
  CHECK(in == out);
}

TEST_CASE("thread pool: static schedules give chunk k to lane k % lanes", "[thread_pool][schedule]") {
  be::thread_pool pool(4);
  const auto before = pool.stats();
  const auto ran_on = run_recording(pool, 1000, {.chunk = 10, .workers = 3});
  const auto threads = check_chunks_whole(ran_on, 10);
  CHECK(threads.size() <= 3);
  for (std::size_t i = 0; i < 1000; ++i) REQUIRE(ran_on[i] == ran_on[(i / 10 % 3) * 10]);  // same lane, same thread
  const auto after = pool.stats();
  CHECK(after.chunks - before.chunks == 100);
  CHECK(after.bulk_calls - before.bulk_calls == 1);

  // chunk 0: one chunk per lane.
  const auto mid = pool.stats();
  run_recording(pool, 1001, {.workers = 4});
  CHECK(pool.stats().chunks - mid.chunks == 4);
}

TEST_CASE("thread pool: dynamic schedules claim whole chunks", "[thread_pool][schedule]") {
  be::thread_pool pool(4);
  const auto before = pool.stats();
  const auto ran_on = run_recording(pool, 1000, {.chunk = 7, .workers = 2, .dynamic = true});
  CHECK(check_chunks_whole(ran_on, 7).size() <= 2);
  CHECK(pool.stats().chunks - before.chunks == 143);

  // chunk 0 when dynamic: four chunks per lane.
  const auto mid = pool.stats();
  run_recording(pool, 1000, {.workers = 4, .dynamic = true});
  CHECK(pool.stats().chunks - mid.chunks == 16);
}

TEST_CASE("thread pool: one worker means the calling thread", "[thread_pool][schedule]") {
  be::thread_pool pool(4);
  for (const bool dynamic : {false, true}) {
    const auto ran_on = run_recording(pool, 500, {.chunk = 3, .workers = 1, .dynamic = dynamic});
    for (const auto& id : ran_on) REQUIRE(id == std::this_thread::get_id());
  }
  be::thread_pool single(1);
  CHECK(single.concurrency() == 1);
  CHECK(single.worker_threads() == 1);  // kept for submit()
  for (const auto& id : run_recording(single, 100, {})) REQUIRE(id == std::this_thread::get_id());
  CHECK(single.submit(test::square{}, 9).get() == 81);
}

TEST_CASE("thread pool: sizes", "[thread_pool]") {
  be::thread_pool pool;
  CHECK(pool.concurrency() == std::max(1u, std::thread::hardware_concurrency()));
  be::thread_pool three(3, 0ns);
  CHECK(three.concurrency() == 3);
  CHECK(three.worker_threads() == 2);
  CHECK(three.spin_budget() == 0ns);
}

TEST_CASE("thread pool: concurrent submit and bulk calls from several threads", "[thread_pool][concurrency]") {
  be::thread_pool pool(3);
  const auto before = pool.stats();
  constexpr int callers = 4;
  constexpr int per_caller = 300;
  std::vector<std::thread> threads;
  std::atomic<int> wrong{0};
  for (int c = 0; c < callers; ++c) {
    threads.emplace_back([&, c] {
      std::vector<std::future<long long>> futures;
      for (int i = 0; i < per_caller; ++i) futures.push_back(pool.submit(test::square{}, c * per_caller + i));
      for (int i = 0; i < per_caller; ++i) {
        const long long x = c * per_caller + i;
        wrong += futures[static_cast<std::size_t>(i)].get() != x * x;
      }
      std::vector<long long> out(500);
      for (int rep = 0; rep < 20; ++rep) {
        pool.bulk_map(test::square{}, ranges::views::iota(0, 500), out.begin(), {.chunk = 16, .dynamic = rep % 2 == 1});
        for (int i = 0; i < 500; ++i) wrong += out[static_cast<std::size_t>(i)] != static_cast<long long>(i) * i;
      }
    });
  }
  for (auto& t : threads) t.join();
  CHECK(wrong == 0);
  const auto after = pool.stats();
  CHECK(after.tasks - before.tasks == callers * per_caller);
  CHECK(after.bulk_calls - before.bulk_calls == callers * 20);
}

TEST_CASE("thread pool: bulk calls nested in bulk calls and in tasks", "[thread_pool][nested]") {
  be::thread_pool pool(3);
  constexpr long long inner = 49LL * 50 * 99 / 6;  // sum of squares 0..49
  std::vector<long long> out(40);
  pool.bulk_map(nested_sum{&pool}, ranges::views::iota(0, 40), out.begin(), {.chunk = 2, .dynamic = true});
  for (int i = 0; i < 40; ++i) REQUIRE(out[static_cast<std::size_t>(i)] == inner + i);
  CHECK(pool.submit(nested_sum{&pool}, 7).get() == inner + 7);
}

TEST_CASE("thread pool: a busy worker's lane is taken back by the caller", "[thread_pool][busy]") {
  be::thread_pool pool(2);
  std::atomic<bool> started{false}, open{false};
  auto blocked = pool.submit(gate{&started, &open}, 5);
  while (!started.load()) std::this_thread::sleep_for(50us);
  // The only worker is busy: a static call with a lane for it still completes, on the caller.
  const auto before = pool.stats();
  const auto ran_on = run_recording(pool, 100, {.workers = 2});
  for (const auto& id : ran_on) REQUIRE(id == std::this_thread::get_id());
  CHECK(pool.stats().taken_back - before.taken_back == 1);
  open.store(true);
  CHECK(blocked.get() == 5);
}

TEST_CASE("thread pool: workers sleep after their spin budget and wake for work", "[thread_pool][spin]") {
  be::thread_pool sleepy(3, 0ns);
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while ((sleepy.spinning() || sleepy.stats().parks < 2) && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(1ms);
  REQUIRE_FALSE(sleepy.spinning());
  CHECK(sleepy.spinning_workers() == 0);
  // Work reaches sleeping workers: submitted tasks wake one, bulk calls ring theirs.
  CHECK(sleepy.submit(test::square{}, 12).get() == 144);
  std::vector<long long> out(300);
  for (int rep = 0; rep < 20; ++rep) {
    sleepy.bulk_map(test::square{}, ranges::views::iota(0, 300), out.begin(), {.chunk = 10});
    REQUIRE(out[299] == 299LL * 299);
  }
  CHECK(sleepy.stats().wakes > 0);

  // A budget of 10 s: nobody sleeps yet (spinners that yield to runnable threads would
  // sleep at once on an oversubscribed machine: tests/executor/spin_yield.cpp).
  be::detail::spin_yields() = false;
  be::thread_pool eager(3, 10s);
  eager.bulk_map(test::square{}, ranges::views::iota(0, 300), out.begin());
  CHECK(eager.spinning());
  CHECK(eager.stats().parks == 0);
  be::detail::spin_yields() = true;
}

TEST_CASE("thread pool: a sleeping worker is woken off the waker's CPU, and widened before it sleeps",
          "[thread_pool][spin][steer]") {
  cpu_set_t all;
  CPU_ZERO(&all);
  REQUIRE(::sched_getaffinity(0, sizeof all, &all) == 0);
  int first = 0;
  while (!CPU_ISSET(first, &all)) ++first;
  REQUIRE(narrowed_threads().empty());

  for (const bool steer : {true, false}) {
    INFO("steer_wakes(" << steer << ")");
    be::thread_pool pool(2, 0ns);  // a budget of 0: the worker sleeps at once
    pool.steer_wakes(steer);
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    while (pool.stats().parks == 0 && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(1ms);
    REQUIRE(pool.stats().parks == 1);

    // The caller on one CPU: the woken worker's mask must leave that CPU out.
    cpu_set_t one;
    CPU_ZERO(&one);
    CPU_SET(first, &one);
    REQUIRE(::sched_setaffinity(0, sizeof one, &one) == 0);
    std::vector<std::atomic<int>> seen(8);
    std::vector<std::size_t> out(8);
    pool.bulk_map(record_mask{std::this_thread::get_id(), first, seen.data()}, ranges::views::iota(0, 8), out.begin(),
                  {.chunk = 4, .workers = 2});
    REQUIRE(::sched_setaffinity(0, sizeof all, &all) == 0);
    for (std::size_t i = 0; i < out.size(); ++i) REQUIRE(out[i] == i);

    const bool many = CPU_COUNT(&all) > 1;
    CHECK(pool.stats().wakes == 1);
    CHECK(pool.stats().steered == (steer && many ? 1u : 0u));
    for (const auto& s : seen)  // a worker that ran items saw the caller's CPU excluded iff steered
      if (s.load() != 0) CHECK(s.load() == (steer && many ? 1 : 2));

    // Back asleep, the worker has its whole mask again.
    while (pool.stats().parks < 2 && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(1ms);
    REQUIRE(pool.stats().parks == 2);
    CHECK(narrowed_threads().empty());
  }
}

TEST_CASE("thread pool: exceptions of any type reach the caller", "[thread_pool][exceptions]") {
  be::thread_pool pool(4);
  std::vector<int> out(1000);
  for (const be::schedule s : {be::schedule{}, be::schedule{.chunk = 3, .dynamic = true}}) {
    try {
      pool.bulk_map(throws_custom{}, ranges::views::iota(0, 1000), out.begin(), s);
      FAIL("bulk_map did not throw");
    } catch (const kernel_error& e) {
      CHECK(e.item == 42);
    }
  }
  auto f = pool.submit(throws_custom{}, 142);
  try {
    f.get();
    FAIL("get() did not throw");
  } catch (const kernel_error& e) {
    CHECK(e.item == 142);
  }
}

TEST_CASE("thread pool: destruction runs the queued tasks first", "[thread_pool][shutdown]") {
  std::atomic<int> done{0};
  std::vector<std::future<int>> futures;
  {
    be::thread_pool pool(2);
    for (int i = 0; i < 200; ++i) futures.push_back(pool.submit(slow_count{&done}, i));
  }
  CHECK(done.load() == 200);
  for (int i = 0; i < 200; ++i) {
    REQUIRE(futures[static_cast<std::size_t>(i)].wait_for(0s) == std::future_status::ready);
    CHECK(futures[static_cast<std::size_t>(i)].get() == i);
  }
}

TEST_CASE("thread pool: tasks submitted by tasks during destruction run too", "[thread_pool][shutdown]") {
  std::atomic<int> done{0};
  {
    be::thread_pool pool(3);
    for (int i = 0; i < 50; ++i) pool.submit(submits_more{&pool, &done}, i);
  }
  CHECK(done.load() == 100);
}

TEST_CASE("thread pool: admits thread-safe kernels only", "[thread_pool][admits]") {
  STATIC_REQUIRE(be::thread_pool::admits<test::square>);
  STATIC_REQUIRE_FALSE(be::thread_pool::admits<guide_kernels::unsafe_numerical>);
  STATIC_REQUIRE_FALSE(be::thread_pool::admits<guide_kernels::isolated>);
  STATIC_REQUIRE_FALSE(be::thread_pool::admits<int>);
  STATIC_REQUIRE(be::sequential_executor::admits<guide_kernels::unsafe_numerical>);
  STATIC_REQUIRE_FALSE(be::sequential_executor::admits<guide_kernels::isolated>);
  STATIC_REQUIRE(be::admits_v<be::thread_pool, const test::square&>);
}

TEST_CASE("spin_until_ready waits for a future within its budget", "[thread_pool][spin]") {
  be::thread_pool pool(2);
  auto f = pool.submit(test::square{}, 3);
  CHECK(be::spin_until_ready(f, 10s));
  CHECK(f.get() == 9);
  std::promise<int> never;
  CHECK_FALSE(be::spin_until_ready(never.get_future(), 1ms));
}
