// The Pool / ProcessPoolExecutor feature set: map with chunks, map_async, submit, imap
// (lazy, ordered), imap_unordered and as_completed (completion order), initializer, max
// tasks per child, worker count, and what shutdown does with pending work.
#include "kernels.hpp"

#include <breakeven/executor/process_pool.hpp>

#include <catch2/catch.hpp>

#include <range/v3/view/iota.hpp>

#include <algorithm>
#include <chrono>
#include <future>
#include <map>
#include <numeric>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace be = breakeven;
using namespace std::chrono_literals;

TEST_CASE("workers are real processes, as many as asked", "[process][pool]") {
  be::process_pool pool(3);
  CHECK(pool.concurrency() == 3);
  CHECK(pool.method() == be::start_method::fork_server);
  // Three tasks that each hold a worker for a while: all three workers take one.
  std::vector<std::future<int>> fs;
  for (int i = 0; i < 3; ++i) fs.push_back(pool.submit(ptest::slow_whoami{}, 100));
  std::set<int> pids;
  for (auto& f : fs) pids.insert(f.get());
  CHECK(pids.size() == 3);
  CHECK(pids.count(static_cast<int>(::getpid())) == 0);
  CHECK(pool.stats().workers_started == 3);
}

TEST_CASE("map keeps order, map_async returns a future", "[process][pool]") {
  be::process_pool pool(2);
  std::vector<std::int64_t> in(100'003);
  std::iota(in.begin(), in.end(), 0);
  const auto out = pool.map(ptest::affine{}, in);
  REQUIRE(out.size() == in.size());
  for (std::size_t i = 0; i < in.size(); ++i) REQUIRE(out[i] == 2 * in[i] + 1);

  auto fut = pool.map_async(ptest::words{}, std::vector<std::string>{"x y", "z"}, 1);
  const auto w = fut.get();
  CHECK(w == std::vector<std::vector<std::string>>{{"x", "y"}, {"z"}});

  // An input range that is not a container: a view, consumed once.
  const auto squares = pool.map(ptest::affine{}, ranges::views::iota(0, 10));
  CHECK(squares == std::vector<std::int64_t>{1, 3, 5, 7, 9, 11, 13, 15, 17, 19});

  auto empty = pool.map(ptest::affine{}, std::vector<std::int64_t>{});
  CHECK(empty.empty());
  CHECK(pool.map_async(ptest::affine{}, std::vector<std::int64_t>{}).get().empty());
}

TEST_CASE("map rethrows the first failure after every chunk ended", "[process][pool]") {
  be::process_pool pool(2);
  std::vector<int> in(40, 0);
  in[25] = 3;  // invalid_argument
  in[31] = 1;  // runtime_error, later in the input
  CHECK_THROWS_AS(pool.map(ptest::thrower{}, in, 5), std::invalid_argument);
  auto f = pool.map_async(ptest::thrower{}, in, 5);
  CHECK_THROWS_AS(f.get(), std::invalid_argument);
  // The pool is unharmed.
  CHECK(pool.map(ptest::thrower{}, std::vector<int>{0, 0}) == std::vector<int>{0, 0});
}

TEST_CASE("imap is lazy and ordered", "[process][pool]") {
  be::process_pool pool(2);
  SECTION("over a container") {
    std::vector<std::int64_t> in(1000);
    std::iota(in.begin(), in.end(), 0);
    std::int64_t i = 0;
    for (std::int64_t v : pool.imap(ptest::affine{}, in, 16)) CHECK(v == 2 * i++ + 1);
    CHECK(i == 1000);
  }
  SECTION("over an unbounded input, read only as far as needed") {
    auto r = pool.imap(ptest::affine{}, ranges::views::iota(0), 4);
    std::vector<std::int64_t> first;
    for (auto it = r.begin(); first.size() < 10; ++it) first.push_back(*it);
    CHECK(first == std::vector<std::int64_t>{1, 3, 5, 7, 9, 11, 13, 15, 17, 19});
  }
  SECTION("an item of a failed chunk throws when read; the range goes on") {
    const std::vector<int> in{0, 0, 3, 0};
    auto r = pool.imap(ptest::thrower{}, in, 1);
    auto it = r.begin();
    CHECK(*it == 0);
    ++it;
    CHECK(*it == 0);
    ++it;
    CHECK_THROWS_AS(*it, std::invalid_argument);
    ++it;
    CHECK(*it == 0);
    ++it;
    CHECK(it == r.end());
  }
}

TEST_CASE("imap_unordered and as_completed yield in completion order", "[process][pool]") {
  be::process_pool pool(2);
  SECTION("imap_unordered: the short naps come back first") {
    const std::vector<int> ms{300, 5, 5, 5};
    std::vector<std::size_t> order;
    for (auto& c : pool.imap_unordered(ptest::nap{}, ms)) {
      CHECK(c.get() == ms[c.index()]);
      order.push_back(c.index());
    }
    REQUIRE(order.size() == 4);
    CHECK(order.back() == 0);
  }
  SECTION("imap_unordered carries errors per item") {
    const std::vector<int> in{0, 3, 0};
    int errors = 0, values = 0;
    for (auto& c : pool.imap_unordered(ptest::thrower{}, in)) {
      if (c.has_value()) ++values;
      else {
        ++errors;
        CHECK(c.index() == 1);
        CHECK_THROWS_AS(c.get(), std::invalid_argument);
      }
    }
    CHECK(values == 2);
    CHECK(errors == 1);
  }
  SECTION("as_completed over submitted futures") {
    std::vector<std::future<int>> fs;
    for (int ms : {250, 1, 60}) fs.push_back(pool.submit(ptest::nap{}, ms));
    std::vector<std::size_t> order;
    for (std::size_t i : pool.as_completed(fs)) {
      order.push_back(i);
      CHECK(fs[i].wait_for(0s) == std::future_status::ready);
    }
    CHECK(order == std::vector<std::size_t>{1, 2, 0});
    CHECK(fs[0].get() == 250);
  }
}

TEST_CASE("a worker initializer runs once in every worker", "[process][pool]") {
  be::process_pool_options o;
  o.workers = 2;
  o.initializer = be::make_initializer<&ptest::set_greeting>(std::string("hi"), 3);
  be::process_pool pool(o);
  for (int i = 0; i < 10; ++i) CHECK(pool.submit(ptest::greeting{}, i).get() == "hihihi");
  CHECK(ptest::worker_greeting == "none");  // the parent is untouched

  SECTION("with max tasks per child, replacements run it too") {
    o.max_tasks_per_child = 2;
    be::process_pool recycled(o);
    for (int i = 0; i < 9; ++i) CHECK(recycled.submit(ptest::greeting{}, i).get() == "hihihi");
  }
}

TEST_CASE("an initializer that throws fails the pool's construction with its error", "[process][pool]") {
  be::process_pool_options o;
  o.workers = 2;
  o.initializer = be::make_initializer<&ptest::failing_initializer>();
  CHECK_THROWS_WITH(be::process_pool(o), Catch::Contains("initializer refuses"));
}

TEST_CASE("max tasks per child replaces a worker after exactly N tasks", "[process][pool]") {
  for (auto m : {be::start_method::fork_server, be::start_method::fork}) {
    be::process_pool_options o;
    o.workers = 1;
    o.method = m;
    o.max_tasks_per_child = 3;
    be::process_pool pool(o);
    std::vector<int> pids;
    for (int i = 0; i < 10; ++i) pids.push_back(pool.submit(ptest::whoami{}, i).get());
    // One worker at a time: runs of exactly 3 tasks per pid, 4 workers for 10 tasks.
    std::map<int, int> per_pid;
    for (int p : pids) ++per_pid[p];
    REQUIRE(per_pid.size() == 4);
    for (int i = 0; i < 10; ++i) CHECK(pids[static_cast<std::size_t>(i)] == pids[static_cast<std::size_t>(i / 3 * 3)]);
    const auto st = pool.stats();
    CHECK(st.workers_recycled == 3);
    CHECK(st.workers_lost == 0);
    CHECK(st.tasks_completed == 10);
  }
}

TEST_CASE("a kernel without output runs for its effect and its errors", "[process][pool]") {
  be::process_pool pool(2);
  pool.submit(ptest::touch{}, 1).get();
  CHECK_THROWS_AS(pool.submit(ptest::touch{}, -1).get(), std::invalid_argument);
  std::vector<int> in{1, 2, 3};
  int* none = nullptr;
  pool.bulk_map(ptest::touch{}, in, none);
}

TEST_CASE("shutdown: destruction waits for submitted work; close refuses more", "[process][pool]") {
  std::vector<std::future<int>> fs;
  {
    be::process_pool pool(2);
    for (int i = 0; i < 6; ++i) fs.push_back(pool.submit(ptest::nap{}, 30));
  }  // ~process_pool: close + join
  for (auto& f : fs) {
    REQUIRE(f.wait_for(0s) == std::future_status::ready);
    CHECK(f.get() == 30);
  }

  be::process_pool pool(1);
  auto f = pool.submit(ptest::nap{}, 50);
  pool.close();
  CHECK_THROWS_AS(pool.submit(ptest::nap{}, 1), be::pool_closed);
  pool.join();
  CHECK(f.get() == 50);
}

TEST_CASE("terminate kills the workers and fails what has not finished", "[process][pool]") {
  be::process_pool pool(1);
  auto running = pool.submit(ptest::nap{}, 10'000);
  auto queued = pool.submit(ptest::nap{}, 1);
  std::this_thread::sleep_for(50ms);
  const auto t0 = std::chrono::steady_clock::now();
  pool.terminate();
  CHECK(std::chrono::steady_clock::now() - t0 < 5s);
  CHECK_THROWS_AS(running.get(), be::pool_closed);
  CHECK_THROWS_AS(queued.get(), be::pool_closed);
}

TEST_CASE("items and results larger than the ring stream through it", "[process][pool]") {
  be::process_pool_options o;
  o.workers = 2;
  o.ring_bytes = 16 * 1024;  // rounded to a power of two, at least 4 KiB
  be::process_pool pool(o);
  std::string text;
  for (int i = 0; i < 100'000; ++i) text += "w" + std::to_string(i % 977) + ' ';
  const auto direct = ptest::words{}(text);
  CHECK(pool.submit(ptest::words{}, text).get() == direct);  // ~600 KB each way
  const std::vector<std::string> many(6, text);
  for (const auto& r : pool.map(ptest::words{}, many, 1)) CHECK(r == direct);
  std::vector<std::int64_t> in(200'000);
  std::iota(in.begin(), in.end(), 0);
  const auto out = pool.map(ptest::affine{}, in, 50'000);  // 400 KB chunks through 16 KiB rings
  for (std::size_t i = 0; i < in.size(); ++i) REQUIRE(out[i] == 2 * in[i] + 1);
}

TEST_CASE("each start method takes the program's image at its own moment", "[process][pool]") {
  ptest::global_marker = 42;  // set after process_runtime::init
  auto seen = [](be::start_method m) {
    be::process_pool_options o;
    o.workers = 1;
    o.method = m;
    o.max_tasks_per_child = 1;  // a replacement sees the same image
    be::process_pool pool(o);
    const int first = pool.submit(ptest::read_marker{}, 0).get();
    ptest::global_marker = 7;  // later changes reach no worker
    const int second = pool.submit(ptest::read_marker{}, 0).get();
    ptest::global_marker = 42;
    CHECK(first == second);
    return first;
  };
  CHECK(seen(be::start_method::fork) == 42);        // the program when the pool was made
  CHECK(seen(be::start_method::fork_server) == 0);  // the program at process_runtime::init
  CHECK(seen(be::start_method::spawn) == 0);        // the program started afresh
  ptest::global_marker = 0;
}

TEST_CASE("steady tasks queue in a worker behind the running one; the timeout counts from their start",
          "[process][pool]") {
  be::process_pool_options o;
  o.workers = 1;
  o.task_timeout = 300ms;
  be::process_pool pool(o);
  std::vector<std::future<int>> fs;
  for (int i = 0; i < 3; ++i) fs.push_back(pool.submit(ptest::steady_nap{}, 200));  // 600 ms in all
  for (auto& f : fs) CHECK(f.get() == 200);
  CHECK(pool.stats().timeouts == 0);
}

TEST_CASE("a task queued behind one that kills its worker runs on the replacement", "[process][pool]") {
  be::process_pool pool(1);
  auto crash = pool.submit(ptest::faulty{}, 1 * 8 + static_cast<int>(ptest::fault::abort_later));
  auto after = pool.submit(ptest::faulty{}, 2 * 8);  // steady: queued in the same worker's ring
  CHECK_THROWS_AS(crash.get(), be::worker_lost);
  CHECK(after.get() == 2);
  const auto st = pool.stats();
  CHECK(st.tasks_failed == 1);
  CHECK(st.tasks_requeued == 1);
  CHECK(st.workers_lost == 1);
}

TEST_CASE("a full pool pins each worker to its own CPU; pin_workers = false leaves them free", "[process][pool]") {
  cpu_set_t allowed;
  CPU_ZERO(&allowed);
  REQUIRE(::sched_getaffinity(0, sizeof allowed, &allowed) == 0);
  const int cpus = CPU_COUNT(&allowed);
  be::process_pool_options o;
  o.workers = static_cast<unsigned>(cpus);
  std::set<std::uint64_t> masks;
  {
    be::process_pool pool(o);
    std::vector<std::future<std::uint64_t>> fs;
    // Hold every worker at once so that each answers one mask.
    std::vector<std::future<int>> holds;
    for (int i = 0; i < cpus; ++i) holds.push_back(pool.submit(ptest::slow_whoami{}, 50));
    for (auto& h : holds) h.get();
    for (int round = 0; round < 50 && masks.size() < static_cast<std::size_t>(cpus); ++round)
      masks.insert(pool.submit(ptest::cpu_mask{}, 0).get());
    for (int i = 0; i < cpus * 4; ++i) fs.push_back(pool.submit(ptest::cpu_mask{}, 0));
    for (auto& f : fs) masks.insert(f.get());
  }
  for (std::uint64_t m : masks) CHECK(__builtin_popcountll(m) == 1);  // one CPU each
  o.pin_workers = false;
  be::process_pool free_pool(o);
  CHECK(__builtin_popcountll(free_pool.submit(ptest::cpu_mask{}, 0).get()) == cpus);
}
