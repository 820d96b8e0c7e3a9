// examples/show.hpp - what every example prints: a kernel's plans at a few batch sizes under
// the guide's profile and this build's default, its break-even batch, a timed sequential run
// over generated data, and the same batch through breakeven::map, checked against it.
#pragma once

#include <breakeven/api.hpp>
#include <breakeven/break_even_table.hpp>
#include <breakeven/decide.hpp>
#include <breakeven/plan.hpp>
#include <breakeven/profile.hpp>
#include <breakeven/stats.hpp>

#include <chrono>
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

namespace breakeven::examples {

/// The example's batch size: its first argument, else `fallback`. Exits with a message on a
/// first argument that is not a positive number.
inline std::size_t batch_argument(int argc, char** argv, std::size_t fallback, int index = 1) {
  if (argc <= index) return fallback;
  char* end = nullptr;
  const unsigned long long v = std::strtoull(argv[index], &end, 10);
  if (end == argv[index] || *end != '\0' || v == 0) {
    std::fprintf(stderr, "%s: argument %d must be a positive number, not '%s'\n", argv[0], index, argv[index]);
    std::exit(2);
  }
  return static_cast<std::size_t>(v);
}

/// Prints the break-even batch of `Kernel` under profile `P`.
template <class Kernel, class P>
void print_break_even() {
  constexpr std::size_t n = break_even_v<Kernel, P>;
  if (n == break_even_search_limit)
    std::printf("  break-even under %-12s never (sequential at every batch size)\n", P::value.name);
  else
    std::printf("  break-even under %-12s %zu items (parallel strictly above)\n", P::value.name, n);
}

/// Prints the kernel's traits, its plans for each batch size under the guide's profile and
/// the default one, and its break-even batches.
template <class Kernel>
void show_plans(std::initializer_list<std::size_t> batches) {
  using kt = kernel_traits<Kernel>;
  detail::fixed_string<32> cost;
  cost.append_duration(static_cast<double>(kt::cost_ns));
  std::printf("%.*s: %s per item, %s, variance %s\n", static_cast<int>(kt::name.size()), kt::name.data(),
              std::string(cost.view()).c_str(), kt::thread_safe ? "thread-safe" : "NOT thread-safe",
              kt::variance == variance::low ? "low" : kt::variance == variance::medium ? "medium" : "high");
  for (const std::size_t n : batches) std::printf("  %s\n", std::string(explain(plan_for<Kernel, profiles::python_guide>(n)).view()).c_str());
  for (const std::size_t n : batches) std::printf("  %s\n", std::string(explain(plan_for<Kernel, default_profile>(n)).view()).c_str());
  print_break_even<Kernel, profiles::python_guide>();
  print_break_even<Kernel, default_profile>();
}

/// Runs `kernel` over `batch` in a plain loop and returns the outputs; prints the elapsed
/// time beside the declared cost.
template <class Kernel, class Batch>
auto run_sequential(const Kernel& kernel, const Batch& batch) {
  using clock = std::chrono::steady_clock;
  std::vector<typename kernel_traits<Kernel>::output_type> out;
  out.reserve(batch.size());
  const auto start = clock::now();
  for (const auto& item : batch) out.push_back(kernel(item));
  const double ns = std::chrono::duration<double, std::nano>(clock::now() - start).count();
  detail::fixed_string<64> s;
  s.append_duration(ns);
  (s += ", ").append_duration(batch.empty() ? 0 : ns / static_cast<double>(batch.size())) += " per item";
  std::printf("  sequential run: %zu items in %s\n", batch.size(), std::string(s.view()).c_str());
  return out;
}

/// Runs `kernel` over `batch` with breakeven::map, the executor chosen by cost under the
/// build's default profile; prints which executor ran and how long it took. Returns false,
/// after saying so, when the results differ from `expected` (the plain loop's).
template <class Kernel, class Batch, class Out>
bool run_map(const Kernel& kernel, const Batch& batch, const std::vector<Out>& expected) {
  reset_statistics();
  const auto start = std::chrono::steady_clock::now();
  const auto out = breakeven::map(kernel, batch);
  const double ns = std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - start).count();
  const statistics_snapshot st = statistics();
  std::string ran = "?";
  for (executor_kind k : all_executor_kinds)
    if (st[k].calls != 0) ran = to_string(k);
  detail::fixed_string<32> s;
  s.append_duration(ns);
  std::printf("  breakeven::map: %zu items on %s in %s\n", batch.size(), ran.c_str(), std::string(s.view()).c_str());
  if (out != expected) {
    std::printf("FAILED: breakeven::map's results differ from the plain loop's\n");
    return false;
  }
  return true;
}

}  // namespace breakeven::examples
