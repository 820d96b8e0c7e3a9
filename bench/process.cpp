// bench/process.cpp - the process pool's figures, measured side by side in one run:
//   process_rt_us                  warm round trip of a 16-byte task, submit(...).get()
//   process_apply_rt_us            the same through apply(op, x): waited for in place, no future
//   process_rt_limit_us            the machine's limit: two processes handing a 16-byte
//                                  message through shared memory, both spinning
//   process_rt_vs_limit            process_rt_us / process_rt_limit_us
//   seq_after_process_ratio        a short sequential loop right after a large process-pool
//                                  call / the same loop after 2 ms idle (1: not slowed by
//                                  the workers' after-work spinning)
//   process_rt_parked_us           the same with workers asleep (1 ms apart): the wake-up path
//   process_rt_reactor_us          the same task declared slow (1 ms): the answer comes back
//                                  through the pool's reactor thread, get() sleeps
//   process_rt_python_us           Python's multiprocessing.Pool(2) apply_async().get(), same machine
//   process_rt_vs_python           Python's round trip / ours
//   process_start_ms               create a 2-worker pool and get its first result
//   process_map_tiny_ns_per_item   map over 1,000,000 tiny items, default chunking
//   process_speedup_heavy          heavy kernel on 2 workers vs sequential (median of 3 pairs)
//   process_speedup_threads        the same work on two plain std::threads: the machine's ceiling
//   process_foreign_load           share of the CPUs other processes used during the
//                                  sequential runs: above ~0.1 the speedup is not this pool's
#include <calibrate/calibrate.hpp>
#include <breakeven/executor/process_pool.hpp>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <new>
#include <numeric>
#include <string>
#include <thread>
#include <vector>

#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

namespace be = breakeven;
using clock_type = std::chrono::steady_clock;

