// breakeven/ipc/codec.hpp - how a transportable value becomes bytes and back.
//
// `transport<T>` is the codec of one type: `static void encode(ipc::writer&, const T&)` and
// `static T decode(ipc::reader&)`. The library provides it for the bitwise transportable
// types (arithmetic, enums, opted-in raw-byte classes: their bytes), std::basic_string, the
// standard containers, std::array, C arrays (as members), std::optional, std::pair,
// std::tuple, std::variant, std::chrono::duration, and aggregates described with Boost.Hana
// (BOOST_HANA_DEFINE_STRUCT, BOOST_HANA_ADAPT_STRUCT: member by member). For any other type,
// specialize `breakeven::transport<T>` and set `breakeven::enable_transport<T> = true`.
//
// Both ends run the same binary on the same machine: integers travel in native byte order.
// Decoding never reads past its input: a short or inconsistent input is a decode_error.
#pragma once

#include <breakeven/ipc/errors.hpp>
#include <breakeven/transport.hpp>

#include <boost/hana/accessors.hpp>
#include <boost/hana/concept/struct.hpp>
#include <boost/hana/for_each.hpp>
#include <boost/hana/second.hpp>

#include <array>
#include <bit>
#include <chrono>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <span>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include <fcntl.h>

namespace breakeven {
namespace ipc {

/// Appends bytes to a buffer; descriptors ride beside it where the channel carries them.
class writer {
 public:
  explicit writer(std::vector<std::byte>& buf, std::vector<int>* fds = nullptr) noexcept
      : buf_(buf), size_(buf.size()), fds_(fds) {}
  writer(const writer&) = delete;
  writer& operator=(const writer&) = delete;
  ~writer() { finish(); }

  void write(const void* p, std::size_t n) {
    if (n == 0) return;
    if (size_ + n > buf_.size()) buf_.resize(std::max(buf_.size() * 2, size_ + n));
    std::memcpy(buf_.data() + size_, p, n);
    size_ += n;
  }
  template <class T>
    requires std::is_trivially_copyable_v<T>
  void put(const T& v) {
    write(&v, sizeof v);
  }
  /// Room for `n` more bytes, so that many small writes do not reallocate.
  void reserve(std::size_t n) {
    if (size_ + n > buf_.size()) buf_.resize(size_ + n);
  }
  /// Bytes written so far (the whole buffer, including what was there before).
  std::size_t size() const noexcept { return size_; }
  /// Overwrites bytes already written at `offset` (length fields patched afterwards).
  void patch(std::size_t offset, const void* p, std::size_t n) { std::memcpy(buf_.data() + offset, p, n); }
  /// Attaches a descriptor; returns its index in the message. Only process start messages
  /// carry descriptors.
  std::uint32_t attach_fd(int fd) {
    if (fds_ == nullptr) throw std::invalid_argument("breakeven: file descriptors can only travel in process start arguments");
    fds_->push_back(fd);
    return static_cast<std::uint32_t>(fds_->size() - 1);
  }
  /// Trims the buffer to what was written; called by the destructor too.
  void finish() { buf_.resize(size_); }

 private:
  std::vector<std::byte>& buf_;
  std::size_t size_;
  std::vector<int>* fds_;
};

/// Reads bytes in order from a span, never past its end.
class reader {
 public:
  explicit reader(std::span<const std::byte> s, std::span<const int> fds = {}) noexcept
      : p_(s.data()), end_(s.data() + s.size()), fds_(fds) {}

  std::size_t remaining() const noexcept { return static_cast<std::size_t>(end_ - p_); }
  void read(void* out, std::size_t n) {
    if (n > remaining()) fail("truncated input", n);
    if (n != 0) std::memcpy(out, p_, n);
    p_ += n;
  }
  /// The next `n` bytes without copying them.
  std::span<const std::byte> take(std::size_t n) {
    if (n > remaining()) fail("truncated input", n);
    std::span<const std::byte> s(p_, n);
    p_ += n;
    return s;
  }
  template <class T>
    requires std::is_trivially_copyable_v<T>
  T get() {
    std::array<std::byte, sizeof(T)> b;
    read(b.data(), sizeof(T));
    return std::bit_cast<T>(b);
  }
  /// A count of elements each at least `min_bytes` long: larger than what is left is an error.
  std::size_t get_count(std::size_t min_bytes) {
    const auto n = get<std::uint64_t>();
    if (min_bytes != 0 && n > remaining() / min_bytes) fail("length prefix larger than the input", static_cast<std::size_t>(n));
    return static_cast<std::size_t>(n);
  }
  /// The descriptor attached at `index` (still owned by the message).
  int fd(std::uint32_t index) const {
    if (index >= fds_.size()) throw decode_error("breakeven: decode error: descriptor index out of range");
    return fds_[index];
  }
  /// Takes ownership of the descriptor at `index`; a second take of one index gets a
  /// duplicate, so that no descriptor ends up with two owners.
  int take_fd(std::uint32_t index) {
    const int fd = this->fd(index);
    if (taken_.size() < fds_.size()) taken_.resize(fds_.size());
    if (!taken_[index]) {
      taken_[index] = true;
      return fd;
    }
    const int d = ::fcntl(fd, F_DUPFD_CLOEXEC, 0);
    if (d < 0) throw std::system_error(errno, std::generic_category(), "breakeven: fcntl(F_DUPFD_CLOEXEC)");
    return d;
  }
  [[noreturn]] void fail(const char* what, std::size_t wanted) const {
    throw decode_error(std::string("breakeven: decode error: ") + what + " (wanted " + std::to_string(wanted) +
                       " bytes, " + std::to_string(remaining()) + " left)");
  }

