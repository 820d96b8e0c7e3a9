// bench/diagnose.cpp - figures behind the diagnoses in docs/shared_memory.md and
// docs/benchmarks.md: what a first call or a first touch costs on this machine, and a long
// loop of process round trips to profile (perf record -g, top -H beside it).
//   shm_first_call_ms             a forced shared_memory map over 64 items of 64 KiB, the
//                                 first call of that size in a new pool
//   shm_second_call_ms            the call after it
//   shm_steady_call_ms            the median of the 18 calls after those
//   first_read_16mib_ms           a new process's first read of 16 MiB of a memfd that
//                                 another process allocated and wrote
//   first_read_populated_16mib_ms the same after MADV_POPULATE_READ (not counted)
//   second_read_16mib_ms          the same process reading it again
//   process_rt_loop_us            200,000 submit(...).get() round trips of a 16-byte task on
//                                 a 2-worker pool, per round trip (the median of 5 loops)
#include <breakeven/api.hpp>
#include <breakeven/executor/process_pool.hpp>
#include <breakeven/ipc/runtime.hpp>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <thread>
#include <vector>

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

namespace be = breakeven;
using clock_type = std::chrono::steady_clock;

namespace {

double ms_since(clock_type::time_point t0) {
  return std::chrono::duration<double, std::milli>(clock_type::now() - t0).count();
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

// 20 us of work over a 64 KiB item, not thread-safe: the shared-memory pool's kind of kernel.
struct busy64k {
  using input_type = std::array<char, 65536>;
  using output_type = std::uint64_t;
  static constexpr auto cost = std::chrono::microseconds{20};
  static constexpr bool thread_safe = false;
  std::uint64_t operator()(const input_type& x) const {
    std::uint64_t h = 1469598103934665603ull;
    for (std::size_t i = 0; i < x.size(); i += 64) h = (h ^ static_cast<unsigned char>(x[i])) * 1099511628211ull;
    const auto until = clock_type::now() + cost;
    while (clock_type::now() < until) h = h * 6364136223846793005ull + 1;
    return h;
  }
};

struct echo16 {
  using input_type = std::array<char, 16>;
  using output_type = std::array<char, 16>;
  static constexpr auto cost = std::chrono::nanoseconds{20};
  std::array<char, 16> operator()(const std::array<char, 16>& x) const { return x; }
};

// A child process maps a 16 MiB memfd the parent wrote, optionally populates its page
// tables, and reads it twice; returns {first read, second read} in ms through a pipe.
std::array<double, 2> child_reads(int fd, std::size_t bytes, bool populate) {
  int p[2];
  if (::pipe(p) != 0) return {0, 0};
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::close(p[0]);
    auto* q = static_cast<const char*>(::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0));
    std::array<double, 2> t{0, 0};
    if (q != MAP_FAILED) {
      if (populate) (void)::madvise(const_cast<char*>(q), bytes, 22 /* MADV_POPULATE_READ */);
      volatile unsigned long s = 0;
      for (double& each : t) {
        const auto t0 = clock_type::now();
        for (std::size_t i = 0; i < bytes; i += 64) s = s + static_cast<unsigned char>(q[i]);
        each = ms_since(t0);
      }
    }
    (void)!::write(p[1], t.data(), sizeof t);
    ::_exit(0);
  }
  ::close(p[1]);
  std::array<double, 2> t{0, 0};
  (void)!::read(p[0], t.data(), sizeof t);
  ::close(p[0]);
  ::waitpid(pid, nullptr, 0);
  return t;
}

}  // namespace

int main(int argc, char** argv) {
  be::process_runtime::init(argc, argv);

  // A new size of shared-memory call: its first calls, then its steady ones.
  {
    std::vector<busy64k::input_type> items(64);
    for (std::size_t i = 0; i < items.size(); ++i) items[i].fill(static_cast<char>(i));
    const be::call_options o{.force = true, .forced = be::executor_kind::shared_memory, .learn = false};
    std::vector<double> t;
    volatile std::uint64_t sink = 0;
    for (int r = 0; r < 20; ++r) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
      const auto t0 = clock_type::now();
      sink = sink + be::map(busy64k{}, items, o).back();
      t.push_back(ms_since(t0));
    }
    std::printf("shm_first_call_ms: %.2f ms\n", t[0]);
    std::printf("shm_second_call_ms: %.2f ms\n", t[1]);
    std::printf("shm_steady_call_ms: %.2f ms\n", median(std::vector<double>(t.begin() + 2, t.end())));
  }

  // A new process's first touch of shared pages, with and without their page tables filled.
  {
    constexpr std::size_t bytes = std::size_t{16} << 20;
    const int fd = ::memfd_create("breakeven-diagnose", 0);
    if (fd >= 0 && ::posix_fallocate(fd, 0, static_cast<off_t>(bytes)) == 0) {
      void* p = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd, 0);
      if (p != MAP_FAILED) {
        std::memset(p, 1, bytes);
        const auto plain = child_reads(fd, bytes, false);
        const auto populated = child_reads(fd, bytes, true);
        std::printf("first_read_16mib_ms: %.2f ms\n", plain[0]);
        std::printf("first_read_populated_16mib_ms: %.2f ms\n", populated[0]);
        std::printf("second_read_16mib_ms: %.2f ms\n", plain[1]);
        ::munmap(p, bytes);
      }
    }
    if (fd >= 0) ::close(fd);
  }

  // A long loop of process round trips, to profile.
  {
    be::process_pool pool(2);
    std::array<char, 16> x{};
    std::vector<double> us;
    for (int r = 0; r < 5; ++r) {
      const int n = 200'000;
      const auto t0 = clock_type::now();
      for (int i = 0; i < n; ++i) x = pool.submit(echo16{}, x).get();
      us.push_back(ms_since(t0) * 1e3 / n);
    }
    std::printf("process_rt_loop_us: %.2f us\n", median(us));
  }
  return 0;
}
