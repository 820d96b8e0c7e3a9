// Every completion token on every place work can run: callbacks (with and without an
// associated executor), asio::use_future, asio::use_awaitable, asio::deferred where Boost has
// it; results in order, the kernel's exceptions with their type, completion on the handler's
// associated executor (a strand stays a strand), never inside the initiating call.
#include "support.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/strand.hpp>
#if BREAKEVEN_ASIO_HAS_CO_AWAIT
#include <boost/asio/awaitable.hpp>
#include <boost/asio/use_awaitable.hpp>
#endif
#if BREAKEVEN_ASIO_HAS_DEFERRED
#include <boost/asio/deferred.hpp>
#endif

#include <catch2/catch.hpp>

#include <future>
#include <optional>
#include <set>

using namespace test;

#define PLACES on_sequential, on_thread_pool, on_asio_pool, on_process_pool, on_plan

namespace {

std::vector<long long> squares(int n) {
  std::vector<long long> v(static_cast<std::size_t>(n));
  for (int i = 0; i < n; ++i) v[static_cast<std::size_t>(i)] = static_cast<long long>(i) * i;
  return v;
}

// What an exception_ptr holds, as "type: message".
// The thread an item runs on; declared expensive (200 us) or cheap (100 ns).
struct where_am_i {
  using input_type = int;
  using output_type = std::thread::id;
  static constexpr auto cost = std::chrono::microseconds{200};
  std::thread::id operator()(const int&) const { return std::this_thread::get_id(); }
};
struct cheap_where {
  using input_type = int;
  using output_type = std::thread::id;
  static constexpr auto cost = std::chrono::nanoseconds{100};
  std::thread::id operator()(const int&) const { return std::this_thread::get_id(); }
};

std::string describe(const std::exception_ptr& e) {
  if (!e) return "none";
  try {
    std::rethrow_exception(e);
  } catch (const std::invalid_argument& x) {
    return std::string("invalid_argument: ") + x.what();
  } catch (const std::exception& x) {
    return std::string("another type: ") + x.what();
  }
}

}  // namespace

TEMPLATE_TEST_CASE("a callback bound to an io_context completes there, after initiation", "[asio][callback]", PLACES) {
  TestType place;
  asio::io_context io;
  bool initiated = false;
  int calls = 0;
  std::optional<std::thread::id> ran_on;
  place.map(heavy_square{}, iota_vector(64),
            asio::bind_executor(io, [&](std::exception_ptr e, std::vector<long long> r) {
              REQUIRE(initiated);
              CHECK(!e);
              CHECK(r == squares(64));
              ran_on = std::this_thread::get_id();
              ++calls;
            }));
  initiated = true;
  io.run();  // returns only once the operation has completed: it holds work on io
  CHECK(calls == 1);
  CHECK(ran_on == std::this_thread::get_id());
}

TEMPLATE_TEST_CASE("a callback without an executor still completes, outside initiation", "[asio][callback]", PLACES) {
  TestType place;
  std::promise<std::vector<long long>> p;
  // The callback may run on a pool thread while the initiating call is still returning; on
  // the initiating thread it may only run after the call.
  const auto caller = std::this_thread::get_id();
  std::atomic<bool> initiated{false};
  std::atomic<bool> called_during_initiation{false};
  place.map(heavy_square{}, iota_vector(33), [&](std::exception_ptr e, std::vector<long long> r) {
    if (std::this_thread::get_id() == caller && !initiated.load()) called_during_initiation = true;
    if (e) p.set_exception(e);
    else p.set_value(std::move(r));
  });
  initiated = true;
  auto f = p.get_future();
  CHECK(f.get() == squares(33));
  CHECK(!called_during_initiation.load());
}

TEMPLATE_TEST_CASE("use_future: values, effects, single items and exceptions with their type", "[asio][future]",
                   PLACES) {
  TestType place;
  CHECK(place.map(heavy_square{}, iota_vector(100), asio::use_future).get() == squares(100));
  CHECK(place.map(heavy_square{}, std::vector<int>{}, asio::use_future).get().empty());

  scratch_dir dir;
  place.for_each(dir.kernel(), iota_vector(50), asio::use_future).get();
  CHECK(dir.count() == 50);

  CHECK(place.submit(heavy_square{}, 12, asio::use_future).get() == 144);

  auto failing = place.map(heavy_fails_at{7}, iota_vector(40), asio::use_future);
  CHECK_THROWS_MATCHES(failing.get(), std::invalid_argument, Catch::Message("item 7"));
  auto failing_one = place.submit(heavy_fails_at{3}, 3, asio::use_future);
  CHECK_THROWS_MATCHES(failing_one.get(), std::invalid_argument, Catch::Message("item 3"));
}

TEMPLATE_TEST_CASE("errors arrive as the first completion argument", "[asio][callback]", PLACES) {
  TestType place;
  asio::io_context io;
  std::string seen;
  std::size_t results = 99;
  place.map(heavy_fails_at{5}, iota_vector(20), asio::bind_executor(io, [&](std::exception_ptr e, std::vector<int> r) {
              seen = describe(e);
              results = r.size();
            }));
  io.run();
  CHECK(seen == "invalid_argument: item 5");
  CHECK(results == 0);
  CHECK_FALSE(be::is_operation_aborted(std::make_exception_ptr(std::invalid_argument("x"))));
}

