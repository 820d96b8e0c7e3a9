// bench/kernels.cpp - the example kernels' cost per item at their representative sizes, the
// figures their `cost` traits declare (docs/kernels.md). Each kernel runs over a generated
// batch of distinct items (megabytes, not one cache's worth), sequentially, until 0.2 s have
// passed; the median of 5 such runs is printed, with the fastest and slowest. On a shared
// machine, measure when it is otherwise idle: the spread shows when it was not.
#include <kernels/analytics.hpp>
#include <kernels/data.hpp>
#include <kernels/hash.hpp>
#include <kernels/jwt.hpp>
#include <kernels/legacy.hpp>
#include <kernels/numerical.hpp>
#include <kernels/pattern.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string_view>
#include <vector>

namespace ex = breakeven::examples;
using clock_type = std::chrono::steady_clock;

namespace {

template <class T>
void keep(const T& value) {
  asm volatile("" : : "g"(&value) : "memory");  // the result is observed: the call stays
}

template <class Kernel, class Batch>
void measure(std::string_view label, std::string_view size, const Kernel& kernel, const Batch& batch) {
  for (const auto& item : batch) keep(kernel(item));  // warm: caches, a regex table
  std::vector<double> runs;
  for (int run = 0; run < 5; ++run) {
    std::size_t items = 0;
    const auto start = clock_type::now();
    auto now = start;
    do {
      for (const auto& item : batch) keep(kernel(item));
      items += batch.size();
      now = clock_type::now();
    } while (now - start < std::chrono::milliseconds(200));
    runs.push_back(std::chrono::duration<double, std::nano>(now - start).count() / static_cast<double>(items));
  }
  std::sort(runs.begin(), runs.end());
  std::printf("kernel.%.*s: %.0f ns/item (%.*s, spread %.0f..%.0f)\n", static_cast<int>(label.size()), label.data(),
              runs[2], static_cast<int>(size.size()), size.data(), runs.front(), runs.back());
}

}  // namespace

int main() {
  constexpr std::uint64_t seed = 42;
  const auto buffers = ex::make_buffers(4096, seed, ex::sha256_hash::representative_bytes);
  measure("sha256", "1 KiB buffers", ex::sha256_hash{}, buffers);
  measure("blake2b", "1 KiB buffers", ex::blake2b_hash{}, buffers);
  measure("analytics", "sessions of 64..192 records, mean 128", ex::session_analytics{},
          ex::make_sessions(2048, seed, ex::session_analytics::representative_records));
  measure("pattern", "log texts of >= 1 KiB, mean 1.1 KiB", ex::pattern_match{}, ex::make_texts(256, seed, 1024));
  measure("jwt", "HS256 tokens of ~240 bytes, 70% valid", ex::jwt_validate{}, ex::make_tokens(8192, seed).tokens);
  auto integrals = ex::make_integrals(4, seed);
  for (auto& p : integrals) p.panels = ex::oscillatory_integral::representative_panels;
  measure("numerical", "1,000,000 panels", ex::oscillatory_integral{}, integrals);
  measure("legacy", "log lines, mean 117 bytes", ex::legacy_tokenize{}, ex::make_log_lines(16384, seed));
}
