// Calibration on a loaded machine: terms that other processes disturb are taken again, and
// a term that never settles keeps the conservative profile's value and says so; the
// profile calibrated beside two busy-loop processes decides the demo's rows no worse than
// the conservative profile.
#include <calibrate/calibrate.hpp>

#include <breakeven/decide.hpp>
#include <kernels/analytics.hpp>
#include <kernels/hash.hpp>
#include <kernels/jwt.hpp>
#include <kernels/legacy.hpp>
#include <kernels/numerical.hpp>
#include <kernels/pattern.hpp>

#include <catch2/catch.hpp>

#include <cerrno>
#include <cmath>
#include <csignal>
#include <string>
#include <vector>

#include <sys/wait.h>
#include <unistd.h>

namespace be = breakeven;
namespace cal = breakeven::calibration;
namespace ex = breakeven::examples;

namespace {

// A process that spins until killed. Forked twice, so that it is not this process's
// descendant: calibration counts its own children's CPU time as its own, not as load.
class busy_loop {
 public:
  busy_loop() {
    int fds[2];
    REQUIRE(::pipe(fds) == 0);
    const pid_t child = ::fork();
    REQUIRE(child >= 0);
    if (child == 0) {
      const pid_t grandchild = ::fork();
      if (grandchild == 0) {
        ::close(fds[0]);
        ::close(fds[1]);
        volatile unsigned long x = 0;
        for (;;) x = x + 1;
      }
      (void)!::write(fds[1], &grandchild, sizeof grandchild);
      ::_exit(grandchild > 0 ? 0 : 1);
    }
    ::close(fds[1]);
    if (::read(fds[0], &pid_, sizeof pid_) != static_cast<ssize_t>(sizeof pid_)) pid_ = -1;
    ::close(fds[0]);
    int st = 0;
    while (::waitpid(child, &st, 0) < 0 && errno == EINTR) {
    }
    REQUIRE(pid_ > 0);
  }
  busy_loop(const busy_loop&) = delete;
  busy_loop& operator=(const busy_loop&) = delete;
  ~busy_loop() { ::kill(pid_, SIGKILL); }  // init reaps it

