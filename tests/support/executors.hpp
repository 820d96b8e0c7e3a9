// The executors every executor test runs against, and kernels any of them can run: trivially
// copyable kernels over transportable items, so that process executors can join the list.
#pragma once
#include <breakeven/executor/process_pool.hpp>
#include <breakeven/asio/executor.hpp>
#include <breakeven/executor/sequential.hpp>
#include <breakeven/executor/thread_pool.hpp>

#include <boost/asio/thread_pool.hpp>

#include <atomic>
#include <chrono>
#include <stdexcept>
#include <string>
#include <thread>
#include <tuple>

namespace test {

/// The thread-pool executor over a program's own asio::thread_pool.
using asio_pool_executor = breakeven::asio_executor<boost::asio::thread_pool::executor_type>;

/// The executor types the templated test bodies run over; add a new back end here.
using executors_under_test =
    std::tuple<breakeven::sequential_executor, breakeven::thread_pool, breakeven::process_pool, asio_pool_executor>;

/// How a test gets an executor of type E: default constructed unless specialized.
template <class E>
struct fixture {
  E ex;
};
/// More lanes than this machine's 2 cores, so that lanes really interleave.
template <>
struct fixture<breakeven::thread_pool> {
  breakeven::thread_pool ex{4};
};
/// Three worker processes: more than the cores, fewer than most batches.
template <>
struct fixture<breakeven::process_pool> {
  breakeven::process_pool ex{3};
};

/// Three Asio threads and the caller: four lanes, as for the thread pool.
template <>
struct fixture<asio_pool_executor> {
  boost::asio::thread_pool pool{3};
  asio_pool_executor ex{pool, 4};
};

/// x -> x * x, widened.
struct square {
  using input_type = int;
  using output_type = long long;
  static constexpr auto cost = std::chrono::nanoseconds{20};
  long long operator()(const int& x) const { return static_cast<long long>(x) * x; }
};

/// x -> x + 1, failing with std::invalid_argument("item N") at items `bad` and `worse`.
struct fails_at {
  static constexpr bool bitwise_transport = true;  // its parameters travel with each task
  using input_type = int;
  using output_type = int;
  static constexpr auto cost = std::chrono::nanoseconds{20};
  int bad = -1;
  int worse = -1;
  int operator()(const int& x) const {
    if (x == bad || x == worse) throw std::invalid_argument("item " + std::to_string(x));
    return x + 1;
  }
};

/// Fails on every item: proves that an empty batch calls nothing.
struct never_called {
  using input_type = int;
  using output_type = int;
  static constexpr auto cost = std::chrono::nanoseconds{20};
  int operator()(const int&) const { throw std::logic_error("called on an empty batch"); }
};

/// Blocks until `open`; says when it has started.
struct gate {
  using input_type = int;
  using output_type = int;
  static constexpr auto cost = std::chrono::milliseconds{1};
  std::atomic<bool>* started;
  std::atomic<bool>* open;
  int operator()(const int& x) const {
    started->store(true);
    while (!open->load()) std::this_thread::sleep_for(std::chrono::microseconds(100));
    return x;
  }
};

}  // namespace test
