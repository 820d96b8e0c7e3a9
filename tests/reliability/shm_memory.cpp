// Memory the segment gave back stays given back: a new or replacement worker maps the
// segment without allocating its free pages, and the statistics say how much of it is
// really allocated.
#include "../shm/kernels.hpp"

#include <breakeven/executor/shared_memory.hpp>

#include <catch2/catch.hpp>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <cstdint>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

namespace be = breakeven;
using namespace std::chrono_literals;

namespace {

constexpr std::size_t mib = std::size_t{1} << 20;

// The bytes the kernel has allocated to this process's shared segment (its memfd's blocks),
// measured apart from the library: the memfd found among this process's descriptors.
std::size_t segment_allocated_bytes() {
  std::size_t total = 0;
  int found = 0;
  if (DIR* d = ::opendir("/proc/self/fd")) {
    while (const dirent* e = ::readdir(d)) {
      if (e->d_name[0] == '.') continue;
      char target[256] = {};
      const std::string link = std::string("/proc/self/fd/") + e->d_name;
      if (::readlink(link.c_str(), target, sizeof target - 1) <= 0) continue;
      if (std::string(target).find("/memfd:breakeven-shm") != 0) continue;
      struct stat st {};
      if (::stat(link.c_str(), &st) == 0) total += static_cast<std::size_t>(st.st_blocks) * 512;
      ++found;
    }
    ::closedir(d);
  }
  REQUIRE(found == 1);
  return total;
}

bool gone(pid_t pid) {
  std::string state;
  FILE* f = std::fopen(("/proc/" + std::to_string(pid) + "/stat").c_str(), "r");
  if (f == nullptr) return true;
  char buf[512] = {};
  const bool read = std::fgets(buf, sizeof buf, f) != nullptr;
  std::fclose(f);
  const char* close = read ? std::strrchr(buf, ')') : nullptr;
  return close == nullptr || close[2] == 'Z' || close[2] == 'X';
}

// The workers that ran items of a small call (items a dead worker held fail; the rest count).
std::set<std::int32_t> worker_pids(be::shared_memory_pool& pool) {
  std::vector<std::int32_t> in(256, 0), out(in.size(), 0);
  const auto r = pool.try_bulk_map(stest::worker_pid{}, in, out.begin(), be::schedule{4, 0, true});
  std::set<std::int32_t> pids;
  for (std::size_t i = 0; i < out.size(); ++i)
    if (!r.failed(i)) pids.insert(out[i]);
  return pids;
}

}  // namespace

TEST_CASE("a replacement worker does not take back the memory trim() gave back", "[reliability][shm][memory]") {
  be::shared_memory_options o;
  o.processes.workers = 2;
  o.processes.pin_workers = false;
  be::shared_memory_pool pool(o);
  // 16 MiB in and 16 MiB out: the segment grows past 32 MiB, and every worker maps it.
  std::vector<stest::vec256> in(16384);
  for (std::size_t i = 0; i < in.size(); ++i) in[i].fill(static_cast<float>(i));
  std::vector<stest::vec256> out(in.size());
  pool.bulk_map(stest::affine_vec{}, in, out.begin(), be::schedule{256, 0, true});
  CHECK(out[16383][255] == 2 * 16383.0f + 1);
  REQUIRE(pool.stats().segment.size_bytes >= 32 * mib);
  REQUIRE(segment_allocated_bytes() >= 32 * mib);
  CHECK(pool.stats().segment.resident_bytes == segment_allocated_bytes());

  pool.segment()->trim();
  const std::size_t trimmed = segment_allocated_bytes();
  CHECK(trimmed < mib);
  CHECK(pool.stats().segment.resident_bytes == trimmed);

  // Both workers run a task that maps the segment, then one is killed from outside.
  std::set<std::int32_t> before;
  for (int i = 0; i < 50 && before.size() < 2; ++i) {
    const auto now = worker_pids(pool);
    before.insert(now.begin(), now.end());
  }
  REQUIRE(before.size() == 2);
  const pid_t victim = *before.begin();
  REQUIRE(::kill(victim, SIGKILL) == 0);
  for (int i = 0; i < 500 && !gone(victim); ++i) std::this_thread::sleep_for(2ms);
  // The replacement runs tasks (and so maps the segment) too.
  bool replaced = false;
  for (int i = 0; i < 100 && !replaced; ++i)
    for (std::int32_t p : worker_pids(pool))
      if (before.count(p) == 0) replaced = true;
  REQUIRE(replaced);
  CHECK(pool.stats().processes.workers_lost >= 1);
  // Only what the small tasks used came back: a few pages, not the 32 MiB trimmed.
  const std::size_t after = segment_allocated_bytes();
  INFO("allocated after trim: " << trimmed << " bytes; after a replacement: " << after << " bytes");
  CHECK(after < 2 * mib);
  // The statistics say so: what the segment holds, measured, whoever touched it.
  const auto seg = pool.stats().segment;
  CHECK(seg.resident_bytes == after);
  CHECK(seg.resident_bytes <= seg.in_use_bytes + seg.retained_bytes + mib);
}