namespace {

struct echo16 {
  using input_type = std::array<char, 16>;
  using output_type = std::array<char, 16>;
  static constexpr auto cost = std::chrono::nanoseconds{20};
  std::array<char, 16> operator()(const std::array<char, 16>& x) const { return x; }
};

// The same work as echo16, declared as taking 1 ms: submit does not wait for the answer
// itself, so it travels worker -> reactor thread -> the caller asleep in get().
struct echo16_declared_slow {
  using input_type = std::array<char, 16>;
  using output_type = std::array<char, 16>;
  static constexpr auto cost = std::chrono::milliseconds{1};
  std::array<char, 16> operator()(const std::array<char, 16>& x) const { return x; }
};

struct tiny {
  using input_type = std::uint64_t;
  using output_type = std::uint64_t;
  static constexpr auto cost = std::chrono::nanoseconds{2};
  std::uint64_t operator()(const std::uint64_t& x) const { return x * 2654435761u + 1; }
};

// About 25 ms of floating point work per item on this machine.
struct heavy {
  using input_type = std::uint32_t;
  using output_type = double;
  static constexpr auto cost = std::chrono::milliseconds{25};
  double operator()(const std::uint32_t& seed) const {
    double s = 0;
    for (std::uint32_t i = 1; i < 6'000'000; ++i) s += std::sqrt(static_cast<double>(i ^ seed));
    return s;
  }
};

double seconds_since(clock_type::time_point t0) { return std::chrono::duration<double>(clock_type::now() - t0).count(); }

template <class F>
double median_of(int runs, F&& f) {
  std::vector<double> v;
  for (int i = 0; i < runs; ++i) v.push_back(f());
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

// Python's warm round trip, measured by Python itself; NaN when python3 is missing.
double python_round_trip_us() {
  const char* script =
      "import multiprocessing as mp, time\n"
      "def f(x): return x\n"
      "if __name__ == '__main__':\n"
      "    with mp.get_context('fork').Pool(2) as p:\n"
      "        x = b'0123456789abcdef'\n"
      "        for _ in range(300): p.apply_async(f, (x,)).get()\n"
      "        best = 1e9\n"
      "        for _ in range(3):\n"
      "            n = 1000; t = time.perf_counter()\n"
      "            for _ in range(n): p.apply_async(f, (x,)).get()\n"
      "            best = min(best, (time.perf_counter() - t) / n * 1e6)\n"
      "        print(best)\n";
  const std::string cmd = std::string("python3 -c \"") + script + "\" 2>/dev/null";
  FILE* p = ::popen(cmd.c_str(), "r");
  if (p == nullptr) return NAN;
  double us = NAN;
  if (std::fscanf(p, "%lf", &us) != 1) us = NAN;
  ::pclose(p);
  return us;
}

}  // namespace

// The machine's limit for a process round trip: two processes handing a 16-byte message
// back and forth through one shared cache line, both spinning. What any process pool's
// round trip is measured against (process_rt_vs_limit), so that the figure means the same
// on every host.
double spin_limit_us() {
  struct alignas(64) line {
    std::atomic<std::uint64_t> seq{0};
    std::array<char, 16> message{};
  };
  void* p = ::mmap(nullptr, sizeof(line) * 2, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) return std::nan("");
  auto* ping = new (p) line;
  auto* pong = new (static_cast<char*>(p) + sizeof(line)) line;
  constexpr std::uint64_t stop = ~std::uint64_t{0};
  const pid_t pid = ::fork();
  if (pid == 0) {
    for (std::uint64_t seen = 0;;) {
      std::uint64_t s;
      while ((s = ping->seq.load(std::memory_order_acquire)) == seen) be::detail::cpu_relax();
      if (s == stop) ::_exit(0);
      seen = s;
      pong->message = ping->message;
      pong->seq.store(s, std::memory_order_release);
    }
  }
  std::uint64_t k = 0;
  const auto round_trip = [&] {
    ping->message[0] = static_cast<char>(k);
    ping->seq.store(++k, std::memory_order_release);
    while (pong->seq.load(std::memory_order_acquire) != k) be::detail::cpu_relax();
  };
  for (int i = 0; i < 20'000; ++i) round_trip();
  const double us = median_of(5, [&] {
    const int n = 100'000;
    const auto t0 = clock_type::now();
    for (int i = 0; i < n; ++i) round_trip();
    return seconds_since(t0) / n * 1e6;
  });
  ping->seq.store(stop, std::memory_order_release);
  int st = 0;
  ::waitpid(pid, &st, 0);
  ::munmap(p, sizeof(line) * 2);
  return us;
}

int main(int argc, char** argv) {
  be::process_runtime::init(argc, argv);

  // Start: a 2-worker pool and its first result.
  const double start_ms = median_of(15, [] {
    const auto t0 = clock_type::now();
    be::process_pool pool(2);
    pool.submit(echo16{}, std::array<char, 16>{}).get();
    return seconds_since(t0) * 1e3;
  });

  double rt_us = 0, apply_us = 0, parked_us = 0, reactor_us = 0, tiny_ns = 0, speedup = 0, ceiling = 0, foreign = 0;
  {
    be::process_pool pool(2);
    std::array<char, 16> x{};
    x[0] = 'b';
    for (int i = 0; i < 2000; ++i) pool.submit(echo16{}, x).get();
    rt_us = median_of(5, [&] {
      const int n = 20'000;
      const auto t0 = clock_type::now();
      for (int i = 0; i < n; ++i) x = pool.submit(echo16{}, x).get();
      return seconds_since(t0) / n * 1e6;
    });
    apply_us = median_of(5, [&] {
      const int n = 20'000;
      const auto t0 = clock_type::now();
      for (int i = 0; i < n; ++i) x = pool.apply(echo16{}, x);
      return seconds_since(t0) / n * 1e6;
    });
    reactor_us = median_of(5, [&] {
      const int n = 5'000;
      const auto t0 = clock_type::now();
      for (int i = 0; i < n; ++i) x = pool.submit(echo16_declared_slow{}, x).get();
      return seconds_since(t0) / n * 1e6;
    });
    parked_us = median_of(3, [&] {
      double total = 0;
      const int n = 100;
      for (int i = 0; i < n; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
        const auto t0 = clock_type::now();
        x = pool.submit(echo16{}, x).get();
        total += seconds_since(t0);
      }
      return total / n * 1e6;
    });

    std::vector<std::uint64_t> in(1'000'000);
    std::iota(in.begin(), in.end(), 0);
    std::vector<std::uint64_t> out(in.size());
    tiny_ns = median_of(5, [&] {
      const auto t0 = clock_type::now();
      pool.bulk_map(tiny{}, in, out.data());
      return seconds_since(t0) / static_cast<double>(in.size()) * 1e9;
    });
    for (std::size_t i = 0; i < in.size(); i += 99'991)
      if (out[i] != tiny{}(in[i])) std::fprintf(stderr, "bench_process: wrong map result at %zu\n", i);

    std::vector<std::uint32_t> seeds(8);
    std::iota(seeds.begin(), seeds.end(), 1u);
    std::vector<double> seq(seeds.size()), par(seeds.size());
    std::vector<double> ratios, ceilings, loads;
    for (int round = 0; round < 3; ++round) {
      const be::calibration::load_meter load;
      auto t0 = clock_type::now();
      for (std::size_t i = 0; i < seeds.size(); ++i) seq[i] = heavy{}(seeds[i]);
      const double seq_s = seconds_since(t0);
      loads.push_back(load.foreign_share());
      t0 = clock_type::now();
      pool.bulk_map(heavy{}, seeds, par.data());
      const double par_s = seconds_since(t0);
      if (seq != par) std::fprintf(stderr, "bench_process: heavy results differ\n");
      ratios.push_back(seq_s / par_s);
      // The same eight items split over two threads of this process, no pool at all.
      t0 = clock_type::now();
      std::thread other([&] {
        for (std::size_t i = 0; i < seeds.size(); i += 2) par[i] = heavy{}(seeds[i]);
      });
      for (std::size_t i = 1; i < seeds.size(); i += 2) par[i] = heavy{}(seeds[i]);
      other.join();
      ceilings.push_back(seq_s / seconds_since(t0));
    }
    std::sort(ratios.begin(), ratios.end());
    std::sort(ceilings.begin(), ceilings.end());
    std::sort(loads.begin(), loads.end());
    speedup = ratios[1];
    ceiling = ceilings[1];
    foreign = loads[1];
  }

  const double limit_us = spin_limit_us();
  // A short sequential loop right after a large process-pool call (its workers spinning
  // out their budget), against the same loop after 2 ms idle: 1.0 when the spinning
  // workers leave the caller its core.
  double after_ratio = 0;
  {
    be::process_pool pool;  // one worker per hardware thread: as many spinners as cores
    std::vector<std::uint64_t> in(200'000), out(in.size());
    std::iota(in.begin(), in.end(), 0);
    const auto loop16 = [] {
      const auto t0 = clock_type::now();
      volatile std::uint64_t x = 0;
      for (int i = 0; i < 4000; ++i) x = x + tiny{}(static_cast<std::uint64_t>(i));
      return seconds_since(t0);
    };
    std::vector<double> after, idle;
    for (int r = 0; r < 41; ++r) {
      pool.bulk_map(tiny{}, in, out.data());
      after.push_back(loop16());
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
      idle.push_back(loop16());
    }
    std::sort(after.begin(), after.end());
    std::sort(idle.begin(), idle.end());
    after_ratio = after[after.size() / 2] / idle[idle.size() / 2];
  }
  const double py_us = python_round_trip_us();
  std::printf("process_rt_us: %.2f us\n", rt_us);
  std::printf("process_apply_rt_us: %.2f us\n", apply_us);
  std::printf("process_rt_limit_us: %.2f us\n", limit_us);
  std::printf("process_rt_vs_limit: %.1f ratio\n", rt_us / limit_us);
  std::printf("seq_after_process_ratio: %.2f ratio\n", after_ratio);
  std::printf("process_rt_parked_us: %.1f us\n", parked_us);
  std::printf("process_rt_reactor_us: %.1f us\n", reactor_us);
  std::printf("process_rt_python_us: %.1f us\n", py_us);
  std::printf("process_rt_vs_python: %.1f ratio\n", py_us / rt_us);
  std::printf("process_start_ms: %.2f ms\n", start_ms);
  std::printf("process_map_tiny_ns_per_item: %.2f ns\n", tiny_ns);
  std::printf("process_speedup_heavy: %.2f ratio\n", speedup);
  std::printf("process_speedup_threads: %.2f ratio\n", ceiling);
  std::printf("process_foreign_load: %.2f share\n", foreign);
  return 0;
}