TEMPLATE_TEST_CASE("a handler bound to a strand runs in the strand", "[asio][strand]", PLACES) {
  TestType place;
  asio::io_context io;
  auto strand = asio::make_strand(io);
  // Catch's CHECK is for the main thread only: the handlers count, the test checks.
  std::atomic<int> in_strand{0};
  std::atomic<int> calls{0};
  std::atomic<long long> sum{0};
  for (int k = 0; k < 8; ++k)
    place.submit(heavy_square{}, k, asio::bind_executor(strand, [&, strand](std::exception_ptr e, long long r) {
                   if (strand.running_in_this_thread() && !e) ++in_strand;
                   sum += r;
                   ++calls;
                 }));
  // Two threads run the io_context: only the strand keeps the handlers apart.
  std::thread other([&] { io.run(); });
  io.run();
  other.join();
  CHECK(calls.load() == 8);
  CHECK(in_strand.load() == 8);
  CHECK(sum.load() == 140);  // 0 + 1 + 4 + ... + 49
}

#if BREAKEVEN_ASIO_HAS_CO_AWAIT
TEMPLATE_TEST_CASE("use_awaitable: a coroutine awaits results and exceptions on its own executor", "[asio][awaitable]",
                   PLACES) {
  TestType place;
  asio::io_context io;
  const auto io_thread = std::this_thread::get_id();
  bool done = false;
  auto body = [&]() -> asio::awaitable<void> {
    auto r = co_await place.map(heavy_square{}, iota_vector(64), asio::use_awaitable);
    CHECK(r == squares(64));
    CHECK(std::this_thread::get_id() == io_thread);
    CHECK(co_await place.submit(heavy_square{}, 9, asio::use_awaitable) == 81);
    scratch_dir dir;
    co_await place.for_each(dir.kernel(), iota_vector(10), asio::use_awaitable);
    CHECK(dir.count() == 10);
    std::string caught = "none";
    try {
      co_await place.map(heavy_fails_at{2}, iota_vector(10), asio::use_awaitable);
    } catch (const std::invalid_argument& e) {
      caught = e.what();
    }
    CHECK(caught == "item 2");
    CHECK(std::this_thread::get_id() == io_thread);
    done = true;
  };
  asio::co_spawn(io, body(), [](std::exception_ptr e) {
    if (e) std::rethrow_exception(e);
  });
  io.run();
  CHECK(done);
}
#endif

#if BREAKEVEN_ASIO_HAS_DEFERRED
TEMPLATE_TEST_CASE("asio::deferred: nothing runs until the deferred operation is launched", "[asio][deferred]",
                   PLACES) {
  TestType place;
  asio::io_context io;
  scratch_dir dir;
  auto op = place.for_each(dir.kernel(), iota_vector(10), asio::deferred);
  std::this_thread::sleep_for(std::chrono::milliseconds(5));
  CHECK(dir.count() == 0);
  bool called = false;
  std::move(op)(asio::bind_executor(io, [&](std::exception_ptr e) {
    CHECK(!e);
    called = true;
  }));
  io.run();
  CHECK(called);
  CHECK(dir.count() == 10);
  auto r = place.map(heavy_square{}, iota_vector(5), asio::deferred)(asio::use_future);
  CHECK(r.get() == squares(5));
}
#endif

TEST_CASE("the plan runs cheap batches inline and others off the caller's thread", "[asio][plan]") {
  be::reset_statistics();
  // 20 ns x 100 items: far below a hand-off, inline (statistics count it as sequential).
  CHECK(be::async_map(test::square{}, iota_vector(100), asio::use_future).get().size() == 100);
  CHECK(be::statistics()[be::executor_kind::sequential].calls == 1);
  // 200 us x 64 items: past break-even, on the shared pool.
  CHECK(be::async_map(heavy_square{}, iota_vector(64), asio::use_future).get() == squares(64));
  CHECK(be::statistics()[be::executor_kind::thread_pool].calls == 1);
  // One 200 us item: sequential by the plan, but more than a hand-off: one pool worker.
  const auto caller = std::this_thread::get_id();
  CHECK(be::async_submit(where_am_i{}, 0, asio::use_future).get() != caller);
  CHECK(be::async_submit(cheap_where{}, 0, asio::use_future).get() == caller);
  // Parallelism switched off: everything inline.
  be::call_options off;
  off.disabled = true;
  CHECK(be::async_submit(where_am_i{}, 0, off, asio::use_future).get() == caller);
}

TEST_CASE("the operation owns its items: the caller's vector may go away at once", "[asio][lifetime]") {
  asio::io_context io;
  std::vector<long long> got;
  {
    std::vector<int> items = iota_vector(64);
    be::async_map(heavy_square{}, items, asio::bind_executor(io, [&](std::exception_ptr, std::vector<long long> r) {
                    got = std::move(r);
                  }));
    std::fill(items.begin(), items.end(), -1);  // the copy is the operation's
  }
  io.run();
  CHECK(got == squares(64));
}
