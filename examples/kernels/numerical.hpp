// kernels/numerical.hpp - numerical integration (the Python multiprocessing guide's "Complex numerical"): an
// oscillatory integral by composite 5-point Gauss-Legendre quadrature, with a closed form to
// check it against. The item says how many panels to use, so its cost is the item's choice.
#pragma once

#include <breakeven/traits.hpp>

#include <chrono>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>

namespace breakeven::examples {

/// The integral of exp(-alpha x) sin(omega x) over [0, upper] with `panels` panels.
struct integral_params {
  static constexpr bool bitwise_transport = true;  ///< plain numbers: they travel as their bytes
  double alpha = 0;          ///< damping
  double omega = 1;          ///< angular frequency
  double upper = 1;          ///< upper bound (the lower is 0)
  std::uint32_t panels = 1;  ///< quadrature panels: the cost knob, 5 evaluations each
};

/// The integral in closed form: (omega - exp(-alpha U) (alpha sin(omega U) + omega cos(omega U)))
/// / (alpha^2 + omega^2).
inline double exact_oscillatory_integral(const integral_params& p) noexcept {
  const double e = std::exp(-p.alpha * p.upper);
  return (p.omega - e * (p.alpha * std::sin(p.omega * p.upper) + p.omega * std::cos(p.omega * p.upper))) /
         (p.alpha * p.alpha + p.omega * p.omega);
}

/// Integrates exp(-alpha x) sin(omega x) over [0, upper] by composite Gauss-Legendre quadrature
/// of 5 points per panel (exact for polynomials of degree 9 on each panel). Throws
/// std::invalid_argument for no panels, non-finite parameters, or alpha = omega = 0.
struct oscillatory_integral {
  using input_type = integral_params;
  using output_type = double;
  static constexpr std::string_view name = "numerical";
  /// The panel count `cost` was measured at: the mean of data.hpp's batches (200k to 1.8M).
  static constexpr std::uint32_t representative_panels = 1'000'000;
  // Measured on the 2-vCPU development VM, Release build, 1,000,000 panels:
  //   scripts/bench kernels  ->  kernel.numerical: 49609282 ns/item
  static constexpr auto cost = std::chrono::nanoseconds{49'600'000};
  static constexpr breakeven::bound bound = breakeven::bound::cpu;
  // Cost is linear in `panels`, which data.hpp draws across a ninefold range: high.
  static constexpr breakeven::variance variance = breakeven::variance::high;
  static constexpr bool thread_safe = true;

  double operator()(const integral_params& p) const {
    if (p.panels == 0) throw std::invalid_argument("numerical: panels must be at least 1");
    if (!std::isfinite(p.alpha) || !std::isfinite(p.omega) || !std::isfinite(p.upper))
      throw std::invalid_argument("numerical: alpha, omega and upper must be finite");
    if (p.alpha == 0 && p.omega == 0) throw std::invalid_argument("numerical: alpha and omega are both 0");
    // Nodes and weights on [-1, 1]; the symmetric pairs share a weight.
    constexpr double x1 = 0.538469310105683091036, w1 = 0.478628670499366468041;
    constexpr double x2 = 0.906179845938663992798, w2 = 0.236926885056189087514;
    constexpr double w0 = 128.0 / 225.0;
    const double h = p.upper / p.panels;
    const double half = h / 2;
    const auto f = [&p](double x) { return std::exp(-p.alpha * x) * std::sin(p.omega * x); };
    double sum = 0;
    for (std::uint32_t i = 0; i < p.panels; ++i) {
      const double c = (i + 0.5) * h;
      sum += w0 * f(c) + w1 * (f(c - half * x1) + f(c + half * x1)) + w2 * (f(c - half * x2) + f(c + half * x2));
    }
    return sum * half;
  }
};

}  // namespace breakeven::examples
