// breakeven-crossover - the crossover profiler: sequential vs every executor over task
// durations x batch sizes, the measured crossover beside the plan's, a table and a plot.
//   breakeven-crossover [--profile FILE] [--png PATH] [--data PATH] [--quick] [--rig-threads]
//                       [--rig-processes]
// --data PATH: where the plot's data (PATH) and gnuplot script (PATH.gp) go; by default
// beside this program, in the build folder.
// --rig-threads times calibration's futex rig instead of breakeven::thread_pool;
// --rig-processes its socketpair rig of forked workers instead of breakeven::process_pool.
// Without --profile: BREAKEVEN_PROFILE's file if set, else this machine calibrated now.
#include "crossover.hpp"

#include <breakeven/profile_io.hpp>

#include <cstdio>
#include <filesystem>
#include <system_error>
#include <cstdlib>
#include <fstream>
#include <string>
#include <string_view>

namespace {

[[noreturn]] void die(const std::string& msg) {
  std::fprintf(stderr, "breakeven-crossover: %s\n", msg.c_str());
  std::exit(2);
}

bool write_plot(const std::string& png, const std::string& data_path, const std::vector<breakeven::crossover::point>& pts,
                const breakeven::machine_profile& profile) {
  std::vector<std::size_t> batches;
  for (const auto& p : pts)
    if (batches.empty() || batches.back() != p.batch) batches.push_back(p.batch);
  std::string script =
      "set terminal pngcairo size 960,600 font 'sans,11'\n"
      "set output '" + png + "'\n"
      "set logscale x\nset logscale y 2\nset grid\n"
      "set key top left\n"
      "set xlabel 'task duration per item (us)'\n"
      "set ylabel 'speedup over sequential (measured)'\n"
      "set title 'breakeven crossover: " + std::to_string(profile.cores) + " cores, profile \"" + profile.name +
      "\" (filled: plan goes parallel; red x: plan off by more than 10%)'\n"
      "set yrange [0.05:" + std::to_string(profile.cores * 1.5) + "]\n"
      "plot 1 with lines dt 2 lc rgb 'black' title 'sequential', " +
      std::to_string(profile.min_speedup) + " with lines dt 3 lc rgb 'gray40' title 'min speedup'";
  const char* colors[] = {"#1f77b4", "#2ca02c", "#d62728", "#9467bd", "#ff7f0e"};
  for (std::size_t i = 0; i < batches.size(); ++i) {
    const std::string c = colors[i % 5], idx = std::to_string(i), b = std::to_string(batches[i]);
    script += ", '" + data_path + "' index " + idx + " using 1:2 with linespoints lw 2 pt 6 lc rgb '" + c +
              "' title 'batch " + b + " (best executor)'";
    script += ", '" + data_path + "' index " + idx + " using 1:($5==1?$2:1/0) with points pt 7 ps 1.4 lc rgb '" + c +
              "' notitle";
    script += ", '" + data_path + "' index " + idx + " using 1:($6==0?$2:1/0) with points pt 2 ps 2.5 lw 2 lc rgb 'red' notitle";
  }
  script += "\n";
  const std::string script_path = data_path + ".gp";
  std::ofstream(script_path) << script;
  const std::string cmd = "gnuplot '" + script_path + "'";
  return std::system(cmd.c_str()) == 0;
}

}  // namespace

int main(int argc, char** argv) {
  // The plot's data and gnuplot script go beside this program (under the build folder)
  // unless --data names a path.
  std::error_code exe_error;
  const auto exe = std::filesystem::read_symlink("/proc/self/exe", exe_error);
  std::string profile_path, png, data = exe_error ? "crossover.dat" : (exe.parent_path() / "crossover.dat").string();
  breakeven::process_runtime::init(argc, argv);  // the fork server, before any thread exists
  bool quick = false, rig_threads = false, rig_processes = false;
  for (int i = 1; i < argc; ++i) {
    const std::string_view a = argv[i];
    const auto value = [&]() -> std::string {
      if (i + 1 >= argc) die(std::string(a) + " needs a value");
      return argv[++i];
    };
    if (a == "--profile") profile_path = value();
    else if (a == "--png") png = value();
    else if (a == "--data") data = value();
    else if (a == "--quick") quick = true;
    else if (a == "--rig-threads") rig_threads = true;
    else if (a == "--rig-processes") rig_processes = true;
    else if (a == "--help" || a == "-h") {
      std::puts(
          "usage: breakeven-crossover [--profile FILE] [--png PATH] [--data PATH] [--quick] [--rig-threads] "
          "[--rig-processes]");
      return 0;
    } else {
      die("unknown option " + std::string(a));
    }
  }
  try {
    breakeven::machine_profile profile;
    if (!profile_path.empty()) {
      profile = breakeven::load_profile(profile_path).profile;
    } else if (const char* env = std::getenv(breakeven::profile_env); env != nullptr && *env != '\0') {
      profile = breakeven::load_profile(env).profile;
    } else {
      std::fprintf(stderr, "breakeven-crossover: calibrating this machine first\n");
      breakeven::calibration::options opt;
      if (quick) opt.time_scale = 0.2;
      const auto r = breakeven::calibration::calibrate(opt);
      std::fputs(breakeven::calibration::table(r).c_str(), stdout);
      profile = r.profile;
    }
    breakeven::crossover::sweep_options opt;
    opt.runners.library_thread_pool = !rig_threads;
    opt.runners.library_process_pool = !rig_processes;
    if (quick) {
      opt.durations_ns = {1e3, 1e4, 3e4, 1e5, 1e6};
      opt.batches = {8, 64};
    }
    opt.progress = [](const breakeven::crossover::point& p, std::size_t k, std::size_t n) {
      std::fprintf(stderr, "breakeven-crossover: [%2zu/%zu] %s x %zu\n", k, n, breakeven::crossover::duration(p.task_ns).c_str(),
                   p.batch);
    };
    const breakeven::calibration::load_meter load;
    const auto pts = breakeven::crossover::sweep(profile, opt);
    std::fputs(breakeven::crossover::table(pts, profile).c_str(), stdout);
    std::printf("other processes used %.0f%% of the CPUs during the sweep\n", 100 * load.foreign_share());
    std::ofstream(data) << breakeven::crossover::plot_data(pts);
    if (!png.empty()) {
      if (write_plot(png, data, pts, profile)) std::printf("wrote %s\n", png.c_str());
      else std::fprintf(stderr, "breakeven-crossover: gnuplot failed; the data is in %s\n", data.c_str());
    }
  } catch (const std::exception& e) {
    die(e.what());
  }
  return 0;
}
