// breakeven/executor.hpp - the one Executor concept every back end models: sequential,
// thread pool, process pool, shared-memory process pool (and later a cluster).
#pragma once

#include <breakeven/operation.hpp>

#include <array>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <future>
#include <span>
#include <string_view>

namespace breakeven {

/// The executors the decision chooses between.
enum class executor_kind : std::uint8_t { sequential, thread_pool, process_pool, shared_memory };

/// Number of executor kinds.
inline constexpr std::size_t executor_kind_count = 4;

/// Every executor kind, in the order ties are broken (cheapest machinery first).
inline constexpr std::array<executor_kind, executor_kind_count> all_executor_kinds{
    executor_kind::sequential, executor_kind::thread_pool, executor_kind::process_pool,
    executor_kind::shared_memory};

/// The kind's name as used in logs, plans and the BREAKEVEN_FORCE variable.
constexpr std::string_view to_string(executor_kind k) noexcept {
  switch (k) {
    case executor_kind::sequential: return "sequential";
    case executor_kind::thread_pool: return "thread_pool";
    case executor_kind::process_pool: return "process_pool";
    case executor_kind::shared_memory: return "shared_memory";
  }
  return "?";
}

/// How a bulk call is cut into tasks: items per task, workers to use, static or dynamic claiming.
struct schedule {
  std::size_t chunk = 0;  ///< items per task; 0 lets the executor choose
  unsigned workers = 0;   ///< workers to use; 0 means all the executor has
  bool dynamic = false;   ///< claim chunks one at a time (high variance) instead of a static split
};

namespace detail {
struct archetype_item {
  static constexpr bool bitwise_transport = true;
  int value;
};
struct archetype_kernel {
  using input_type = archetype_item;
  using output_type = archetype_item;
  static constexpr auto cost = std::chrono::nanoseconds{1};
  archetype_item operator()(const archetype_item& x) const { return x; }
};
}  // namespace detail

/// An executor: a kind, a concurrency, bulk mapping of a contiguous batch into an output
/// iterator by a schedule, and single-item submission returning a std::future. Which
/// kernels it accepts is its static `admits<Op>`.
template <class E>
concept executor =
    requires(const E& ce) {
      { E::kind } -> std::convertible_to<executor_kind>;
      { ce.concurrency() } -> std::convertible_to<unsigned>;
      { E::template admits<detail::archetype_kernel> } -> std::convertible_to<bool>;
    } &&
    requires(E& e, const detail::archetype_kernel& op, std::span<const detail::archetype_item> in,
             detail::archetype_item* out, const schedule& s) {
      e.bulk_map(op, in, out, s);
      { e.submit(op, detail::archetype_item{}) } -> std::same_as<std::future<detail::archetype_item>>;
    };

/// True when executor type `E` can run kernel `Op` (thread safety, transport, isolation).
template <class E, class Op>
inline constexpr bool admits_v = E::template admits<std::remove_cvref_t<Op>>;

}  // namespace breakeven
