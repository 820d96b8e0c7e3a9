// A rank that dies ends the job (Open MPI 4.1 has no fault-tolerant MPI): before it ends, the
// coordinator prints which tasks were in flight on which rank. Run under mpirun -np 3; the
// test expects a failed job and that report on stderr.
#include <breakeven/mpi.hpp>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <thread>
#include <vector>

namespace {
/// Kills its own process (the rank: it does not require isolation) on item 5; others sleep.
struct kills_rank {
  using input_type = int;
  using output_type = int;
  static constexpr auto cost = std::chrono::milliseconds{50};
  static constexpr auto variance = breakeven::variance::high;
  int operator()(const int& x) const {
    if (x == 5) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      std::raise(SIGKILL);
    }
    std::this_thread::sleep_for(std::chrono::seconds(2));
    return x;
  }
};
}  // namespace

int main(int argc, char** argv) {
  breakeven::mpi::session job(argc, argv);
  if (!job.coordinator()) return job.serve();
  breakeven::mpi::cluster ex(job);
  std::vector<int> in{1, 2, 3, 4, 5, 6, 7, 8};
  (void)ex.map(kills_rank{}, in, 1);
  std::printf("unexpected: the job went on\n");
  return 0;
}
