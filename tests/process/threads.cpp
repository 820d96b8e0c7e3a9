// Pools made and destroyed over and over from a program that already runs threads (a
// pool of std::thread workers and an Asio io_context thread): no deadlock, no leak. The
// plain fork start method is refused there, with a message that says why.
#include "../support/process_hygiene.hpp"
#include "kernels.hpp"

#include <breakeven/executor/process_pool.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace be = breakeven;
using namespace std::chrono_literals;

namespace {

// A small thread pool kept busy with work that takes locks and allocates: the threads a
// fork would copy mid-flight.
class busy_threads {
 public:
  explicit busy_threads(unsigned n) {
    for (unsigned i = 0; i < n; ++i)
      threads_.emplace_back([this] {
        std::vector<std::string> junk;
        while (!stop_) {
          std::unique_lock lock(m_);
          junk.emplace_back(64, 'x');
          if (junk.size() > 1000) junk.clear();
          ++ticks_;
        }
      });
  }
  ~busy_threads() {
    stop_ = true;
    for (auto& t : threads_) t.join();
  }
  std::uint64_t ticks() const { return ticks_; }

 private:
  std::atomic<bool> stop_{false};
  std::atomic<std::uint64_t> ticks_{0};
  std::mutex m_;
  std::vector<std::thread> threads_;
};

// An io_context on its own thread with a repeating timer.
class asio_thread {
 public:
  asio_thread() : timer_(io_) {
    arm();
    thread_ = std::thread([this] { io_.run(); });
  }
  ~asio_thread() {
    boost::asio::post(io_, [this] {
      stopping_ = true;
      timer_.cancel();
    });
    thread_.join();
  }
  int fired() const { return fired_; }

 private:
  void arm() {
    timer_.expires_after(1ms);
    timer_.async_wait([this](const boost::system::error_code& ec) {
      if (ec || stopping_) return;
      ++fired_;
      arm();
    });
  }
  boost::asio::io_context io_;
  boost::asio::steady_timer timer_;
  std::thread thread_;
  std::atomic<int> fired_{0};
  bool stopping_ = false;
};

}  // namespace

TEST_CASE("200 pool cycles beside running threads and an Asio loop", "[process][threads]") {
  busy_threads workers(2);
  asio_thread loop;
  const int fds = breakeven_test::open_fds();
  for (int cycle = 0; cycle < 200; ++cycle) {
    be::process_pool pool(2);
    auto f = pool.submit(ptest::affine{}, std::int64_t{cycle});
    const auto m = pool.map(ptest::affine{}, std::vector<std::int64_t>{1, 2, 3, 4, 5}, 2);
    REQUIRE(f.get() == 2 * cycle + 1);
    REQUIRE(m == std::vector<std::int64_t>{3, 5, 7, 9, 11});
  }
  CHECK(breakeven_test::settles(fds));
  CHECK(workers.ticks() > 0);
  CHECK(loop.fired() > 0);
}

TEST_CASE("a pool closed while it replaces a retired worker leaves no process behind", "[process][threads]") {
  // Each worker retires after one task, so the pool starts its replacement while the caller,
  // holding the answer, already closes the pool: the close must wait for that start and reap it.
  busy_threads workers(2);
  const int fds = breakeven_test::open_fds();
  for (const auto method : {be::start_method::fork_server, be::start_method::spawn}) {
    for (int cycle = 0; cycle < 60; ++cycle) {
      be::process_pool_options o;
      o.workers = 1;
      o.method = method;
      o.max_tasks_per_child = 1;
      be::process_pool pool(o);
      REQUIRE(pool.submit(ptest::affine{}, std::int64_t{cycle}).get() == 2 * cycle + 1);
    }
    INFO("start method " << static_cast<int>(method));
    CHECK(breakeven_test::settles(fds));
  }
}

TEST_CASE("the fork start method is refused in a multi-threaded program", "[process][threads]") {
  busy_threads workers(1);
  be::process_pool_options o;
  o.workers = 1;
  o.method = be::start_method::fork;
  CHECK_THROWS_WITH(be::process_pool(o), Catch::Contains("fork start method cannot be used") &&
                                             Catch::Contains("threads") && Catch::Contains("fork_server"));
  // spawn and the fork server are fine there.
  for (auto m : {be::start_method::spawn, be::start_method::fork_server}) {
    o.method = m;
    be::process_pool pool(o);
    CHECK(pool.submit(ptest::affine{}, 20).get() == 41);
  }
}

TEST_CASE("pools made from several threads at once", "[process][threads]") {
  std::vector<std::thread> ts;
  std::atomic<int> ok{0};
  for (int t = 0; t < 4; ++t)
    ts.emplace_back([&, t] {
      for (int i = 0; i < 5; ++i) {
        be::process_pool pool(1);
        if (pool.submit(ptest::affine{}, std::int64_t{t * 100 + i}).get() == 2 * (t * 100 + i) + 1) ++ok;
      }
    });
  for (auto& t : ts) t.join();
  CHECK(ok == 20);
}
