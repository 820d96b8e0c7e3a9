// The codec: every transportable shape round-trips, user types plug in, and bytes that do
// not decode are a decode_error, never an overread.
#include "kernels.hpp"

#include <breakeven/ipc/codec.hpp>

#include <catch2/catch.hpp>

#include <array>
#include <map>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

namespace be = breakeven;
namespace ipc = breakeven::ipc;

namespace {

template <class T>
T round_trip(const T& v) {
  std::vector<std::byte> buf;
  {
    ipc::writer w(buf);
    ipc::encode(w, v);
  }
  ipc::reader r(buf);
  T out = ipc::decode<T>(r);
  CHECK(r.remaining() == 0);
  return out;
}

template <class T>
std::vector<std::byte> bytes_of(const T& v) {
  std::vector<std::byte> buf;
  ipc::writer w(buf);
  ipc::encode(w, v);
  w.finish();
  return buf;
}

struct point {
  int x, y;
  friend bool operator==(const point&, const point&) = default;
};

// A type with its own codec: stored as "x,y" text.
struct text_point {
  std::map<std::string, int> coords;
};

}  // namespace

template <>
struct breakeven::transport<text_point> {
  static void encode(ipc::writer& w, const text_point& p) {
    ipc::encode(w, std::to_string(p.coords.at("x")) + "," + std::to_string(p.coords.at("y")));
  }
  static text_point decode(ipc::reader& r) {
    const auto s = ipc::decode<std::string>(r);
    const auto comma = s.find(',');
    if (comma == std::string::npos) r.fail("text_point without a comma", 0);
    return text_point{{{"x", std::stoi(s.substr(0, comma))}, {"y", std::stoi(s.substr(comma + 1))}}};
  }
};
template <>
inline constexpr bool breakeven::enable_transport<text_point> = true;

TEST_CASE("transportable types: what crosses and what does not", "[process][codec]") {
  STATIC_REQUIRE(be::transportable<int>);
  STATIC_REQUIRE(be::transportable<point>);
  STATIC_REQUIRE(be::transportable<std::string>);
  STATIC_REQUIRE(be::transportable<std::vector<std::optional<std::pair<int, std::string>>>>);
  STATIC_REQUIRE(be::transportable<std::tuple<int, std::string, std::array<double, 3>>>);
  STATIC_REQUIRE(be::transportable<ptest::order>);  // Hana struct with non-trivial members
  STATIC_REQUIRE(be::transportable<text_point>);    // a custom codec
  STATIC_REQUIRE_FALSE(be::transportable<int*>);
  // Trivially copyable, but only referring to the sender's memory.
  STATIC_REQUIRE_FALSE(be::transportable<std::string_view>);
  STATIC_REQUIRE_FALSE(be::transportable<std::span<const int>>);
  STATIC_REQUIRE_FALSE(be::transportable<std::reference_wrapper<int>>);
  STATIC_REQUIRE_FALSE(be::transportable<std::pair<int, std::string_view>>);
  STATIC_REQUIRE_FALSE(be::transportable<std::map<int, int>>);
  STATIC_REQUIRE_FALSE(be::transportable<std::vector<std::map<int, int>>>);
}

TEST_CASE("values round-trip through the codec", "[process][codec]") {
  CHECK(round_trip(42) == 42);
  CHECK(round_trip(point{3, -4}) == point{3, -4});
  CHECK(round_trip(std::string("hello\0world", 11)) == std::string("hello\0world", 11));
  CHECK(round_trip(std::string()).empty());
  CHECK(round_trip(std::vector<int>{1, 2, 3}) == std::vector<int>{1, 2, 3});
  CHECK(round_trip(std::vector<bool>{true, false, true}) == std::vector<bool>{true, false, true});
  CHECK(round_trip(std::vector<std::string>{"a", "", "ccc"}) == std::vector<std::string>{"a", "", "ccc"});
  CHECK(round_trip(std::array<std::string, 2>{"x", "y"}) == std::array<std::string, 2>{"x", "y"});
  CHECK(round_trip(std::array<int, 3>{7, 8, 9}) == std::array<int, 3>{7, 8, 9});
  CHECK(round_trip(std::optional<std::string>{}) == std::nullopt);
  CHECK(round_trip(std::optional<std::string>{"some"}) == std::optional<std::string>{"some"});
  CHECK(round_trip(std::optional<int>{5}) == std::optional<int>{5});
  CHECK(round_trip(std::pair<int, std::string>{1, "one"}) == std::pair<int, std::string>{1, "one"});
  const std::tuple<int, std::string, std::vector<double>> t{1, "two", {3.5}};
  CHECK(round_trip(t) == t);
  const ptest::order o{"ada", {1, 2, 3}, 0.25};
  const ptest::order back = round_trip(o);
  CHECK(back.customer == "ada");
  CHECK(back.items == std::vector<int>{1, 2, 3});
  CHECK(back.discount == 0.25);
  const text_point tp = round_trip(text_point{{{"x", 12}, {"y", -3}}});
  CHECK(tp.coords.at("x") == 12);
  CHECK(tp.coords.at("y") == -3);
}

TEST_CASE("inputs that do not decode are errors, never overreads", "[process][codec]") {
  SECTION("truncated at every length") {
    const auto full = bytes_of(std::vector<std::string>{"alpha", "beta", "gamma"});
    for (std::size_t n = 0; n < full.size(); ++n) {
      ipc::reader r(std::span<const std::byte>(full.data(), n));
      CHECK_THROWS_AS(ipc::decode<std::vector<std::string>>(r), be::decode_error);
    }
  }
  SECTION("a length prefix larger than the input") {
    std::vector<std::byte> b;
    {
      ipc::writer w(b);
      w.put(std::uint64_t{1} << 60);  // "a vector of 2^60 elements"
      w.put(std::uint32_t{7});
    }
    ipc::reader r1(b);
    CHECK_THROWS_AS(ipc::decode<std::vector<std::uint32_t>>(r1), be::decode_error);
    ipc::reader r2(b);
    CHECK_THROWS_AS(ipc::decode<std::vector<std::string>>(r2), be::decode_error);
    ipc::reader r3(b);
    CHECK_THROWS_AS(ipc::decode<std::string>(r3), be::decode_error);
  }
  SECTION("invalid tags") {
    const std::vector<std::byte> bad_optional{std::byte{2}, std::byte{0}, std::byte{0}, std::byte{0}, std::byte{0}};
    ipc::reader r(bad_optional);
    CHECK_THROWS_AS(ipc::decode<std::optional<int>>(r), be::decode_error);
    const std::vector<std::byte> bad_bool{std::byte{7}};
    ipc::reader rb(bad_bool);
    CHECK_THROWS_AS(ipc::decode<bool>(rb), be::decode_error);
  }
  SECTION("a custom codec reports its own errors through the reader") {
    const auto b = bytes_of(std::string("12;3"));
    ipc::reader r(b);
    CHECK_THROWS_AS(ipc::decode<text_point>(r), be::decode_error);
  }
}
