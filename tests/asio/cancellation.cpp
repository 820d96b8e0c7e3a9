// Per-operation cancellation: queued work is dropped unrun and the operation completes at
// once with operation_aborted; work in flight stops claiming chunks and finishes what it
// holds; a total cancellation only before the start; nothing is left behind (threads, the
// operation's state and its copy of the kernel).
#include "support.hpp"

#include <boost/asio/co_spawn.hpp>
#if BREAKEVEN_ASIO_HAS_CO_AWAIT
#include <boost/asio/awaitable.hpp>
#include <boost/asio/use_awaitable.hpp>
#endif

#include <catch2/catch.hpp>

#include <future>

using namespace test;
using namespace std::chrono_literals;

namespace {

// Counts its calls; holds a share of `alive` so that its copies can be counted.
struct counted {
  using input_type = int;
  using output_type = int;
  static constexpr auto cost = std::chrono::microseconds{500};
  std::atomic<int>* calls;
  std::shared_ptr<int> alive;
  std::chrono::microseconds nap{0};
  int operator()(const int& x) const {
    calls->fetch_add(1);
    if (nap.count() != 0) std::this_thread::sleep_for(nap);
    return x;
  }
};

// Occupies every worker thread of `pool`: returns once each runs a gate.
std::vector<std::future<int>> occupy(be::thread_pool& pool, std::atomic<bool>* open, std::vector<std::atomic<bool>>& started) {
  std::vector<std::future<int>> held;
  for (auto& s : started) held.push_back(be::async_submit(gate{&s, open}, 0, pool, asio::use_future));
  for (auto& s : started) REQUIRE(eventually([&] { return s.load(); }));
  return held;
}

}  // namespace

TEST_CASE("a cancelled operation whose work is still queued completes at once, and the work never runs",
          "[asio][cancel]") {
  be::thread_pool pool(2);  // one worker thread
  std::atomic<bool> open{false};
  std::vector<std::atomic<bool>> started(pool.worker_threads());
  auto held = occupy(pool, &open, started);

  asio::io_context io;
  be::cancellation_signal sig;
  std::atomic<int> calls{0};
  auto alive = std::make_shared<int>(0);
  std::string outcome = "not completed";
  be::async_map(counted{&calls, alive}, iota_vector(100), pool,
                be::bind_cancellation_slot(sig.slot(), asio::bind_executor(io, [&](std::exception_ptr e, std::vector<int> r) {
                                             outcome = be::is_operation_aborted(e) ? "aborted" : "other";
                                             CHECK(r.empty());
                                           })));
  sig.emit(be::cancellation_type::terminal);
  io.run();  // the completion does not wait for the worker, which is still held
  CHECK(outcome == "aborted");
  CHECK_FALSE(open.load());

  open = true;
  for (auto& f : held) CHECK(f.get() == 0);
  // The queued work is dropped when a worker reaches it: the kernel's copies go with it.
  CHECK(eventually([&] { return alive.use_count() == 1; }));
  CHECK(calls.load() == 0);
}

TEMPLATE_TEST_CASE("a cancelled operation in flight finishes its chunks and claims no more", "[asio][cancel]",
                   on_thread_pool, on_asio_pool, on_plan) {
  TestType place;
  asio::io_context io;
  be::cancellation_signal sig;
  std::atomic<int> calls{0};
  auto alive = std::make_shared<int>(0);
  const int n = 400;
  int calls_at_completion = -1;
  std::string outcome = "not completed";
  // 500 us declared per item: chunks of two items, claimed one at a time.
  place.map(counted{&calls, alive, 500us}, iota_vector(n),
            be::bind_cancellation_slot(sig.slot(), asio::bind_executor(io, [&](std::exception_ptr e, std::vector<int>) {
                                         outcome = be::is_operation_aborted(e) ? "aborted" : "other";
                                         calls_at_completion = calls.load();
                                       })));
  REQUIRE(eventually([&] { return calls.load() >= 4; }));
  sig.emit(be::cancellation_type::terminal);
  io.run();
  CHECK(outcome == "aborted");
  CHECK(calls_at_completion < n);
  // Nothing runs after the completion: the work had stopped before it was delivered.
  std::this_thread::sleep_for(20ms);
  CHECK(calls.load() == calls_at_completion);
  CHECK(eventually([&] { return alive.use_count() == 1; }));
}

TEST_CASE("a cancellation after the last item ran leaves the results in place", "[asio][cancel]") {
  on_thread_pool place;
  asio::io_context io;
  be::cancellation_signal sig;
  std::atomic<int> calls{0};
  std::vector<int> got;
  std::exception_ptr error;
  place.map(counted{&calls, nullptr}, iota_vector(10),
            be::bind_cancellation_slot(sig.slot(), asio::bind_executor(io, [&](std::exception_ptr e, std::vector<int> r) {
                                         error = e;
                                         got = std::move(r);
                                       })));
  REQUIRE(eventually([&] { return calls.load() == 10; }));
  std::this_thread::sleep_for(5ms);
  sig.emit(be::cancellation_type::terminal);  // before the completion has run on io
  io.run();
  CHECK(!error);
  CHECK(got == iota_vector(10));
  sig.emit(be::cancellation_type::terminal);  // after it: no handler is left in the slot
}

