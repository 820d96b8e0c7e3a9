// The cluster tests' own main: the MPI session first (rank 0 runs the test cases, the other
// ranks serve them until it ends the job). Run under `mpirun -np 3`, and alone (one rank:
// everything runs locally).
#define CATCH_CONFIG_RUNNER
#include <breakeven/mpi.hpp>

#include <catch2/catch.hpp>

int main(int argc, char* argv[]) {
  breakeven::mpi::session job(argc, argv);
  if (!job.coordinator()) return job.serve();
  return Catch::Session().run(argc, argv);
}
