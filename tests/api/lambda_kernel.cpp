// breakeven::kernel: a lambda, its cost and its name make a kernel in one line; the item
// types come from the call signature, the name reaches the debug log, the other traits are
// settable, and map / for_each / submit take it like any kernel.
#include "common.hpp"

#include <breakeven/api.hpp>
#include <breakeven/kernel.hpp>

#include <catch2/catch.hpp>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <unistd.h>

namespace be = breakeven;
using namespace std::chrono_literals;

namespace {
constexpr auto square = be::kernel<"square", 2us>([](int x) { return x * x; });
constexpr auto length = be::kernel<"length", 1us>([](const std::string& s) { return s.size(); });
std::atomic<long> total{0};
constexpr auto add = be::kernel<"add", 5ms>([](int x) { total.fetch_add(x, std::memory_order_relaxed); });
constexpr auto unsafe_square =
    be::kernel<"unsafe_square", 5ms, be::kernel_options{.thread_safe = false}>([](int x) { return long{x} * x; });
constexpr auto ragged = be::kernel<"ragged", be::unknown_cost, be::kernel_options{.variance = be::variance::high}>(
    [](int x) noexcept { return x + 1; });

using square_t = std::remove_const_t<decltype(square)>;
using length_t = std::remove_const_t<decltype(length)>;
using add_t = std::remove_const_t<decltype(add)>;
using unsafe_t = std::remove_const_t<decltype(unsafe_square)>;
using ragged_t = std::remove_const_t<decltype(ragged)>;

// Item types from the call signature: by value, by const reference, void results.
static_assert(std::is_same_v<be::input_t<square_t>, int> && std::is_same_v<be::output_t<square_t>, int>);
static_assert(std::is_same_v<be::input_t<length_t>, std::string> && std::is_same_v<be::output_t<length_t>, std::size_t>);
static_assert(std::is_void_v<be::output_t<add_t>>);
static_assert(be::operation<square_t> && be::operation<add_t> && be::operation<ragged_t>);
// Name and cost are compile-time traits; the options default as any kernel's traits do.
static_assert(be::kernel_traits<square_t>::name == "square");
static_assert(be::kernel_traits<square_t>::cost_ns == 2000);
static_assert(be::kernel_traits<square_t>::thread_safe && !be::kernel_traits<square_t>::isolation);
static_assert(!be::kernel_traits<unsafe_t>::thread_safe);
static_assert(!be::kernel_traits<ragged_t>::cost_known);
static_assert(be::kernel_traits<ragged_t>::variance == be::variance::high);
static_assert(!be::detail::has_trait_variance<square_t>);  // not chosen: not declared
static_assert(std::is_empty_v<square_t> && std::is_default_constructible_v<square_t>);
// The compile-time decision works as for a hand-written kernel: 2 us x 10 is sequential.
static_assert(square(7) == 49);

// Runs `f` with stderr captured; returns what it wrote.
template <class F>
std::string captured_stderr(F&& f) {
  char path[] = "/tmp/breakeven-lambda-kernel-XXXXXX";
  const int fd = ::mkstemp(path);
  REQUIRE(fd >= 0);
  std::fflush(stderr);
  const int saved = ::dup(2);
  ::dup2(fd, 2);
  f();
  std::fflush(stderr);
  ::dup2(saved, 2);
  ::close(saved);
  ::close(fd);
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  ::unlink(path);
  return text.str();
}

using api_test::iota_vec;
using api_test::settings_guard;
}  // namespace

TEST_CASE("a lambda kernel runs with map, for_each and submit", "[api][kernel]") {
  const auto v = iota_vec(1000);
  const auto sq = be::map(square, v);
  REQUIRE(sq.size() == 1000);
  CHECK(sq[999] == 999 * 999);
  CHECK(be::map(length, std::vector<std::string>{"a", "bcd"}) == std::vector<std::size_t>{1, 3});
  total = 0;
  be::for_each(add, iota_vec(100));
  CHECK(total.load() == 99 * 100 / 2);
  CHECK(be::submit(square, 12).get() == 144);
  const auto r = be::map(ragged, v);  // unknown cost: probed, then planned
  CHECK(r[0] == 1);
  CHECK(r[999] == 1000);
}

TEST_CASE("the debug log names a lambda kernel by its name", "[api][kernel]") {
  settings_guard g;
  be::settings s = be::current_settings();
  s.debug = true;
  be::set_settings(s);
  const std::string log = captured_stderr([] { (void)be::map(square, iota_vec(100)); });
  CHECK(log.find("breakeven: square:") != std::string::npos);
  CHECK(log.find("lambda") == std::string::npos);
}

TEST_CASE("a thread-unsafe lambda kernel never runs on the thread pool", "[api][kernel][process]") {
  settings_guard g;
  be::set_settings({});
  be::reset_statistics();
  const auto out = be::map(unsafe_square, iota_vec(64));  // 64 x 5 ms: parallel, but not on threads
  REQUIRE(out.size() == 64);
  CHECK(out[63] == 63L * 63);
  CHECK(be::statistics()[be::executor_kind::thread_pool].calls == 0);
}
