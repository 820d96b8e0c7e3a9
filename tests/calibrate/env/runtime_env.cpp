// A process started with BREAKEVEN_PROFILE naming a profile file decides with that file's
// profile (its cores included) and starts with its learned costs: no probe for a kernel
// the file has already learned. The test runs with BREAKEVEN_PROFILE set to
// tests/calibrate/env/profile_with_learned.json.
#include <breakeven/learn.hpp>
#include <breakeven/call.hpp>

#include <cstdio>
#include <string>
#include <vector>

namespace be = breakeven;

struct env_kernel {  // its cost is unknown to the code, known to the profile file
  using input_type = int;
  using output_type = int;
  static constexpr auto cost = be::unknown_cost;
  static constexpr const char* name = "test.env_kernel";
  int operator()(const int& x) const { return x + 1; }
};

int main() {
  int failures = 0;
  const auto check = [&](bool ok, const char* what) {
    if (!ok) {
      std::printf("FAILED: %s\n", what);
      ++failures;
    }
  };
  const be::machine_profile& p = be::runtime_profile();
  check(std::string(p.name) == "fixture", "runtime_profile() is the file's profile");
  check(p.wake_ns == 50'000 && p.thread_dispatch_ns == 400, "the file's terms");
  check(p.cores == 2, "the file's cores, not the hardware's");
  check(!be::environment_profile().source.empty(), "environment_profile() names its file");

  std::vector<int> in(1'000, 1), out(in.size());
  const auto d = be::learned_describe(env_kernel{}, in, out.begin(), p);
  check(!d.probed && d.done == 0, "a kernel learned in the file is not probed");
  check(d.desc.cost_ns == 2'500, "its learned cost");
  check(be::statistics().probes == 0, "no probe in the statistics");
  std::printf("%s\n", failures == 0 ? "1 passed, 0 failed" : "0 passed, 1 failed");
  return failures == 0 ? 0 : 1;
}
