// Calibration stability: breakeven-calibrate's measurement run twice in a row. Prints
// calibrate_max_spread (the largest relative difference between the two runs' medians over
// every measured profile term, |a - b| / min(a, b)), each term's difference, and
// calibrate_seconds (the longer of the two runs).
#include <breakeven/calibrate.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>

int main() {
  namespace cal = breakeven::calibration;
  const cal::result a = cal::calibrate();
  const cal::result b = cal::calibrate();
  double worst = 0;
  for (const auto& ta : a.terms) {
    if (ta.key.empty() || ta.key == "cores") continue;  // figures shown only; a count, not a measurement
    const cal::term* tb = b.find(ta.key);
    if (tb == nullptr) continue;
    const double lo = std::min(ta.stats.median, tb->stats.median);
    const double d = lo > 0 ? std::fabs(ta.stats.median - tb->stats.median) / lo : 0;
    worst = std::max(worst, d);
    std::printf("calibrate_spread_%s: %.1f %%\n", ta.key.c_str(), 100 * d);
  }
  std::printf("calibrate_max_spread: %.1f %%\n", 100 * worst);
  std::printf("calibrate_seconds: %.1f s\n", std::max(a.seconds, b.seconds));
  std::printf("calibrate_foreign_load: %.0f %%\n", 100 * std::max(a.foreign_load, b.foreign_load));
}
