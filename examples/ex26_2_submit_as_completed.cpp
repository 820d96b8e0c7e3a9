// Example 26.2 of lecture 26 (multiprocessing, part 2), in C++: submit to a process pool, take results in
// completion order, and catch the exception of the one invalid input where it surfaces.
#include <breakeven/executor/process_pool.hpp>

#include <cmath>
#include <cstdio>
#include <future>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

// A kernel: one workload size in, (size, hash-like total) out. Like the lecture's function
// it validates its input and throws for a negative size, in the worker process.
struct compute_hash {
  using input_type = int;
  using output_type = std::pair<int, long long>;
  static constexpr auto cost = std::chrono::milliseconds{1};
  static constexpr auto variance = breakeven::variance::high;

  std::pair<int, long long> operator()(const int& range_size) const {
    if (range_size < 0) throw std::invalid_argument("Invalid range: " + std::to_string(range_size));
    long long total = 0;
    for (int i = 0; i < range_size; ++i)  // deterministic hash-like value
      total += static_cast<long long>(std::sqrt(static_cast<double>(i)) * 1000) % 9973;
    return {range_size, total};
  }
};

int main(int argc, char** argv) {
  breakeven::process_runtime::init(argc, argv);  // first thing: starts the fork server
  const std::vector<int> workloads{50000, 80000, 30000, -1, 60000, 40000, 90000, 20000};

  int success_count = 0;
  int error_count = 0;
  {
    breakeven::process_pool executor(4);
    std::vector<std::future<std::pair<int, long long>>> futures;
    for (int size : workloads) futures.push_back(executor.submit(compute_hash{}, size));

    for (std::size_t i : executor.as_completed(futures)) {  // fastest first
      const int range_size = workloads[i];
      try {
        const auto result = futures[i].get();
        std::printf("Range %d: hash=%lld\n", range_size, result.second);
        ++success_count;
      } catch (const std::invalid_argument& e) {  // raised in the worker, re-raised here
        std::printf("Error for range %d: %s\n", range_size, e.what());
        ++error_count;
      }
    }
  }  // the pool closes and its workers exit here
  std::printf("Done: %d succeeded, %d failed\n", success_count, error_count);
  return error_count == 1 && success_count == 7 ? 0 : 1;
}
