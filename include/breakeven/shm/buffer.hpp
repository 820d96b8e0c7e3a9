// breakeven/shm/buffer.hpp - shared_buffer<T>: an array of T in a pool's shared segment,
// filled and read by the caller directly. Given as the input of a call, its items go to the
// workers without a copy; returned by map(), it holds the workers' outputs as they wrote them.
#pragma once

#include <breakeven/row_view.hpp>
#include <breakeven/shm/arena.hpp>

#include <cstddef>
#include <memory>
#include <span>
#include <utility>

namespace breakeven {

/// An array of `n` values of `T` in a shared segment. Move-only; it keeps the segment
/// mapped while it lives (even past its pool). A new buffer's contents are unspecified:
/// the caller writes them.
template <class T>
class shared_buffer {
  static_assert(shm_value<T>, "breakeven: a shared_buffer holds trivially copyable values that mean the same in "
                              "another process (no pointers, spans or views)");

 public:
  using value_type = T;
  using iterator = T*;
  using const_iterator = const T*;

  shared_buffer() noexcept = default;
  /// A buffer of `n` values in `segment` (throws insufficient_memory when it cannot grow).
  shared_buffer(std::shared_ptr<shm::arena> segment, std::size_t n)
      : arena_(std::move(segment)), block_(arena_->allocate(n * sizeof(T))), n_(n) {}
  shared_buffer(shared_buffer&& o) noexcept
      : arena_(std::move(o.arena_)), block_(std::exchange(o.block_, {})), n_(std::exchange(o.n_, 0)) {}
  shared_buffer& operator=(shared_buffer&& o) noexcept {
    if (this != &o) {
      reset();
      arena_ = std::move(o.arena_);
      block_ = std::exchange(o.block_, {});
      n_ = std::exchange(o.n_, 0);
    }
    return *this;
  }
  shared_buffer(const shared_buffer&) = delete;
  shared_buffer& operator=(const shared_buffer&) = delete;
  ~shared_buffer() { reset(); }

  T* data() noexcept { return arena_ ? reinterpret_cast<T*>(arena_->at(block_.offset)) : nullptr; }
  const T* data() const noexcept { return arena_ ? reinterpret_cast<const T*>(arena_->at(block_.offset)) : nullptr; }
  std::size_t size() const noexcept { return n_; }
  std::size_t size_bytes() const noexcept { return n_ * sizeof(T); }
  bool empty() const noexcept { return n_ == 0; }
  T* begin() noexcept { return data(); }
  T* end() noexcept { return data() + n_; }
  const T* begin() const noexcept { return data(); }
  const T* end() const noexcept { return data() + n_; }
  T& operator[](std::size_t i) noexcept { return data()[i]; }
  const T& operator[](std::size_t i) const noexcept { return data()[i]; }
  std::span<T> span() noexcept { return {data(), n_}; }
  std::span<const T> span() const noexcept { return {data(), n_}; }

  /// The buffer as rows of `cols` values (a matrix stored row after row).
  row_range<T> rows(std::size_t cols) noexcept { return breakeven::rows(span(), cols); }
  row_range<const T> rows(std::size_t cols) const noexcept { return breakeven::rows(span(), cols); }

  /// The segment the buffer lives in (empty for an empty buffer).
  const std::shared_ptr<shm::arena>& segment() const noexcept { return arena_; }

  /// Gives the memory back to the segment now.
  void reset() noexcept {
    if (arena_) arena_->release(block_);
    arena_.reset();
    block_ = {};
    n_ = 0;
  }

 private:
  std::shared_ptr<shm::arena> arena_;
  shm::block block_;
  std::size_t n_ = 0;
};

}  // namespace breakeven