 private:
  const std::byte* p_;
  const std::byte* end_;
  std::span<const int> fds_;
  std::vector<bool> taken_;
};

}  // namespace ipc

/// The codec of a transportable type. The library specializes it for the bitwise
/// transportable types, the standard containers and Hana structs; users specialize it for
/// their own types. This primary template is never used.
template <class T>
struct transport {
  static_assert(sizeof(T) == 0,
                "breakeven: no codec for this type: describe it with BOOST_HANA_DEFINE_STRUCT, or, if it is raw "
                "bytes, set breakeven::enable_bitwise_transport<T> = true, or specialize breakeven::transport<T> "
                "and set breakeven::enable_transport<T> = true");
  static void encode(ipc::writer& w, const T& v);
  static T decode(ipc::reader& r);
};

namespace ipc {
/// Writes `v` with its codec.
template <class T>
void encode(writer& w, const T& v) {
  transport<std::remove_cvref_t<T>>::encode(w, v);
}
/// Reads a `T` with its codec.
template <class T>
T decode(reader& r) {
  return transport<std::remove_cvref_t<T>>::decode(r);
}

namespace detail {
// True when a value's bytes are its encoding, so arrays of it travel in one copy.
// (A concept, so that void and types without a codec never instantiate transport<T>.)
template <class T>
concept byte_encoded = !std::is_void_v<T> && std::is_trivially_copyable_v<T> &&
                       requires { requires transport<T>::bytes_are_encoding; };
template <class T>
inline constexpr bool bytes_are_encoding = byte_encoded<T>;

// Writes `n` values from a contiguous array: one copy when their bytes are their encoding.
template <class T>
void encode_array(writer& w, const T* p, std::size_t n) {
  if constexpr (bytes_are_encoding<T>) {
    w.write(p, n * sizeof(T));
  } else {
    for (std::size_t i = 0; i < n; ++i) encode(w, p[i]);
  }
}

// Reads `n` values into a contiguous array.
template <class T>
void decode_array(reader& r, T* p, std::size_t n) {
  if constexpr (bytes_are_encoding<T>) {
    r.read(p, n * sizeof(T));
  } else {
    for (std::size_t i = 0; i < n; ++i) p[i] = decode<T>(r);
  }
}

// Standard wrappers are encoded by structure even when trivially copyable: an optional's
// tag is then validated rather than copied.
template <class T>
inline constexpr bool structural = false;
template <class T, std::size_t N>
inline constexpr bool structural<std::array<T, N>> = true;
template <class T>
inline constexpr bool structural<std::optional<T>> = true;
template <class A, class B>
inline constexpr bool structural<std::pair<A, B>> = true;
template <class... Ts>
inline constexpr bool structural<std::tuple<Ts...>> = true;
}  // namespace detail
}  // namespace ipc

namespace ipc::detail {
template <class T>
inline constexpr bool is_duration = false;
template <class R, class P>
inline constexpr bool is_duration<std::chrono::duration<R, P>> = bitwise_transportable<R>;
}  // namespace ipc::detail

// The codec of a bitwise transportable type (and a duration of one) is its bytes.
template <class T>
  requires((bitwise_transportable<T> || ipc::detail::is_duration<T>) && !std::is_same_v<T, bool> &&
           !ipc::detail::structural<T> && !boost::hana::Struct<T>::value)
struct transport<T> {
  static constexpr bool bytes_are_encoding = true;
  static void encode(ipc::writer& w, const T& v) { w.put(v); }
  static T decode(ipc::reader& r) { return r.get<T>(); }
};

// A bool is validated: any byte but 0 or 1 is a decode error, not an invalid bool.
template <>
struct transport<bool> {
  static void encode(ipc::writer& w, const bool& b) { w.put(static_cast<std::uint8_t>(b)); }
  static bool decode(ipc::reader& r) {
    const auto b = r.get<std::uint8_t>();
    if (b > 1) r.fail("bad bool", 1);
    return b != 0;
  }
};

template <class C, class Tr, class A>
struct transport<std::basic_string<C, Tr, A>> {
  static void encode(ipc::writer& w, const std::basic_string<C, Tr, A>& s) {
    w.put(static_cast<std::uint64_t>(s.size()));
    w.write(s.data(), s.size() * sizeof(C));
  }
  static std::basic_string<C, Tr, A> decode(ipc::reader& r) {
    const std::size_t n = r.get_count(sizeof(C));
    std::basic_string<C, Tr, A> s(n, C{});
    r.read(s.data(), n * sizeof(C));
    return s;
  }
};

template <class T, class A>
struct transport<std::vector<T, A>> {
  static void encode(ipc::writer& w, const std::vector<T, A>& v) {
    w.put(static_cast<std::uint64_t>(v.size()));
    if constexpr (std::is_same_v<T, bool>) {
      for (bool b : v) ipc::encode(w, b);
    } else {
      ipc::detail::encode_array(w, v.data(), v.size());
    }
  }
  static std::vector<T, A> decode(ipc::reader& r) {
    std::vector<T, A> v;
    if constexpr (ipc::detail::bytes_are_encoding<T>) {
      const std::size_t n = r.get_count(sizeof(T));
      v.resize(n);
      r.read(v.data(), n * sizeof(T));
    } else {
      // Every encoding is at least one byte long: a count beyond the input is a lie.
      const std::size_t n = r.get_count(1);
      v.reserve(n);
      for (std::size_t i = 0; i < n; ++i) v.push_back(ipc::decode<T>(r));
    }
    return v;
  }
};

namespace ipc::detail {
// The standard containers other than vector: a count, then the elements in order; decoded
// by inserting at the end (a map's elements as pairs of a key and a value).
template <class C>
inline constexpr bool node_container = false;
template <class T, class A>
inline constexpr bool node_container<std::deque<T, A>> = true;
template <class T, class A>
inline constexpr bool node_container<std::list<T, A>> = true;
template <class K, class C, class A>
inline constexpr bool node_container<std::set<K, C, A>> = true;
template <class K, class C, class A>
inline constexpr bool node_container<std::multiset<K, C, A>> = true;
template <class K, class H, class E, class A>
inline constexpr bool node_container<std::unordered_set<K, H, E, A>> = true;
template <class K, class H, class E, class A>
inline constexpr bool node_container<std::unordered_multiset<K, H, E, A>> = true;
template <class K, class V, class C, class A>
inline constexpr bool node_container<std::map<K, V, C, A>> = true;
template <class K, class V, class C, class A>
inline constexpr bool node_container<std::multimap<K, V, C, A>> = true;
template <class K, class V, class H, class E, class A>
inline constexpr bool node_container<std::unordered_map<K, V, H, E, A>> = true;
template <class K, class V, class H, class E, class A>
inline constexpr bool node_container<std::unordered_multimap<K, V, H, E, A>> = true;

// What one element decodes as: a map's pair<const K, V> as pair<K, V>.
template <class T>
struct decoded_element {
  using type = T;
};
template <class K, class V>
struct decoded_element<std::pair<const K, V>> {
  using type = std::pair<K, V>;
};
}  // namespace ipc::detail

template <class C>
  requires ipc::detail::node_container<C>
struct transport<C> {
  using element = typename ipc::detail::decoded_element<typename C::value_type>::type;
  static void encode(ipc::writer& w, const C& c) {
    w.put(static_cast<std::uint64_t>(c.size()));
    for (const auto& x : c) ipc::encode(w, static_cast<const element&>(element(x)));
  }
  static C decode(ipc::reader& r) {
    C c;
    const std::size_t n = r.get_count(1);  // every encoding is at least one byte long
    for (std::size_t i = 0; i < n; ++i) c.insert(c.end(), ipc::decode<element>(r));
    return c;
  }
};

template <class... Ts>
struct transport<std::variant<Ts...>> {
  static void encode(ipc::writer& w, const std::variant<Ts...>& v) {
    if (v.valueless_by_exception()) throw std::invalid_argument("breakeven: a valueless variant cannot be encoded");
    w.put(static_cast<std::uint32_t>(v.index()));
    std::visit([&](const auto& x) { ipc::encode(w, x); }, v);
  }
  static std::variant<Ts...> decode(ipc::reader& r) {
    const auto index = r.get<std::uint32_t>();
    if (index >= sizeof...(Ts)) r.fail("bad variant index", 4);
    using decoder = std::variant<Ts...> (*)(ipc::reader&);
    static constexpr decoder alternatives[] = {[](ipc::reader& in) {
      return std::variant<Ts...>(std::in_place_type<Ts>, ipc::decode<Ts>(in));
    }...};
    return alternatives[index](r);
  }
};

template <class T, std::size_t N>
struct transport<std::array<T, N>> {
  static constexpr bool bytes_are_encoding = ipc::detail::bytes_are_encoding<T>;
  static void encode(ipc::writer& w, const std::array<T, N>& a) { ipc::detail::encode_array(w, a.data(), N); }
  static std::array<T, N> decode(ipc::reader& r) {
    if constexpr (bytes_are_encoding) {
      std::array<std::byte, sizeof(std::array<T, N>)> b;
      r.read(b.data(), b.size());
      return std::bit_cast<std::array<T, N>>(b);
    } else {
      return [&]<std::size_t... I>(std::index_sequence<I...>) {
        return std::array<T, N>{((void)I, ipc::decode<T>(r))...};  // braces: left to right
      }(std::make_index_sequence<N>{});
    }
  }
};

template <class T>
struct transport<std::optional<T>> {
  static void encode(ipc::writer& w, const std::optional<T>& o) {
    w.put(static_cast<std::uint8_t>(o.has_value()));
    if (o) ipc::encode(w, *o);
  }
  static std::optional<T> decode(ipc::reader& r) {
    const auto tag = r.get<std::uint8_t>();
    if (tag > 1) r.fail("bad optional tag", 1);
    if (tag == 0) return std::nullopt;
    return ipc::decode<T>(r);
  }
};

template <class A, class B>
struct transport<std::pair<A, B>> {
  static void encode(ipc::writer& w, const std::pair<A, B>& p) {
    ipc::encode(w, p.first);
    ipc::encode(w, p.second);
  }
  static std::pair<A, B> decode(ipc::reader& r) { return std::pair<A, B>{ipc::decode<A>(r), ipc::decode<B>(r)}; }
};

template <class... Ts>
struct transport<std::tuple<Ts...>> {
  static void encode(ipc::writer& w, const std::tuple<Ts...>& t) {
    std::apply([&](const Ts&... xs) { (ipc::encode(w, xs), ...); }, t);
  }
  static std::tuple<Ts...> decode(ipc::reader& r) { return std::tuple<Ts...>{ipc::decode<Ts>(r)...}; }
};

namespace ipc::detail {
template <class S>
consteval bool hana_members_transportable() {
  bool ok = true;
  boost::hana::for_each(boost::hana::accessors<S>(), [&](auto acc) {
    using M = std::remove_cvref_t<decltype(boost::hana::second(acc)(std::declval<S&>()))>;
    ok = ok && transportable<M>;
  });
  return ok;
}
}  // namespace ipc::detail

/// An aggregate described with Boost.Hana is transportable when all its members are.
template <class S>
  requires(boost::hana::Struct<S>::value)
inline constexpr bool enable_transport<S> = ipc::detail::hana_members_transportable<S>();

/// A Hana struct travels member by member, in declaration order (trivially copyable ones too,
/// so that their padding never crosses the boundary).
template <class S>
  requires(boost::hana::Struct<S>::value)
struct transport<S> {
  static_assert(std::is_default_constructible_v<S>, "breakeven: a Hana struct must be default constructible to be decoded");
  static void encode(ipc::writer& w, const S& s) {
    boost::hana::for_each(boost::hana::accessors<S>(), [&](auto acc) {
      const auto& m = boost::hana::second(acc)(s);
      if constexpr (std::is_array_v<std::remove_cvref_t<decltype(m)>>) encode_c_array(w, m);
      else ipc::encode(w, m);
    });
  }

 private:
  // A C array member (char name[16]): its elements in order.
  template <class T, std::size_t N>
  static void encode_c_array(ipc::writer& w, const T (&a)[N]) {
    for (const T& x : a) encode_member(w, x);
  }
  template <class T>
  static void encode_member(ipc::writer& w, const T& x) {
    if constexpr (std::is_array_v<T>) encode_c_array(w, x);
    else ipc::encode(w, x);
  }
  template <class T, std::size_t N>
  static void decode_c_array(ipc::reader& r, T (&a)[N]) {
    for (T& x : a) {
      if constexpr (std::is_array_v<T>) decode_c_array(r, x);
      else x = ipc::decode<T>(r);
    }
  }

 public:
  static S decode(ipc::reader& r) {
    S s{};
    boost::hana::for_each(boost::hana::accessors<S>(), [&](auto acc) {
      auto& m = boost::hana::second(acc)(s);
      using M = std::remove_cvref_t<decltype(m)>;
      if constexpr (std::is_array_v<M>) decode_c_array(r, m);
      else m = ipc::decode<M>(r);
    });
    return s;
  }
};

}  // namespace breakeven
