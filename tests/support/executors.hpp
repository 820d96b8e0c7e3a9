// The executors every executor test runs against, and kernels any of them can run: trivially
// copyable kernels over transportable items, so that process executors can join the list.
#pragma once
#include <breakeven/executor/sequential.hpp>
#include <breakeven/executor/thread_pool.hpp>

#include <chrono>
#include <stdexcept>
#include <string>
#include <tuple>

namespace test {

/// The in-process executor types the suite (executor_suite.hpp) runs over in tests/executor;
/// process executors run it in their own area (tests/shm/executor_suite.cpp), whose main
/// starts the process runtime first.
using executors_under_test = std::tuple<breakeven::sequential_executor, breakeven::thread_pool>;

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

/// x -> x * x, widened.
struct square {
  using input_type = int;
  using output_type = long long;
  static constexpr auto cost = std::chrono::nanoseconds{20};
  long long operator()(const int& x) const { return static_cast<long long>(x) * x; }
};

/// x -> x + 1, failing with std::invalid_argument("item N") at items `bad` and `worse`.
struct fails_at {
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

}  // namespace test
