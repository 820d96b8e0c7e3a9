// One test body for every executor, written against the executor concept only: results in
// input order for every kind of input, empty batches, exceptions that keep their type,
// futures from submit(). A test file defines BREAKEVEN_SUITE_EXECUTORS as the std::tuple of
// executor types to run it over (tests/support/executors.hpp lists the in-process ones;
// tests/shm/executor_suite.cpp the shared-memory pool), then includes this header once.
#pragma once
#ifndef BREAKEVEN_SUITE_EXECUTORS
#error "define BREAKEVEN_SUITE_EXECUTORS as the std::tuple of executor types to test"
#endif
#include "executors.hpp"

#include <range/v3/view/iota.hpp>
#include <range/v3/view/transform.hpp>

#include <catch2/catch.hpp>

#include <array>
#include <numeric>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

namespace be = breakeven;

namespace {

// Schedules every test runs through: default, static with small chunks, dynamic with small
// and default chunks, one worker, capped workers.
const std::vector<be::schedule> schedules{
    {}, {.chunk = 1}, {.chunk = 7, .dynamic = true}, {.dynamic = true}, {.workers = 1}, {.chunk = 64, .workers = 2},
};

std::vector<int> iota_vector(int n) {
  std::vector<int> v(static_cast<std::size_t>(n));
  std::iota(v.begin(), v.end(), 0);
  return v;
}

template <class Ex, class In>
std::vector<long long> squares_of(Ex& ex, In&& in, const be::schedule& s) {
  std::vector<long long> out(std::ranges::size(in), -1);
  ex.bulk_map(test::square{}, in, out.begin(), s);
  return out;
}

// What bulk_map threw, as "type: message"; "none" when it did not throw.
template <class Ex>
std::string bulk_failure(Ex& ex, const test::fails_at& op, const std::vector<int>& in, const be::schedule& s) {
  std::vector<int> out(in.size());
  try {
    ex.bulk_map(op, in, out.data(), s);
  } catch (const std::invalid_argument& e) {
    return std::string("invalid_argument: ") + e.what();
  } catch (...) {
    return "another type";
  }
  return "none";
}

}  // namespace

TEMPLATE_LIST_TEST_CASE("executors model the concept", "[executor]", BREAKEVEN_SUITE_EXECUTORS) {
  STATIC_REQUIRE(be::executor<TestType>);
  STATIC_REQUIRE(be::admits_v<TestType, test::square>);
  test::fixture<TestType> f;
  CHECK(f.ex.concurrency() >= 1);
}

TEMPLATE_LIST_TEST_CASE("bulk_map keeps input order for every input range", "[executor][order]",
                        BREAKEVEN_SUITE_EXECUTORS) {
  test::fixture<TestType> f;
  const std::vector<int> vec = iota_vector(1000);
  std::array<int, 64> arr{};
  std::iota(arr.begin(), arr.end(), 0);

  for (const auto& s : schedules) {
    INFO("schedule chunk " << s.chunk << " workers " << s.workers << " dynamic " << s.dynamic);
    const auto from_vec = squares_of(f.ex, vec, s);
    for (std::size_t i = 0; i < vec.size(); ++i) REQUIRE(from_vec[i] == static_cast<long long>(i * i));

    const auto from_arr = squares_of(f.ex, arr, s);
    for (std::size_t i = 0; i < arr.size(); ++i) REQUIRE(from_arr[i] == static_cast<long long>(i * i));

    const std::span<const int> middle = std::span(vec).subspan(100, 300);
    const auto from_span = squares_of(f.ex, middle, s);
    for (std::size_t i = 0; i < middle.size(); ++i) REQUIRE(from_span[i] == static_cast<long long>((i + 100) * (i + 100)));

    const auto from_iota = squares_of(f.ex, ranges::views::iota(0, 777), s);
    for (std::size_t i = 0; i < 777; ++i) REQUIRE(from_iota[i] == static_cast<long long>(i * i));

    const auto tripled = ranges::views::iota(0, 333) | ranges::views::transform([](int x) { return 3 * x; });
    const auto from_view = squares_of(f.ex, tripled, s);
    for (std::size_t i = 0; i < 333; ++i) REQUIRE(from_view[i] == static_cast<long long>(9 * i * i));
  }
}

TEMPLATE_LIST_TEST_CASE("bulk_map of one item and of fewer items than workers", "[executor][order]",
                        BREAKEVEN_SUITE_EXECUTORS) {
  test::fixture<TestType> f;
  for (int n = 1; n <= 9; ++n) {
    for (const auto& s : schedules) {
      const auto out = squares_of(f.ex, iota_vector(n), s);
      for (int i = 0; i < n; ++i) REQUIRE(out[static_cast<std::size_t>(i)] == static_cast<long long>(i) * i);
    }
  }
}

TEMPLATE_LIST_TEST_CASE("an empty batch calls nothing and writes nothing", "[executor][empty]",
                        BREAKEVEN_SUITE_EXECUTORS) {
  test::fixture<TestType> f;
  const std::vector<int> none;
  int sentinel = 42;
  for (const auto& s : schedules) {
    f.ex.bulk_map(test::never_called{}, none, &sentinel, s);
    f.ex.bulk_map(test::never_called{}, std::span<const int>{}, &sentinel, s);
    f.ex.bulk_map(test::never_called{}, ranges::views::iota(5, 5), &sentinel, s);
  }
  CHECK(sentinel == 42);
}

TEMPLATE_LIST_TEST_CASE("bulk_map rethrows the exception of the lowest failing index, with its type",
                        "[executor][exceptions]", BREAKEVEN_SUITE_EXECUTORS) {
  test::fixture<TestType> f;
  const std::vector<int> in = iota_vector(1000);
  for (const auto& s : schedules) {
    INFO("schedule chunk " << s.chunk << " workers " << s.workers << " dynamic " << s.dynamic);
    CHECK(bulk_failure(f.ex, {.bad = 300, .worse = 700}, in, s) == "invalid_argument: item 300");
    CHECK(bulk_failure(f.ex, {.bad = 999, .worse = 0}, in, s) == "invalid_argument: item 0");
    CHECK(bulk_failure(f.ex, {.bad = 999}, in, s) == "invalid_argument: item 999");
    CHECK(bulk_failure(f.ex, {}, in, s) == "none");
  }
  // The executor is still usable after a failure.
  const auto out = squares_of(f.ex, in, {});
  CHECK(out[999] == 999LL * 999);
}

TEMPLATE_LIST_TEST_CASE("submit returns futures of values and of exceptions", "[executor][submit]",
                        BREAKEVEN_SUITE_EXECUTORS) {
  test::fixture<TestType> f;
  std::vector<std::future<long long>> futures;
  for (int i = 0; i < 100; ++i) futures.push_back(f.ex.submit(test::square{}, i));
  for (int i = 0; i < 100; ++i) CHECK(futures[static_cast<std::size_t>(i)].get() == static_cast<long long>(i) * i);

  auto ok = f.ex.submit(test::fails_at{.bad = 3}, 4);
  auto bad = f.ex.submit(test::fails_at{.bad = 3}, 3);
  CHECK(ok.get() == 5);
  try {
    bad.get();
    FAIL("the future did not throw");
  } catch (const std::invalid_argument& e) {
    CHECK(std::string(e.what()) == "item 3");
  }
}
