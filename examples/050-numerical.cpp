// 050-numerical.cpp - oscillatory integrals by Gauss-Legendre quadrature (the Python multiprocessing guide: "Complex
// numerical, 10-100 ms: always beneficial"). Prints the compile-time choice and the plans,
// then integrates a batch and checks it against the closed form.
//   050-numerical [batch size, default 10] [mean panels per item, default 1000000]
#include "show.hpp"

#include <kernels/data.hpp>
#include <kernels/numerical.hpp>

#include <breakeven/select.hpp>

#include <cmath>
#include <cstdio>
#include <type_traits>

namespace be = breakeven;
namespace ex = breakeven::examples;
using guide = be::profiles::python_guide;

// The guide's example 3: ten 50 ms computations go parallel...
static_assert(std::is_same_v<be::select_t<ex::oscillatory_integral, 10, guide>, be::thread_pool>);
// ...but not "always": by its own 300 ms rule six or fewer stay sequential.
static_assert(be::break_even_v<ex::oscillatory_integral, guide> == 6);
static_assert(std::is_same_v<be::select_t<ex::oscillatory_integral, 6, guide>, be::sequential_executor>);
// Integrals differ ninefold in cost: small chunks, claimed dynamically.
static_assert(be::static_plan_v<ex::oscillatory_integral, 100, guide>.dynamic);

int main(int argc, char** argv) {
  const std::size_t n = ex::batch_argument(argc, argv, 10);
  const auto panels = static_cast<std::uint32_t>(ex::batch_argument(argc, argv, ex::oscillatory_integral::representative_panels, 2));
  ex::show_plans<ex::oscillatory_integral>({4, 10, 100});

  const auto items = ex::make_integrals(n, 5, panels);
  std::printf("\n%zu integrals, %u panels on average\n", n, panels);
  const auto values = ex::run_sequential(ex::oscillatory_integral{}, items);
  if (!ex::run_map(ex::oscillatory_integral{}, items, values)) return 1;
  double sum = 0, worst = 0;
  for (std::size_t i = 0; i < n; ++i) {
    sum += values[i];
    const double exact = ex::exact_oscillatory_integral(items[i]);
    worst = std::max(worst, std::abs(values[i] - exact) / std::max(std::abs(exact), 1e-3));
  }
  std::printf("checksum: sum of integrals %.12f, worst error against the closed form %.2e\n", sum, worst);
  if (!(worst < 1e-9)) {
    std::printf("FAILED: the quadrature is off by %.2e\n", worst);
    return 1;
  }
}
