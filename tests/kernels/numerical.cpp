// Numerical integration against closed forms: damped and undamped oscillations, convergence
// as panels are added, generated items, and parameters refused.
#include <kernels/numerical.hpp>

#include <kernels/data.hpp>

#include <catch2/catch.hpp>

#include <cmath>
#include <limits>
#include <numbers>

namespace ex = breakeven::examples;

TEST_CASE("the closed form itself, at points worked by hand", "[kernels][numerical]") {
  // alpha = 0: the integral of sin(omega x) over [0, U] is (1 - cos(omega U)) / omega.
  CHECK(ex::exact_oscillatory_integral({.alpha = 0, .omega = 1, .upper = std::numbers::pi}) == Approx(2.0));
  CHECK(ex::exact_oscillatory_integral({.alpha = 0, .omega = 2, .upper = std::numbers::pi}) == Approx(0.0).margin(1e-15));
  // omega -> the damped case with U -> infinity gives omega / (alpha^2 + omega^2).
  CHECK(ex::exact_oscillatory_integral({.alpha = 1, .omega = 1, .upper = 100}) == Approx(0.5));
}

TEST_CASE("quadrature agrees with the closed form", "[kernels][numerical]") {
  const ex::integral_params cases[] = {
      {.alpha = 0, .omega = 1, .upper = std::numbers::pi, .panels = 50},
      {.alpha = 0.5, .omega = 10, .upper = 5, .panels = 400},
      {.alpha = 2, .omega = 150, .upper = 20, .panels = 20'000},
      {.alpha = 0, .omega = 200, .upper = 10, .panels = 10'000},
      {.alpha = 3, .omega = 0, .upper = 2, .panels = 10},  // sin(0) = 0: the integral is 0
  };
  for (const auto& p : cases) {
    INFO("alpha " << p.alpha << " omega " << p.omega << " upper " << p.upper << " panels " << p.panels);
    CHECK(ex::oscillatory_integral{}(p) == Approx(ex::exact_oscillatory_integral(p)).epsilon(1e-10).margin(1e-13));
  }
}

TEST_CASE("the error falls as panels are added (order 10 per panel)", "[kernels][numerical]") {
  ex::integral_params p{.alpha = 0.3, .omega = 40, .upper = 10};
  const double exact = ex::exact_oscillatory_integral(p);
  double previous = std::numeric_limits<double>::infinity();
  for (std::uint32_t panels : {25u, 50u, 100u, 200u}) {
    p.panels = panels;
    const double error = std::abs(ex::oscillatory_integral{}(p) - exact);
    CHECK(error < previous / 100);  // doubling panels divides the error by ~2^10
    previous = error;
  }
}

TEST_CASE("generated integrals are accurate across their cost range", "[kernels][numerical][data]") {
  for (const auto& p : ex::make_integrals(6, 2, 2'000)) {
    CHECK(p.panels >= 400);
    CHECK(p.panels <= 3'600);
    CHECK(p.omega * p.upper / p.panels <= 0.25 + 1e-12);
    CHECK(ex::oscillatory_integral{}(p) == Approx(ex::exact_oscillatory_integral(p)).epsilon(1e-9).margin(1e-12));
  }
}

TEST_CASE("parameters the quadrature cannot use are refused", "[kernels][numerical]") {
  const ex::oscillatory_integral f;
  CHECK_THROWS_WITH(f({.alpha = 1, .omega = 1, .upper = 1, .panels = 0}), Catch::Contains("panels"));
  CHECK_THROWS_WITH(f({.alpha = std::numeric_limits<double>::infinity(), .omega = 1, .upper = 1, .panels = 1}),
                    Catch::Contains("finite"));
  CHECK_THROWS_WITH(f({.alpha = 0, .omega = 0, .upper = 1, .panels = 1}), Catch::Contains("both 0"));
}
