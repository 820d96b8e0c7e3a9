// The crossover profiler as a figure: this machine calibrated, then a sweep of 7 task
// durations x 3 batch sizes timed sequentially and on every executor. Prints
// crossover_agreement (the share of points where the plan's executor is the measured
// fastest or within 10% of it) and each batch size's measured and planned crossover.
// The table goes to stderr.
#include "../tools/crossover/crossover.hpp"

#include <cmath>
#include <cstdio>
#include <utility>

int main(int argc, char** argv) {
  breakeven::process_runtime::init(argc, argv);  // the fork server, before any thread exists
  namespace xo = breakeven::crossover;
  // A calibration during which other processes used more than 10% of the CPUs is taken
  // again (up to 3 in all); the least disturbed one is the profile.
  auto calibration = breakeven::calibration::calibrate();
  for (int i = 1; i < 3 && calibration.foreign_load > 0.1; ++i) {
    auto again = breakeven::calibration::calibrate();
    if (again.foreign_load < calibration.foreign_load) calibration = std::move(again);
  }
  const breakeven::calibration::load_meter load;
  const auto points = xo::sweep(calibration.profile);
  std::fputs(xo::table(points, calibration.profile).c_str(), stderr);
  std::printf("crossover_agreement: %.0f %%\n", 100 * xo::agreement(points));
  std::printf("crossover_points: %zu points\n", points.size());
  for (std::size_t b : {8, 64, 512}) {
    const double m = xo::measured_crossover_ns(points, b), p = xo::planned_crossover_ns(calibration.profile, b);
    std::printf("crossover_measured_batch_%zu: %.1f us\n", b, std::isnan(m) ? -1.0 : m / 1e3);
    std::printf("crossover_planned_batch_%zu: %.1f us\n", b, std::isnan(p) ? -1.0 : p / 1e3);
  }
  std::printf("crossover_calibration_foreign_load: %.0f %%\n", 100 * calibration.foreign_load);
  std::printf("crossover_sweep_foreign_load: %.0f %%\n", 100 * load.foreign_share());
}
