// breakeven/shm/entry.hpp - what crosses the process boundary for a shared-memory task, and
// the worker side that runs it in place.
//
// A task is a process pool task frame (docs/process_pool.md) whose kernel is the entry
// `shm::kernel_entry<Op>`, registered by name like any kernel. Its payload holds no items,
// only where they are:
//
//   kernel object (when it travels), u32 item count, u32 segment descriptor index,
//   u64 segment bytes, u64 progress offset, u64 output offset (no_output: discard),
//   inputs: values: u64 offset | rows: per item u64 offset, u64 element count
//
// The worker maps the segment (once; again only when it has grown), reads each input where
// it lies, constructs each output where it belongs, and counts its progress in two words
// of the segment (items finished, items failed), so that a worker that dies mid-task still
// tells which items were done. An item that throws fails alone: the worker goes on with the
// next one, and the result frame lists the failures:
//
//   u32 item count, u32 failures, per failure: u32 item index, exception record
#pragma once

#include <breakeven/detail/decl.hpp>
#include <breakeven/ipc/codec.hpp>
#include <breakeven/ipc/entry.hpp>
#include <breakeven/ipc/exceptions.hpp>
#include <breakeven/ipc/registry.hpp>
#include <breakeven/ipc/worker.hpp>
#include <breakeven/operation.hpp>
#include <breakeven/row_view.hpp>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <new>
#include <span>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include <sys/mman.h>
#include <sys/stat.h>

namespace breakeven::shm {

/// The output offset of a task whose outputs are discarded.
inline constexpr std::uint64_t no_output = ~std::uint64_t{0};

/// Where a task's items are in the segment.
struct task_place {
  std::uint32_t fd_index = 0;       ///< which of the worker's descriptors is the segment
  std::uint64_t segment_bytes = 0;  ///< the segment's size when the task was sent
  std::uint64_t progress = 0;       ///< offset of two u32 words: items finished, items failed
  std::uint64_t out = no_output;    ///< offset of the first output
  std::uint64_t in = 0;             ///< offset of the first input (value items)
};

/// The words a worker counts a task's progress in.
struct progress_words {
  std::uint32_t finished = 0;
  std::uint32_t failed = 0;
};

namespace detail {

template <class T>
struct item_traits {
  static constexpr bool rows = false;
  using element = T;
};
template <class T>
struct item_traits<row_view<T>> {
  static constexpr bool rows = true;
  using element = T;
};

// The worker's mapping of its pool's segment, by descriptor index.
struct worker_mapping {
  std::byte* base = nullptr;
  std::size_t size = 0;
};

BREAKEVEN_DECL worker_mapping& worker_map(std::uint32_t index);

// In a worker: the segment mapped with at least `bytes`.
BREAKEVEN_DECL std::byte* map_segment(std::uint32_t index, std::uint64_t bytes);

// The item at `offset` of `count` objects of T lies inside a segment of `bytes` and is aligned.
template <class T>
void check_span(ipc::reader& in, std::uint64_t offset, std::uint64_t count, std::uint64_t bytes) {
  std::uint64_t len = 0;
  if (__builtin_mul_overflow(count, sizeof(T), &len) || offset > bytes || len > bytes - offset ||
      offset % alignof(T) != 0)
    in.fail("a shared-memory task names memory outside its segment", static_cast<std::size_t>(len));
}

}  // namespace detail

/// Writes the payload of a task of `n` items of `op` (after the entry's hash and address).
template <class Op>
void encode_task(ipc::writer& w, const Op& op, std::uint32_t n, const task_place& at,
                 std::span<const std::pair<std::uint64_t, std::uint64_t>> rows = {}) {
  if constexpr (ipc::kernel_object_travels<Op>) ipc::encode(w, op);
  w.put(n);
  w.put(at.fd_index);
  w.put(at.segment_bytes);
  w.put(at.progress);
  w.put(at.out);
  if constexpr (detail::item_traits<input_t<Op>>::rows) {
    for (const auto& [off, count] : rows) {
      w.put(off);
      w.put(count);
    }
  } else {
    w.put(at.in);
  }
}

/// The worker side of kernel `Op` over shared memory.
template <class Op>
struct kernel_entry {
  using in_t = input_t<Op>;
  using out_t = output_t<Op>;
  using items = detail::item_traits<in_t>;

