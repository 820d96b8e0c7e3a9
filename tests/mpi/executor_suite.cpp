// The templated executor suite over the cluster executor: under mpirun the items run on
// the worker ranks; alone, on this process with the local decision.
#include <breakeven/mpi.hpp>

#include <tuple>

#define BREAKEVEN_SUITE_EXECUTORS std::tuple<breakeven::mpi::cluster>
#include "../support/executor_suite.hpp"

static_assert(breakeven::executor<breakeven::mpi::cluster>);
