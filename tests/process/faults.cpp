// Nothing is lost: exceptions keep their types, a worker that dies fails only its task
// (naming the signal or status) and is replaced, a hung task is killed at its timeout.
#include "kernels.hpp"
#include "typed_errors.hpp"

#include <breakeven/executor/process_pool.hpp>
#include <breakeven/ipc/exceptions.hpp>

#include <catch2/catch.hpp>

#include <chrono>
#include <future>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

namespace be = breakeven;
using namespace std::chrono_literals;

BREAKEVEN_REGISTER_EXCEPTION(ptest::parse_error);

TEST_CASE("exceptions thrown in a worker keep their types", "[process][faults]") {
  be::process_pool pool(2);
  ptest::check_errors_keep_types([&](int which) { return pool.submit(ptest::thrower{}, which); });
  CHECK(pool.stats().workers_lost == 0);  // an exception never costs a worker
}

TEST_CASE("apply waits for one task in place, with the future's values and errors", "[process][faults]") {
  be::process_pool pool(2);
  for (int i = 0; i < 200; ++i) REQUIRE(pool.apply(ptest::affine{}, i) == 2 * i + 1);
  pool.apply(ptest::touch{}, 1);  // a kernel with no output
  CHECK_THROWS_MATCHES(pool.apply(ptest::touch{}, -1), std::invalid_argument, Catch::Message("negative"));
  ptest::check_errors_keep_types([&](int which) { return ptest::applied{[&pool, which] { return pool.apply(ptest::thrower{}, which); }}; });
  CHECK(pool.apply(ptest::nap{}, 30) == 30);  // answered through the reactor while the caller sleeps
  CHECK_THROWS_AS(pool.apply(ptest::faulty{}, 8 + static_cast<int>(ptest::fault::segfault)), be::worker_lost);
  CHECK_THROWS_AS(pool.apply(ptest::nap{}, 5'000, 200ms), be::task_timeout);
  CHECK(pool.apply(ptest::affine{}, 3) == 7);  // the pool goes on
  // From several threads at once, each waiting for its own.
  std::vector<std::thread> ts;
  std::vector<int> wrong(4, 0);
  for (int t = 0; t < 4; ++t)
    ts.emplace_back([&, t] {
      for (int i = 0; i < 300; ++i) wrong[static_cast<std::size_t>(t)] += pool.apply(ptest::affine{}, 1000 * t + i) != 2 * (1000 * t + i) + 1;
    });
  for (auto& th : ts) th.join();
  CHECK(wrong == std::vector<int>(4, 0));
  // A pool that ends under a waiting caller fails its task, as it fails a future.
  std::thread ender([&] {
    std::this_thread::sleep_for(50ms);
    pool.terminate();
  });
  CHECK_THROWS_AS(pool.apply(ptest::nap{}, 10'000), be::pool_closed);
  ender.join();
  CHECK_THROWS_AS(pool.apply(ptest::affine{}, 1), be::pool_closed);
}

TEST_CASE("1% of 1,000 tasks crash their worker: exactly 990 values and 10 named errors", "[process][faults]") {
  be::process_pool pool(2);
  std::vector<std::future<int>> fs;
  std::vector<ptest::fault> planted(1000, ptest::fault::none);
  for (int i = 0; i < 1000; ++i) {
    if (i % 100 == 37) planted[static_cast<std::size_t>(i)] = static_cast<ptest::fault>(1 + (i / 100) % 3);
    fs.push_back(pool.submit(ptest::faulty{}, i * 8 + static_cast<int>(planted[static_cast<std::size_t>(i)])));
  }
  int values = 0, errors = 0;
  for (int i = 0; i < 1000; ++i) {
    try {
      const int v = fs[static_cast<std::size_t>(i)].get();
      CHECK(v == i);
      CHECK(planted[static_cast<std::size_t>(i)] == ptest::fault::none);
      ++values;
    } catch (const be::worker_lost& e) {
      ++errors;
      const std::string what = e.what();
      INFO(what);
      switch (planted[static_cast<std::size_t>(i)]) {
        case ptest::fault::segfault:
          CHECK(e.status().signaled());
          CHECK(e.status().code == SIGSEGV);
          CHECK(what.find("SIGSEGV") != std::string::npos);
          break;
        case ptest::fault::abort:
          CHECK(e.status().code == SIGABRT);
          CHECK(what.find("SIGABRT") != std::string::npos);
          break;
        case ptest::fault::exit3:
          CHECK(e.status().exited());
          CHECK(e.status().code == 3);
          CHECK(what.find("exited with status 3") != std::string::npos);
          break;
        default: FAIL("a task that did not crash failed: " << what);
      }
    }
  }
  CHECK(values == 990);
  CHECK(errors == 10);
  const auto st = pool.stats();
  CHECK(st.workers_lost == 10);
  CHECK(st.tasks_completed == 990);
  CHECK(st.tasks_failed == 10);

  // The pool goes on: 1,000 more, all values.
  std::vector<std::future<int>> more;
  for (int i = 0; i < 1000; ++i) more.push_back(pool.submit(ptest::faulty{}, i * 8));
  for (int i = 0; i < 1000; ++i) CHECK(more[static_cast<std::size_t>(i)].get() == i);
  CHECK(pool.stats().workers_started == 12);
}

TEST_CASE("a crash inside a mapped chunk fails that chunk; the map reports it", "[process][faults]") {
  be::process_pool pool(2);
  std::vector<int> in(64);
  for (int i = 0; i < 64; ++i) in[static_cast<std::size_t>(i)] = i * 8;
  in[40] = 40 * 8 + static_cast<int>(ptest::fault::abort);
  CHECK_THROWS_AS(pool.map(ptest::faulty{}, in, 8), be::worker_lost);
  // All other chunks ran; the next map over good input succeeds.
  in[40] = 40 * 8;
  const auto out = pool.map(ptest::faulty{}, in, 8);
  for (int i = 0; i < 64; ++i) CHECK(out[static_cast<std::size_t>(i)] == i);
}

TEST_CASE("a hung task is killed at its timeout and reported; the pool goes on", "[process][faults]") {
  for (auto m : {be::start_method::fork_server, be::start_method::spawn}) {
    be::process_pool_options o;
    o.workers = 2;
    o.method = m;
    o.task_timeout = 300ms;
    be::process_pool pool(o);
    auto ok = pool.submit(ptest::faulty{}, 5 * 8);
    const auto t0 = std::chrono::steady_clock::now();
    auto hung = pool.submit(ptest::faulty{}, 7 * 8 + static_cast<int>(ptest::fault::hang));
    try {
      hung.get();
      FAIL("the hung task returned");
    } catch (const be::task_timeout& e) {
      CHECK(e.limit() == 300ms);
      CHECK(std::string(e.what()).find("timed out after 300 ms") != std::string::npos);
    }
    const auto took = std::chrono::steady_clock::now() - t0;
    CHECK(took >= 300ms);
    CHECK(took < 5s);
    CHECK(ok.get() == 5);
    // A per-task timeout overrides the pool's; a slow task inside it finishes.
    CHECK(pool.submit(ptest::nap{}, 400, 2000ms).get() == 400);
    CHECK(pool.submit(ptest::faulty{}, 9 * 8).get() == 9);
    CHECK(pool.stats().timeouts == 1);
  }
}

TEST_CASE("every task ends exactly once when workers die while tasks queue", "[process][faults]") {
  be::process_pool pool(2);
  std::vector<std::future<int>> fs;
  for (int i = 0; i < 200; ++i)
    fs.push_back(pool.submit(ptest::faulty{}, i * 8 + (i % 20 == 3 ? static_cast<int>(ptest::fault::exit3) : 0)));
  int values = 0, lost = 0;
  for (auto& f : fs) {
    try {
      f.get();
      ++values;
    } catch (const be::worker_lost&) {
      ++lost;
    }
  }
  CHECK(values == 190);
  CHECK(lost == 10);
}

BREAKEVEN_REGISTER_KERNEL(ptest::affine);  // explicit registration beside automatic: one entry

TEST_CASE("a task naming a kernel the worker's program lacks fails with the kernel's name", "[process][faults]") {
  for (auto m : {be::start_method::fork_server, be::start_method::spawn}) {
    be::process_pool_options o;
    o.workers = 1;
    o.method = m;
    be::process_pool pool(o);
    // A task frame written by hand, naming no registered kernel.
    auto t = std::make_unique<be::detail::promise_task<int>>();
    auto f = t->promise.get_future();
    const std::size_t at = be::ipc::begin_frame(t->request, be::ipc::frame_type::task, 0);
    {
      be::ipc::writer w(t->request);
      w.put(std::uint64_t{0x1234'5678'8765'4321});
      w.put(std::uint64_t{0});
      w.put(std::uint32_t{1});
      w.put(5);
    }
    be::ipc::finish_frame(t->request, at);
    t->kernel_name = "made::up";
    be::detail::process_pool_access::submit(pool, std::move(t));
    CHECK_THROWS_WITH(f.get(), Catch::Contains("kernel 'made::up'") && Catch::Contains("no kernel with this name"));
    CHECK(pool.submit(ptest::affine{}, 4).get() == 9);  // the worker is fine
  }
}

namespace collide {
// Two kernels that declare the same name.
struct plus_one {
  using input_type = int;
  using output_type = int;
  static constexpr auto cost = std::chrono::microseconds{1};
  static constexpr std::string_view name = "twin";
  int operator()(const int& x) const { return x + 1; }
};
struct plus_two {
  using input_type = int;
  using output_type = int;
  static constexpr auto cost = std::chrono::microseconds{1};
  static constexpr std::string_view name = "twin";
  int operator()(const int& x) const { return x + 2; }
};
}  // namespace collide

TEST_CASE("two kernels with one name: told apart in the same image, reported under spawn", "[process][faults]") {
  {
    be::process_pool pool(1);  // fork server: the task's code address settles the name
    CHECK(pool.submit(collide::plus_one{}, 1).get() == 2);
    CHECK(pool.submit(collide::plus_two{}, 1).get() == 3);
  }
  be::process_pool_options o;
  o.workers = 1;
  o.method = be::start_method::spawn;
  be::process_pool spawned(o);
  CHECK_THROWS_WITH(spawned.submit(collide::plus_one{}, 1).get(),
                    Catch::Contains("kernel 'twin'") && Catch::Contains("two registrations share the name 'twin'"));
  CHECK(spawned.submit(ptest::affine{}, 1).get() == 3);
}

TEST_CASE("an answer over the frame limit fails its task with a protocol error; the pool goes on",
          "[process][faults]") {
  be::process_pool_options o;
  o.workers = 1;
  o.max_frame_bytes = 4096;
  be::process_pool pool(o);
  try {
    pool.submit(ptest::repeat{}, 20'000).get();
    FAIL("no exception");
  } catch (const be::protocol_error& e) {
    CHECK(std::string(e.what()).find("exceeds the limit of 4096") != std::string::npos);
  }
  CHECK(pool.submit(ptest::repeat{}, 3).get() == "xxx");
  CHECK(pool.stats().workers_lost == 1);  // the pool no longer trusted that stream
  // A task too large to send is refused before it reaches a worker.
  CHECK_THROWS_AS(pool.submit(ptest::words{}, std::string(10'000, 'y')), std::length_error);
  CHECK(pool.submit(ptest::repeat{}, 2).get() == "xx");
}
