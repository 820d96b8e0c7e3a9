// breakeven/transport.hpp - which types can cross a process boundary.
//
// Trivially copyable is not transportable: a struct holding a pointer is trivially copyable,
// and its bytes mean nothing in another process. Transportable without asking are the types
// that cannot hold an address: arithmetic types and enums, std::string, the standard
// containers (vector, deque, list, set, map, their multi- and unordered forms), std::array
// and C arrays, std::pair / std::tuple / std::optional / std::variant, and
// std::chrono::duration, each of transportables. Beyond them:
//   - an aggregate described with Boost.Hana (BOOST_HANA_DEFINE_STRUCT, BOOST_HANA_ADAPT_STRUCT)
//     travels member by member when its members are transportable (enabled by
//     <breakeven/ipc/codec.hpp>);
//   - a user class of raw bytes opts in to travel as its bytes:
//       template <> inline constexpr bool breakeven::enable_bitwise_transport<rgb> = true;
//     or, inside the class, `static constexpr bool bitwise_transport = true;`;
//   - any other type specializes the codec `breakeven::transport<T>` and sets
//     `breakeven::enable_transport<T> = true`.
// Pointers and the types that only refer to memory (string_view, span, reference_wrapper)
// are never transportable.
#pragma once

#include <array>
#include <concepts>
#include <chrono>
#include <cstddef>
#include <deque>
#include <functional>
#include <list>
#include <map>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <variant>
#include <vector>

namespace breakeven {

/// Opt-in for user types with their own codec; also set for Hana-described aggregates.
template <class T>
inline constexpr bool enable_transport = false;

/// Opt-in for a trivially copyable user type whose bytes mean the same in another process
/// (raw bytes: no pointers, handles or addresses): it travels as its bytes.
template <class T>
inline constexpr bool enable_bitwise_transport = false;

namespace detail {
template <class T>
concept bitwise_member_tag = requires {
  { T::bitwise_transport } -> std::convertible_to<bool>;
  requires T::bitwise_transport;
};
}  // namespace detail

/// A type that travels as its bytes: arithmetic types, enums, and opted-in trivially
/// copyable classes (enable_bitwise_transport, or a `bitwise_transport` member).
template <class T>
concept bitwise_transportable =
    std::is_trivially_copyable_v<T> && !std::is_pointer_v<T> && !std::is_member_pointer_v<T> &&
    (std::is_arithmetic_v<T> || std::is_enum_v<T> || enable_bitwise_transport<std::remove_cv_t<T>> ||
     (std::is_class_v<T> && detail::bitwise_member_tag<T>));

namespace detail {
template <class T>
struct transportable_impl;
// One element type, user opt-in included: what containers recurse on.
template <class T>
struct element_transportable : std::bool_constant<enable_transport<std::remove_cv_t<T>> ||
                                                  transportable_impl<std::remove_cv_t<T>>::value> {};
template <class... Ts>
struct all_transportable : std::bool_constant<(element_transportable<Ts>::value && ...)> {};

template <class T>
struct transportable_impl : std::bool_constant<bitwise_transportable<T>> {};
template <class T, std::size_t N>
struct transportable_impl<T[N]> : element_transportable<T> {};
template <class C, class Tr, class A>
struct transportable_impl<std::basic_string<C, Tr, A>> : std::bool_constant<bitwise_transportable<C>> {};
template <class T, class A>
struct transportable_impl<std::vector<T, A>> : element_transportable<T> {};
template <class T, class A>
struct transportable_impl<std::deque<T, A>> : element_transportable<T> {};
template <class T, class A>
struct transportable_impl<std::list<T, A>> : element_transportable<T> {};
template <class K, class C, class A>
struct transportable_impl<std::set<K, C, A>> : element_transportable<K> {};
template <class K, class C, class A>
struct transportable_impl<std::multiset<K, C, A>> : element_transportable<K> {};
template <class K, class H, class E, class A>
struct transportable_impl<std::unordered_set<K, H, E, A>> : element_transportable<K> {};
template <class K, class H, class E, class A>
struct transportable_impl<std::unordered_multiset<K, H, E, A>> : element_transportable<K> {};
template <class K, class V, class C, class A>
struct transportable_impl<std::map<K, V, C, A>> : all_transportable<K, V> {};
template <class K, class V, class C, class A>
struct transportable_impl<std::multimap<K, V, C, A>> : all_transportable<K, V> {};
template <class K, class V, class H, class E, class A>
struct transportable_impl<std::unordered_map<K, V, H, E, A>> : all_transportable<K, V> {};
template <class K, class V, class H, class E, class A>
struct transportable_impl<std::unordered_multimap<K, V, H, E, A>> : all_transportable<K, V> {};
template <class T, std::size_t N>
struct transportable_impl<std::array<T, N>> : element_transportable<T> {};
template <class T>
struct transportable_impl<std::optional<T>> : element_transportable<T> {};
template <class A, class B>
struct transportable_impl<std::pair<A, B>> : all_transportable<A, B> {};
template <class... Ts>
struct transportable_impl<std::tuple<Ts...>> : all_transportable<Ts...> {};
template <class... Ts>
struct transportable_impl<std::variant<Ts...>> : all_transportable<Ts...> {};
template <class R, class P>
struct transportable_impl<std::chrono::duration<R, P>> : std::bool_constant<bitwise_transportable<R>> {};
}  // namespace detail

/// A type whose values can be written to and read from a byte stream between processes.
template <class T>
concept transportable = !std::is_reference_v<T> && detail::element_transportable<T>::value;

}  // namespace breakeven