TEST_CASE("a total cancellation is honoured only before the work starts", "[asio][cancel]") {
  be::thread_pool pool(2);
  asio::io_context io;
  std::atomic<bool> open{false};
  std::atomic<bool> started{false};
  be::cancellation_signal sig;
  std::exception_ptr error;
  int value = -1;
  be::async_submit(gate{&started, &open}, 5, pool,
                   be::bind_cancellation_slot(sig.slot(), asio::bind_executor(io, [&](std::exception_ptr e, int v) {
                                                error = e;
                                                value = v;
                                              })));
  REQUIRE(eventually([&] { return started.load(); }));
  sig.emit(be::cancellation_type::total);     // started: refused
  sig.emit(be::cancellation_type::terminal);  // a single task in flight finishes
  open = true;
  io.run();
  CHECK(!error);
  CHECK(value == 5);
}

TEST_CASE("cancelled operations leave no thread and no state behind", "[asio][cancel][leak]") {
  be::thread_pool pool(2);
  asio::thread_pool user_pool(2);
  be::asio_executor ax(user_pool, 2);
  std::atomic<int> calls{0};
  auto alive = std::make_shared<int>(0);
  // Every thread this test may use exists before counting.
  CHECK(be::async_map(heavy_square{}, iota_vector(64), asio::use_future).get().size() == 64);
  CHECK(be::async_map(heavy_square{}, iota_vector(64), ax, asio::use_future).get().size() == 64);
  const int threads_before = thread_count();

  asio::io_context io;
  for (int round = 0; round < 20; ++round) {
    be::cancellation_signal a, b, c;
    int completions = 0;
    auto count = [&](std::exception_ptr e, std::vector<int>) {
      completions += be::is_operation_aborted(e) || !e;
    };
    be::async_map(counted{&calls, alive, 50us}, iota_vector(200), pool,
                  be::bind_cancellation_slot(a.slot(), asio::bind_executor(io, count)));
    be::async_map(counted{&calls, alive, 50us}, iota_vector(200), ax,
                  be::bind_cancellation_slot(b.slot(), asio::bind_executor(io, count)));
    be::async_map(counted{&calls, alive, 50us}, iota_vector(200),
                  be::bind_cancellation_slot(c.slot(), asio::bind_executor(io, count)));
    if (round % 2 == 1) std::this_thread::sleep_for(1ms);  // some in flight, some queued
    a.emit(be::cancellation_type::terminal);
    b.emit(be::cancellation_type::terminal);
    c.emit(be::cancellation_type::terminal);
    io.restart();
    io.run();
    CHECK(completions == 3);
  }
  CHECK(eventually([&] { return alive.use_count() == 1; }));
  CHECK(thread_count() == threads_before);
}

#if BREAKEVEN_ASIO_HAS_CO_AWAIT
TEST_CASE("a coroutine awaiting a cancelled operation gets system_error(operation_aborted)", "[asio][cancel][awaitable]") {
  be::thread_pool pool(2);
  std::atomic<bool> open{false};
  std::vector<std::atomic<bool>> started(pool.worker_threads());
  auto held = occupy(pool, &open, started);
  asio::io_context io;
  be::cancellation_signal sig;
  std::atomic<int> calls{0};
  std::string caught = "nothing";
  auto body = [&]() -> asio::awaitable<void> {
    try {
      co_await be::async_map(counted{&calls, nullptr}, iota_vector(10), pool,
                             be::bind_cancellation_slot(sig.slot(), asio::use_awaitable));
    } catch (const boost::system::system_error& e) {
      caught = e.code() == asio::error::operation_aborted ? "operation_aborted" : e.what();
    }
  };
  asio::co_spawn(io, body(), [](std::exception_ptr e) {
    if (e) std::rethrow_exception(e);
  });
  asio::post(io, [&] { sig.emit(be::cancellation_type::terminal); });
  io.run();
  CHECK(caught == "operation_aborted");
  open = true;
  for (auto& f : held) f.get();
  CHECK(calls.load() == 0);
}
#endif

TEST_CASE("a cancelled operation on a process pool sends no more chunks and leaves no process", "[asio][cancel][process]") {
  STATIC_REQUIRE(be::stoppable_executor<be::process_pool>);
  scratch_dir dir;
  std::size_t at_completion = 0;
  std::string outcome = "not completed";
  {
    be::process_pool pool(2);
    asio::io_context io;
    be::cancellation_signal sig;
    const int n = 300;
    // 2 ms an item in the workers: one item a chunk, at most 2 x 2 chunks in flight.
    be::async_for_each(dir.kernel(2ms), iota_vector(n), pool,
                       be::bind_cancellation_slot(sig.slot(), asio::bind_executor(io, [&](std::exception_ptr e) {
                                                    outcome = be::is_operation_aborted(e) ? "aborted" : "other";
                                                    at_completion = dir.count();
                                                  })));
    REQUIRE(eventually([&] { return dir.count() >= 4; }));
    sig.emit(be::cancellation_type::terminal);
    io.run();
    CHECK(outcome == "aborted");
    CHECK(at_completion < static_cast<std::size_t>(n));
    std::this_thread::sleep_for(20ms);
    CHECK(dir.count() == at_completion);  // the chunks in flight had finished; none was sent after
  }  // the pool closes here: its workers are reaped (the test main checks no child is left)
}

TEST_CASE("an operation on a process pool completes with the workers' results and exceptions", "[asio][process]") {
  be::process_pool pool(2);
  asio::io_context io;
  std::string seen;
  be::async_map(heavy_fails_at{3}, iota_vector(8), pool,
                asio::bind_executor(io, [&](std::exception_ptr e, std::vector<int>) {
                  try {
                    if (e) std::rethrow_exception(e);
                  } catch (const std::invalid_argument& x) {
                    seen = x.what();
                  } catch (const std::exception& x) {
                    seen = std::string("another type: ") + x.what();
                  }
                }));
  io.run();
  CHECK(seen == "item 3");
}
