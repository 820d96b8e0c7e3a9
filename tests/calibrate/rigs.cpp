// The measurement rigs and a short calibration: every term measured and plausible, and
// nothing left behind (no child processes, file descriptors or shared-memory segments).
#include <calibrate/calibrate.hpp>
#include <breakeven/profile_io.hpp>

#include <catch2/catch.hpp>

#include <atomic>
#include <cerrno>
#include <cmath>
#include <dirent.h>
#include <string>
#include <sys/wait.h>
#include <vector>

namespace cal = breakeven::calibration;

namespace {

std::size_t count_entries(const char* dir, const std::string& prefix = "") {
  std::size_t n = 0;
  if (DIR* d = ::opendir(dir)) {
    while (const dirent* e = ::readdir(d))
      if (std::string(e->d_name).rfind(prefix, 0) == 0 && e->d_name[0] != '.') ++n;
    ::closedir(d);
  }
  return n;
}

bool has_unreaped_children() {
  errno = 0;
  return !(::waitpid(-1, nullptr, WNOHANG) < 0 && errno == ECHILD);
}

}  // namespace

TEST_CASE("thread rig: every worker runs each call's task once, spinning or parked", "[calibrate][rigs]") {
  for (auto mode : {cal::thread_rig::idle::park, cal::thread_rig::idle::spin}) {
    cal::thread_rig rig(2, mode);
    std::vector<std::atomic<int>> runs(3);
    auto task = [&](unsigned i) { runs[i].fetch_add(1); };
    for (int call = 0; call < 50; ++call) rig.run_all(task);
    CHECK(runs[0] == 50);
    CHECK(runs[1] == 50);
    CHECK(runs[2] == 0);
    rig.run_all_and_self(task);  // the caller takes index 0, the workers 1 and 2
    CHECK(runs[0] == 51);
    CHECK(runs[1] == 51);
    CHECK(runs[2] == 1);
  }
}

TEST_CASE("process rig: echoes and streams, then reaps its workers", "[calibrate][rigs]") {
  const std::size_t fds = count_entries("/proc/self/fd");
  {
    cal::process_rig rig(2);
    for (int i = 0; i < 20; ++i) rig.echo(static_cast<unsigned>(i % 2));
    rig.echo_all();
    std::vector<char> bytes(std::size_t{1} << 20, 'z');
    rig.sink(1, bytes.data(), bytes.size());
    cal::process_rig spinning(1, cal::process_rig::idle::spin);
    spinning.echo(0);
    spinning.sink(0, bytes.data(), bytes.size());
  }
  CHECK_FALSE(has_unreaped_children());
  CHECK(count_entries("/proc/self/fd") == fds);
}

TEST_CASE("samples taken in a child come back in order; a failing child is an error", "[calibrate][rigs]") {
  const std::size_t fds = count_entries("/proc/self/fd");
  double next = 0;
  const auto samples = cal::detail::samples_in_child(5, [&] { return next += 1.5; });
  CHECK(samples == std::vector<double>{1.5, 3.0, 4.5, 6.0, 7.5});
  CHECK(next == 0);  // the child counted, not this process
  CHECK_THROWS_WITH(cal::detail::samples_in_child(3, []() -> double { throw std::runtime_error("probe"); }),
                    Catch::Contains("0 of 3 samples"));
  CHECK_FALSE(has_unreaped_children());
  CHECK(count_entries("/proc/self/fd") == fds);
}

