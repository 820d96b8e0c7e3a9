// breakeven/mpi.hpp - beyond one machine: the MPI session (rank 0 coordinates, the other
// ranks serve) and the cluster executor. Needs an MPI library (CMake: BREAKEVEN_WITH_MPI,
// target breakeven::mpi; Meson: the `mpi` feature). See docs/cluster.md.
#pragma once

#include <breakeven/cluster_policy.hpp>
#include <breakeven/mpi/cluster.hpp>
#include <breakeven/mpi/session.hpp>
