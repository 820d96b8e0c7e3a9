// breakeven/fwd.hpp - the executor types by kind, declared so that selection can name a
// type without including (or paying for) its machinery.
#pragma once

#include <breakeven/executor.hpp>

namespace breakeven {

class sequential_executor;
class thread_pool;
class process_pool;
class shared_memory_pool;

/// The executor type of each kind.
template <executor_kind K>
struct executor_type;
template <>
struct executor_type<executor_kind::sequential> {
  using type = sequential_executor;
};
template <>
struct executor_type<executor_kind::thread_pool> {
  using type = thread_pool;
};
template <>
struct executor_type<executor_kind::process_pool> {
  using type = process_pool;
};
template <>
struct executor_type<executor_kind::shared_memory> {
  using type = shared_memory_pool;
};

/// The executor type of kind `K`.
template <executor_kind K>
using executor_type_t = typename executor_type<K>::type;

}  // namespace breakeven