 private:
  pid_t pid_ = -1;
};

// The demo's rows (examples/demo): each kernel at the batch sizes of its full table.
struct row_regret {
  double calibrated = 0, conservative = 0;  // summed log(estimate of the pick / best estimate)
  int rows = 0, differ = 0;
};

// How far `pick`'s choice for K x n is from the best choice, estimated with `truth`.
template <class K>
double regret(const be::machine_profile& pick, const be::machine_profile& truth, std::size_t n) {
  be::call_options o;
  o.threads_warm = true;
  o.processes_warm = true;
  const be::plan chosen = be::decide(be::describe<K>(), n, pick, o);
  const be::plan reference = be::decide(be::describe<K>(), n, truth, o);
  double best = reference.of(be::executor_kind::sequential).estimate_ns();
  for (const auto& c : reference.candidates)
    if (c.admissible) best = std::min(best, c.estimate_ns());
  const double mine = reference.of(chosen.kind).estimate_ns();
  return best > 0 && mine > 0 ? std::log(mine / best) : 0;
}

template <class K>
void add_rows(row_regret& r, const be::machine_profile& calibrated, const be::machine_profile& truth,
              std::initializer_list<std::size_t> sizes) {
  be::call_options o;
  o.threads_warm = true;
  o.processes_warm = true;
  for (std::size_t n : sizes) {
    r.calibrated += regret<K>(calibrated, truth, n);
    r.conservative += regret<K>(be::profiles::conservative::value, truth, n);
    r.differ += be::decide(be::describe<K>(), n, calibrated, o).kind !=
                be::decide(be::describe<K>(), n, be::profiles::conservative::value, o).kind;
    ++r.rows;
  }
}

row_regret demo_rows(const be::machine_profile& calibrated, const be::machine_profile& truth) {
  row_regret r;
  add_rows<ex::sha256_hash>(r, calibrated, truth, {10, 100, 1'000, 100'000});
  add_rows<ex::session_analytics>(r, calibrated, truth, {10, 1'000, 100'000});
  add_rows<ex::pattern_match>(r, calibrated, truth, {1, 4, 100, 1'000});
  add_rows<ex::jwt_validate>(r, calibrated, truth, {10, 100, 10'000});
  add_rows<ex::oscillatory_integral>(r, calibrated, truth, {1, 2, 8});
  add_rows<ex::legacy_tokenize>(r, calibrated, truth, {100, 100'000});
  return r;
}

cal::options quick() {
  cal::options o;
  o.time_scale = 0.2;
  o.rounds = 3;
  o.min_rounds = 1;  // as breakeven-calibrate --quick
  o.deadline_s = 8;
  o.max_retakes = 2;
  return o;
}

}  // namespace

TEST_CASE("a term whose slices disagree is retaken, and kept conservative if it never settles", "[calibrate][load]") {
  cal::options opt;
  opt.time_scale = 0.01;
  opt.rounds = 3;
  opt.deadline_s = 60;
  opt.max_foreign_load = 1;  // judge the slices by their agreement alone
  int steady_slices = 0, settling_slices = 0, wild_slices = 0;
  // Agrees every time: measured.
  opt.probes.push_back({"shm_setup_ns", "steady", "ns", 0, 5, 10, [&](auto take) {
                          ++steady_slices;
                          take([] { return 1'000.0; });
                        }});
  // The second slice reads 50x the rest (a burst of load): left out, the term retaken.
  opt.probes.push_back({"thread_dispatch_ns", "settling", "ns", 0, 5, 10, [&](auto take) {
                          const double v = ++settling_slices == 2 ? 50'000.0 : 500.0;
                          take([v] { return v; });
                        }});
  // Every slice reads 10x its predecessor: never stable.
  opt.probes.push_back({"wake_ns", "wild", "ns", 0, 5, 10, [&](auto take) {
                          const double v = 100.0 * std::pow(10.0, wild_slices++);
                          take([v] { return v; });
                        }});
  const cal::result r = cal::calibrate(opt);
  const cal::term* steady = r.find("shm_setup_ns");
  const cal::term* settling = r.find("thread_dispatch_ns");
  const cal::term* wild = r.find("wake_ns");
  REQUIRE(steady != nullptr);
  REQUIRE(settling != nullptr);
  REQUIRE(wild != nullptr);
  CHECK(steady->how == cal::verdict::measured);
  CHECK(r.profile.shm_setup_ns == 1'000);
  CHECK(settling->how == cal::verdict::retaken);
  CHECK(r.profile.thread_dispatch_ns == 500);
  CHECK(wild->how == cal::verdict::kept_conservative);
  CHECK(wild_slices == 3 + 4);  // every round, then every retake
  CHECK(r.profile.wake_ns == be::profiles::conservative::value.wake_ns);
  CHECK(r.kept_conservative >= 1);
  const std::string text = cal::table(r);
  CHECK_THAT(text, Catch::Contains("kept conservative") && Catch::Contains("retaken") && Catch::Contains("wake_ns"));
  CHECK_THAT(text, !Catch::Contains("5000%"));
  // The table's columns line up: every row's "profile key" column starts where its header's does.
  const auto header_at = text.find("profile key");
  const auto line_start = [&](std::size_t at) { return at - (text.rfind('\n', at) == std::string::npos ? 0 : text.rfind('\n', at) + 1); };
  CHECK(line_start(text.find("shm_setup_ns")) == line_start(header_at));
  CHECK(line_start(text.find("wake_ns")) == line_start(header_at));
}

TEST_CASE("calibrated beside two busy loops, the profile decides the demo no worse than conservative", "[calibrate][load]") {
  // What this machine is without the extra load (the reference the decisions are judged by).
  const cal::result idle = cal::calibrate(quick());
  cal::result loaded;
  {
    busy_loop a, b;
    loaded = cal::calibrate(quick());
  }
  INFO(cal::table(loaded));
  INFO(cal::table(idle));
  // A term kept conservative holds the conservative value.
  for (const auto& f : be::detail::profile_fields) {
    if (f.real == nullptr) continue;
    const cal::term* t = loaded.find(f.key);
    if (t != nullptr && t->how == cal::verdict::kept_conservative)
      CHECK(loaded.profile.*(f.real) == be::profiles::conservative::value.*(f.real));
  }
  const row_regret r = demo_rows(loaded.profile, idle.profile);
  INFO("rows " << r.rows << ", decided differently from conservative: " << r.differ);
  CHECK(r.rows == 19);
  CHECK(r.calibrated <= r.conservative + 1e-9);
}