  static void run(ipc::reader& in, ipc::writer& out, std::uint32_t& item) {
    const Op op = ipc::kernel_entry<Op>::read_kernel(in);
    const auto n = in.get<std::uint32_t>();
    task_place at;
    at.fd_index = in.get<std::uint32_t>();
    at.segment_bytes = in.get<std::uint64_t>();
    at.progress = in.get<std::uint64_t>();
    at.out = in.get<std::uint64_t>();
    const std::uint64_t bytes = at.segment_bytes;
    detail::check_span<progress_words>(in, at.progress, 1, bytes);
    const bool keep = !std::is_void_v<out_t> && at.out != no_output;
    if constexpr (!std::is_void_v<out_t>)
      if (keep) detail::check_span<out_t>(in, at.out, n, bytes);
    std::vector<std::pair<std::uint64_t, std::uint64_t>> rows;
    if constexpr (items::rows) {
      rows.resize(n);
      for (auto& [off, count] : rows) {
        off = in.get<std::uint64_t>();
        count = in.get<std::uint64_t>();
        detail::check_span<typename items::element>(in, off, count, bytes);
      }
    } else {
      at.in = in.get<std::uint64_t>();
      detail::check_span<in_t>(in, at.in, n, bytes);
    }
    if (in.remaining() != 0) in.fail("trailing bytes after a shared-memory task", 0);

    std::byte* base = detail::map_segment(at.fd_index, bytes);
    auto& words = *reinterpret_cast<progress_words*>(base + at.progress);
    std::atomic_ref<std::uint32_t> finished(words.finished), failed(words.failed);
    std::vector<std::pair<std::uint32_t, ipc::error_record>> failures;
    for (item = 0; item < n; ++item) {
      try {
        run_one(op, base, at, rows, item, keep);
      } catch (...) {
        failures.emplace_back(item, ipc::capture_current_exception());
        failed.store(static_cast<std::uint32_t>(failures.size()), std::memory_order_relaxed);
      }
      finished.store(item + 1, std::memory_order_release);
    }
    out.put(n);
    out.put(static_cast<std::uint32_t>(failures.size()));
    for (const auto& [index, record] : failures) {
      out.put(index);
      ipc::encode(out, record);
    }
  }

  static inline const ipc::registration reg{ipc::type_name_of<kernel_entry<Op>>(), &run};

 private:
  static void run_one(const Op& op, std::byte* base, const task_place& at,
                      const std::vector<std::pair<std::uint64_t, std::uint64_t>>& rows, std::uint32_t i, bool keep) {
    if constexpr (items::rows) {
      using E = typename items::element;
      const in_t x(reinterpret_cast<E*>(base + rows[i].first), static_cast<std::size_t>(rows[i].second));
      apply(op, x, base, at, i, keep);
    } else {
      apply(op, reinterpret_cast<const in_t*>(base + at.in)[i], base, at, i, keep);
    }
  }
  static void apply(const Op& op, const in_t& x, std::byte* base, const task_place& at, std::uint32_t i, bool keep) {
    if constexpr (std::is_void_v<out_t>) {
      (void)base, (void)at, (void)i, (void)keep;
      std::invoke(op, x);
    } else if (keep) {
      ::new (static_cast<void*>(reinterpret_cast<out_t*>(base + at.out) + i)) out_t(std::invoke(op, x));
    } else {
      (void)std::invoke(op, x);
    }
  }
};

}  // namespace breakeven::shm

#if !defined(BREAKEVEN_SEPARATE_COMPILATION)
#include <breakeven/shm/impl/entry.ipp>
#endif
