// breakeven/transport.hpp - which types can cross a process boundary.
//
// Transportable: trivially copyable types, std::string, and std::vector / std::array /
// std::optional / std::pair / std::tuple of transportables. Other types opt in by
// specializing `enable_transport<T>` to true and providing a `transport<T>` codec
// (see <breakeven/ipc/codec.hpp>); aggregates described with Boost.Hana are enabled there.
// Pointers and the trivially copyable types that only refer to memory (string_view, span,
// reference_wrapper) are not transportable: in another process they would point nowhere.
#pragma once

#include <array>
#include <cstddef>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

namespace breakeven {

/// Opt-in for user types with their own codec; also set for Hana-described aggregates.
template <class T>
inline constexpr bool enable_transport = false;

namespace detail {
template <class T>
struct transportable_impl;
// One element type, user opt-in included: what containers recurse on.
template <class T>
struct element_transportable : std::bool_constant<enable_transport<std::remove_cv_t<T>> ||
                                                  transportable_impl<std::remove_cv_t<T>>::value> {};
template <class T>
struct transportable_impl : std::bool_constant<std::is_trivially_copyable_v<T> && !std::is_pointer_v<T> &&
                                               !std::is_member_pointer_v<T>> {};
template <class C, class Tr>
struct transportable_impl<std::basic_string_view<C, Tr>> : std::false_type {};
template <class T, std::size_t N>
struct transportable_impl<std::span<T, N>> : std::false_type {};
template <class T>
struct transportable_impl<std::reference_wrapper<T>> : std::false_type {};
template <class C, class Tr, class A>
struct transportable_impl<std::basic_string<C, Tr, A>> : std::bool_constant<std::is_trivially_copyable_v<C>> {};
template <class T, class A>
struct transportable_impl<std::vector<T, A>> : element_transportable<T> {};
template <class T, std::size_t N>
struct transportable_impl<std::array<T, N>> : element_transportable<T> {};
template <class T>
struct transportable_impl<std::optional<T>> : element_transportable<T> {};
template <class A, class B>
struct transportable_impl<std::pair<A, B>> : std::bool_constant<element_transportable<A>::value && element_transportable<B>::value> {};
template <class... Ts>
struct transportable_impl<std::tuple<Ts...>> : std::bool_constant<(element_transportable<Ts>::value && ...)> {};
}  // namespace detail

/// A type whose values can be written to and read from a byte stream between processes.
template <class T>
concept transportable = !std::is_reference_v<T> && detail::element_transportable<T>::value;

}  // namespace breakeven
