// The executor suite (tests/support/executor_suite.hpp) over the shared-memory pool, with
// workers from the fork server and spawned afresh: the same results, order, empty batches,
// exception types and futures as every other executor.
#include <breakeven/executor/shared_memory.hpp>

#include <tuple>

namespace test {

template <breakeven::start_method M>
struct shared_memory_by : breakeven::shared_memory_pool {
  shared_memory_by()
      : breakeven::shared_memory_pool(breakeven::shared_memory_options{.processes = {.workers = 2, .method = M}}) {}
};

using shared_memory_executors = std::tuple<shared_memory_by<breakeven::start_method::fork_server>,
                                           shared_memory_by<breakeven::start_method::spawn>>;

}  // namespace test

#define BREAKEVEN_SUITE_EXECUTORS test::shared_memory_executors
#include "../support/executor_suite.hpp"