TEST_CASE("a short calibration measures every term and leaves nothing behind", "[calibrate][rigs]") {
  const std::size_t fds = count_entries("/proc/self/fd");
  const std::size_t segments = count_entries("/dev/shm", "breakeven-calibrate-");
  cal::options opt;
  opt.time_scale = 0.02;
  opt.slice_attempts = 1;    // a loaded CI machine would retake every slice
  opt.max_foreign_load = 1;  // ... and keep the conservative value of every term
  opt.max_retakes = 0;
  opt.deadline_s = 5;
  unsigned rounds_seen = 0;
  std::vector<std::string> first_round;
  opt.progress = [&](std::string_view what, unsigned k, unsigned n) {
    CHECK(k >= rounds_seen);  // each slice names its term and round
    CHECK(k <= rounds_seen + 1);
    CHECK(n == cal::calibration_rounds);
    if (k == 1) first_round.emplace_back(what);
    rounds_seen = k;
  };
  const cal::result r = cal::calibrate(opt);
  CHECK(rounds_seen == r.rounds);
  CHECK(first_round.size() == r.terms.size() - 1);  // every term but the count of cores
  for (const auto& t : r.terms) CHECK(t.retakes == 0);  // no retakes were allowed
  CHECK(r.rounds >= 2);

  const auto& p = r.profile;
  CHECK(p.cores >= 1);
  CHECK(p.overhead_factor == 2);
  CHECK(p.min_speedup == 1.2);
  // Orders of magnitude any Linux machine lands in: a spinning handoff is faster than a
  // process start; memcpy moves more than 100 MB/s; a page exists.
  CHECK(p.thread_dispatch_ns > 0);
  CHECK(p.thread_dispatch_ns < p.process_start_ns);
  CHECK(p.thread_start_ns > 0);
  CHECK(p.wake_ns > 0);
  CHECK(p.process_dispatch_ns > 0);
  CHECK(p.pipe_ns_per_byte > 0);
  CHECK(p.shm_setup_ns > 0);
  CHECK(p.shm_page_ns > 0);
  CHECK(p.memcpy_ns_per_byte > 0);
  CHECK(p.memcpy_ns_per_byte < 10);
  CHECK(p.memory_bound_scaling >= 1);
  CHECK(p.memory_bound_scaling <= p.cores);
  CHECK(p.page_bytes >= 4096);
  for (const auto& t : r.terms) {
    INFO(t.title);
    CHECK(std::isfinite(t.stats.median));
    CHECK(t.stats.samples >= 1);
    CHECK(t.stats.p10 <= t.stats.median);
    CHECK(t.stats.median <= t.stats.p90);
  }
  // The profile is one files can hold, and the table names every term.
  CHECK_NOTHROW(breakeven::validate_profile(p));
  const auto doc = breakeven::parse_profile(breakeven::profile_json(p, {}, cal::figures_json(r)));  // as the tool writes it
  CHECK(doc.profile.wake_ns == p.wake_ns);
  const std::string text = cal::table(r);
  for (const auto& t : r.terms) CHECK_THAT(text, Catch::Contains(t.title));

  CHECK_FALSE(has_unreaped_children());
  CHECK(count_entries("/proc/self/fd") == fds);
  CHECK(count_entries("/dev/shm", "breakeven-calibrate-") == segments);
}

TEST_CASE("past its deadline a calibration stops after two rounds", "[calibrate][rigs]") {
  cal::options opt;
  opt.time_scale = 0.01;
  opt.deadline_s = 0;
  const cal::result r = cal::calibrate(opt);
  CHECK(r.rounds == 2);
  for (const auto& t : r.terms) CHECK(t.stats.samples >= 1);
}

TEST_CASE("a quick calibration past its deadline stops after one round", "[calibrate][rigs]") {
  cal::options opt;
  opt.time_scale = 0.01;
  opt.rounds = 3;
  opt.min_rounds = 1;  // what --quick asks
  opt.deadline_s = 0;
  const cal::result r = cal::calibrate(opt);
  CHECK(r.rounds == 1);
  for (const auto& t : r.terms) CHECK(t.stats.samples >= 1);
}

TEST_CASE("a probe given in the options replaces the built-in one of its key", "[calibrate][rigs]") {
  cal::options opt;
  opt.time_scale = 0.01;
  opt.deadline_s = 0;
  opt.max_foreign_load = 1;  // measured whatever else runs
  int slices = 0;
  cal::probe wake{"wake_ns", "wake through another pool", "ns", 1, 5, 10, [&](auto take) {
                    ++slices;
                    take([] { return 12'345.0; });
                  }};
  opt.probes.push_back(wake);
  const cal::result r = cal::calibrate(opt);
  CHECK(r.profile.wake_ns == 12'345);
  CHECK(slices >= 2);  // one slice per round at least
  const cal::term* t = r.find("wake_ns");
  REQUIRE(t != nullptr);
  CHECK(t->title == "wake through another pool");
  CHECK(t->stats.samples >= 10);
}

TEST_CASE("summaries: median and 10th/90th percentiles, interpolated", "[calibrate][stats]") {
  const cal::summary s = cal::summarize({9, 1, 5, 3, 7, 2, 4, 6, 8, 10, 0});  // 0..10, unsorted
  CHECK(s.median == 5);
  CHECK(s.p10 == 1);
  CHECK(s.p90 == 9);
  CHECK(s.samples == 11);
  CHECK(s.spread() == Approx(8.0 / 5));
  const cal::summary two = cal::summarize({10, 20});
  CHECK(two.median == 15);
  CHECK(cal::summarize({}).samples == 0);
}
