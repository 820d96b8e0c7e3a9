// Bring your own context: asio_executor runs breakeven's calls on the threads of a program's
// own asio::thread_pool or io_context (the concept conformance body of tests/executor runs
// over it too), without deadlock when called from one of those threads.
#include "support.hpp"

#include <boost/asio/post.hpp>

#include <catch2/catch.hpp>

#include <memory>
#include <mutex>
#include <set>

using namespace test;
using namespace std::chrono_literals;

namespace {

// Records the thread of each item, after a short nap so that several threads take part.
struct which_thread {
  using input_type = int;
  using output_type = std::thread::id;
  static constexpr auto cost = std::chrono::microseconds{300};
  std::thread::id operator()(const int&) const {
    std::this_thread::sleep_for(300us);
    return std::this_thread::get_id();
  }
};

// The ids of the threads running `pool` (each posts its id until all `n` are seen). The
// handlers share their state by ownership: one may still be reading it after the caller has
// seen the last arrival and returned.
std::set<std::thread::id> threads_of(asio::thread_pool& pool, std::size_t n) {
  struct state {
    std::mutex m;
    std::set<std::thread::id> ids;
    std::atomic<std::size_t> arrived{0};
  };
  const auto s = std::make_shared<state>();
  for (std::size_t i = 0; i < n; ++i)
    asio::post(pool, [s, n] {
      {
        std::lock_guard lock(s->m);
        s->ids.insert(std::this_thread::get_id());
      }
      ++s->arrived;
      while (s->arrived.load() < n) std::this_thread::yield();  // hold the thread until all arrive
    });
  REQUIRE(eventually([&] { return s->arrived.load() == n; }));
  std::lock_guard lock(s->m);
  return s->ids;
}

}  // namespace

TEST_CASE("asio_executor models the executor concept, kind thread_pool", "[asio][executor]") {
  using ax = be::asio_executor<asio::thread_pool::executor_type>;
  STATIC_REQUIRE(be::executor<ax>);
  STATIC_REQUIRE(be::stoppable_executor<ax>);
  STATIC_REQUIRE(ax::kind == be::executor_kind::thread_pool);
  STATIC_REQUIRE(be::executor<be::asio_executor<asio::io_context::executor_type>>);
  asio::thread_pool pool(2);
  be::asio_executor ex(pool, 2);
  STATIC_REQUIRE(std::is_same_v<decltype(ex), ax>);
  CHECK(ex.concurrency() == 2);
}

TEST_CASE("breakeven::map on an asio_executor runs on the program's own threads", "[asio][executor]") {
  asio::thread_pool pool(2);
  const auto pool_threads = threads_of(pool, 2);
  REQUIRE(pool_threads.size() == 2);
  be::asio_executor ex(pool, 3);  // two pool threads and the caller
  const auto ran_on = be::map(which_thread{}, iota_vector(60), ex);
  std::set<std::thread::id> used(ran_on.begin(), ran_on.end());
  for (const auto& id : used) CHECK((pool_threads.count(id) == 1 || id == std::this_thread::get_id()));
  CHECK(std::count_if(used.begin(), used.end(), [&](auto id) { return pool_threads.count(id) == 1; }) >= 1);

  // The asynchronous form leaves the caller out: only the pool's threads.
  const auto async_ran_on = be::async_map(which_thread{}, iota_vector(60), ex, asio::use_future).get();
  for (const auto& id : async_ran_on) CHECK(pool_threads.count(id) == 1);
}

TEST_CASE("a bulk call from the context's only thread does the work itself", "[asio][executor]") {
  asio::io_context io;
  be::asio_executor ex(io, 4);  // four lanes asked of a context one thread runs
  std::vector<long long> got;
  asio::post(io, [&] { got = be::map(test::square{}, iota_vector(1000), ex); });
  // The three lanes posted to io could start only after the call returned: the caller took
  // them back and did the work; they ran afterwards, as no-ops (4 handlers in all).
  CHECK(io.run() == 4);
  REQUIRE(got.size() == 1000);
  CHECK(got[999] == 999LL * 999);
}

TEST_CASE("an io_context run by several threads serves as a pool", "[asio][executor]") {
  asio::io_context io;
  auto guard = asio::make_work_guard(io);
  std::vector<std::thread> threads;
  for (int i = 0; i < 2; ++i) threads.emplace_back([&] { io.run(); });
  be::asio_executor ex(io, 2);
  std::atomic<long long> sum{0};
  be::for_each(add_to{&sum}, iota_vector(1000), be::call_options{});  // the shared pool
  be::async_for_each(add_to{&sum}, iota_vector(1000), ex, asio::use_future).get();
  CHECK(sum.load() == 2 * (999LL * 1000 / 2));
  guard.reset();
  for (auto& t : threads) t.join();
}
