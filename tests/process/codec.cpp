// The codec: every transportable shape round-trips, user types plug in, and bytes that do
// not decode are a decode_error, never an overread.
#include "kernels.hpp"

#include <breakeven/ipc/codec.hpp>

#include <catch2/catch.hpp>

#include <boost/hana/adapt_struct.hpp>
#include <boost/hana/define_struct.hpp>

#include <array>
#include <chrono>
#include <cstdint>
#include <deque>
#include <list>
#include <map>
#include <set>
#include <unordered_map>
#include <variant>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

namespace be = breakeven;
namespace ipc = breakeven::ipc;

struct legacy_record {  // a C array member, described from outside
  int id;
  char code[4];
};
BOOST_HANA_ADAPT_STRUCT(legacy_record, id, code);

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
  static constexpr bool bitwise_transport = true;  // raw numbers, opted in by a member
  int x, y;
  friend bool operator==(const point&, const point&) = default;
};

struct rgb {  // raw bytes, opted in by the trait (below)
  std::uint8_t r, g, b;
  friend bool operator==(const rgb&, const rgb&) = default;
};

struct node {  // trivially copyable, but its bytes hold an address
  const char* name;
  int value;
};

struct plain {  // trivially copyable numbers, not opted in
  int a;
  double b;
};

struct label {  // a Hana struct with a C array member
  BOOST_HANA_DEFINE_STRUCT(label, (int, id), (std::array<char, 4>, code));
};
struct tagged {
  BOOST_HANA_DEFINE_STRUCT(tagged, (std::string, name), (std::int32_t, weight));
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
template <>
inline constexpr bool breakeven::enable_bitwise_transport<rgb> = true;

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
  // Trivially copyable is not transportable: only what cannot hold an address, or opts in.
  STATIC_REQUIRE_FALSE(be::transportable<node>);
  STATIC_REQUIRE_FALSE(be::transportable<plain>);
  STATIC_REQUIRE_FALSE(be::transportable<std::vector<node>>);
  STATIC_REQUIRE_FALSE(be::shm_value<node>);
  STATIC_REQUIRE_FALSE(be::shm_item<node>);
  STATIC_REQUIRE(be::transportable<rgb>);
  STATIC_REQUIRE(be::shm_value<rgb>);
  STATIC_REQUIRE(be::transportable<tagged>);
  STATIC_REQUIRE_FALSE(be::shm_value<tagged>);  // a string member: not its bytes
  STATIC_REQUIRE(be::transportable<label>);
  STATIC_REQUIRE(be::shm_value<label>);         // numbers only, described: its bytes do
  STATIC_REQUIRE(be::transportable<std::chrono::milliseconds>);
  STATIC_REQUIRE(be::transportable<int[4]>);
  STATIC_REQUIRE(be::transportable<legacy_record>);
  // The standard containers and sum types of transportables.
  STATIC_REQUIRE(be::transportable<std::map<int, int>>);
  STATIC_REQUIRE(be::transportable<std::vector<std::map<std::string, std::set<int>>>>);
  STATIC_REQUIRE(be::transportable<std::unordered_map<std::string, std::deque<double>>>);
  STATIC_REQUIRE(be::transportable<std::variant<int, std::string>>);
  STATIC_REQUIRE_FALSE(be::transportable<std::map<int, node>>);
  STATIC_REQUIRE_FALSE(be::transportable<std::variant<int, const char*>>);
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
  CHECK(round_trip(rgb{1, 2, 3}) == rgb{1, 2, 3});
  CHECK(round_trip(std::map<std::string, int>{{"a", 1}, {"b", 2}}) == std::map<std::string, int>{{"a", 1}, {"b", 2}});
  CHECK(round_trip(std::multiset<int>{3, 1, 3}) == std::multiset<int>{1, 3, 3});
  CHECK(round_trip(std::unordered_map<int, std::string>{{1, "x"}}) == std::unordered_map<int, std::string>{{1, "x"}});
  CHECK(round_trip(std::deque<int>{4, 5}) == std::deque<int>{4, 5});
  CHECK(round_trip(std::list<std::string>{"p", "q"}) == std::list<std::string>{"p", "q"});
  CHECK(round_trip(std::variant<int, std::string>{std::string("v")}) == std::variant<int, std::string>{std::string("v")});
  CHECK(round_trip(std::variant<int, std::string>{7}) == std::variant<int, std::string>{7});
  CHECK(round_trip(std::chrono::milliseconds{42}) == std::chrono::milliseconds{42});
  const label l = round_trip(label{9, {'a', 'b', 'c', 'd'}});
  CHECK(l.id == 9);
  CHECK(l.code == std::array<char, 4>{'a', 'b', 'c', 'd'});
  const legacy_record lr = round_trip(legacy_record{5, {'w', 'x', 'y', 'z'}});
  CHECK(lr.id == 5);
  CHECK(std::string(lr.code, 4) == "wxyz");
  const tagged g = round_trip(tagged{"n", 110});
  CHECK(g.name == "n");
  CHECK(g.weight == 110);
  const text_point tp = round_trip(text_point{{{"x", 12}, {"y", -3}}});
  CHECK(tp.coords.at("x") == 12);
  CHECK(tp.coords.at("y") == -3);
}

TEST_CASE("inputs that do not decode are errors, never overreads", "[process][codec]") {
  {
    const auto bad = bytes_of(std::uint32_t{2});  // a variant of two alternatives has no index 2
    ipc::reader r(bad);
    CHECK_THROWS_AS((ipc::decode<std::variant<int, std::string>>(r)), be::decode_error);
  }
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
