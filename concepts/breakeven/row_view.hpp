// breakeven/row_view.hpp - items that are rows of a matrix, and which items can live in
// shared memory.
//
// A kernel over an image row, an embedding or a matrix row whose length is known only at
// run time takes a `row_view<const T>` (or `row_view<T>`, to change the row in place): a
// pointer and a length, like std::span. `rows(data, cols)` cuts contiguous memory into such
// rows, as a random-access range. A row view refers to memory, so it never crosses a
// process boundary by value; the shared-memory executor sends its offset and length
// instead, when the row lies in (or is copied into) the shared segment.
#pragma once

#include <breakeven/transport.hpp>

#include <cstddef>
#include <iterator>
#include <span>
#include <type_traits>

namespace breakeven {

/// A row of `T` in memory the caller owns: a pointer and a length (std::span's shape,
/// trivially copyable).
template <class T>
class row_view {
 public:
  using element_type = T;
  using value_type = std::remove_cv_t<T>;
  using iterator = T*;

  constexpr row_view() noexcept = default;
  constexpr row_view(T* data, std::size_t size) noexcept : data_(data), size_(size) {}
  template <std::size_t N>
  constexpr row_view(std::span<T, N> s) noexcept : data_(s.data()), size_(s.size()) {}
  /// A row of `U` is a row of `const U`.
  template <class U>
    requires(!std::is_same_v<U, T> && std::is_convertible_v<U (*)[], T (*)[]>)
  constexpr row_view(row_view<U> o) noexcept : data_(o.data()), size_(o.size()) {}

  constexpr T* data() const noexcept { return data_; }
  constexpr std::size_t size() const noexcept { return size_; }
  constexpr std::size_t size_bytes() const noexcept { return size_ * sizeof(T); }
  constexpr bool empty() const noexcept { return size_ == 0; }
  constexpr T* begin() const noexcept { return data_; }
  constexpr T* end() const noexcept { return data_ + size_; }
  constexpr T& operator[](std::size_t i) const noexcept { return data_[i]; }
  constexpr std::span<T> span() const noexcept { return {data_, size_}; }

 private:
  T* data_ = nullptr;
  std::size_t size_ = 0;
};

/// The rows of a matrix stored row after row: a random-access range of row_view<T>.
template <class T>
class row_range {
 public:
  class iterator {
   public:
    using iterator_concept = std::random_access_iterator_tag;
    using iterator_category = std::input_iterator_tag;  // its reference is a value
    using value_type = row_view<T>;
    using difference_type = std::ptrdiff_t;

    constexpr iterator() noexcept = default;
    constexpr iterator(T* base, std::size_t cols, std::ptrdiff_t i) noexcept : base_(base), cols_(cols), i_(i) {}
    constexpr row_view<T> operator*() const noexcept { return {base_ + static_cast<std::size_t>(i_) * cols_, cols_}; }
    constexpr row_view<T> operator[](difference_type d) const noexcept { return *(*this + d); }
    constexpr iterator& operator++() noexcept { return ++i_, *this; }
    constexpr iterator operator++(int) noexcept { iterator t = *this; ++i_; return t; }
    constexpr iterator& operator--() noexcept { return --i_, *this; }
    constexpr iterator operator--(int) noexcept { iterator t = *this; --i_; return t; }
    constexpr iterator& operator+=(difference_type d) noexcept { return i_ += d, *this; }
    constexpr iterator& operator-=(difference_type d) noexcept { return i_ -= d, *this; }
    friend constexpr iterator operator+(iterator a, difference_type d) noexcept { return a += d; }
    friend constexpr iterator operator+(difference_type d, iterator a) noexcept { return a += d; }
    friend constexpr iterator operator-(iterator a, difference_type d) noexcept { return a -= d; }
    friend constexpr difference_type operator-(const iterator& a, const iterator& b) noexcept { return a.i_ - b.i_; }
    friend constexpr bool operator==(const iterator& a, const iterator& b) noexcept { return a.i_ == b.i_; }
    friend constexpr auto operator<=>(const iterator& a, const iterator& b) noexcept { return a.i_ <=> b.i_; }

   private:
    T* base_ = nullptr;
    std::size_t cols_ = 0;
    std::ptrdiff_t i_ = 0;
  };

  constexpr row_range() noexcept = default;
  constexpr row_range(T* data, std::size_t rows, std::size_t cols) noexcept : data_(data), rows_(rows), cols_(cols) {}
  constexpr iterator begin() const noexcept { return {data_, cols_, 0}; }
  constexpr iterator end() const noexcept { return {data_, cols_, static_cast<std::ptrdiff_t>(rows_)}; }
  constexpr std::size_t size() const noexcept { return rows_; }
  constexpr bool empty() const noexcept { return rows_ == 0; }
  constexpr row_view<T> operator[](std::size_t i) const noexcept { return {data_ + i * cols_, cols_}; }
  /// Elements per row.
  constexpr std::size_t cols() const noexcept { return cols_; }

 private:
  T* data_ = nullptr;
  std::size_t rows_ = 0;
  std::size_t cols_ = 0;
};

/// The rows of `data` taken `cols` elements at a time (a trailing partial row is left out).
template <class T, std::size_t N>
constexpr row_range<T> rows(std::span<T, N> data, std::size_t cols) noexcept {
  return {data.data(), cols == 0 ? 0 : data.size() / cols, cols};
}

namespace detail {
template <class T>
struct transportable_impl<row_view<T>> : std::false_type {};  // it points into this process

template <class T>
inline constexpr bool is_row_view = false;
template <class T>
inline constexpr bool is_row_view<row_view<T>> = true;
}  // namespace detail

/// A value that lives in shared memory as its bytes: trivially copyable and meaningful in
/// another process (no pointers, spans or views).
template <class T>
concept shm_value = std::is_trivially_copyable_v<T> && transportable<T>;

/// An input item the shared-memory executor takes: a shm_value, or a row_view of them.
template <class T>
concept shm_item = shm_value<T> || (detail::is_row_view<std::remove_cv_t<T>> &&
                                    shm_value<typename std::remove_cv_t<T>::value_type>);

}  // namespace breakeven
