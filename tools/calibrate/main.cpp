// breakeven-calibrate - measures this machine's overhead terms and writes them as a
// compile-time profile (a header) and a run-time profile (JSON). The calibration guide
// (docs/calibration.md) says what each term prices and how it is measured.
#include "calibrate.hpp"

#include <breakeven/profile_io.hpp>

#include <cstdio>
#include <cstdlib>
#include <exception>
#include <fstream>
#include <string>
#include <string_view>

#include <unistd.h>

namespace {

constexpr const char* usage =
    "usage: breakeven-calibrate [options]\n"
    "  --header PATH          write the compile-time profile (a header) to PATH\n"
    "  --json PATH            write the run-time profile (JSON) to PATH\n"
    "  --name NAME            the profile's name (default: calibrated)\n"
    "  --type NAME            the profile's type in breakeven::profiles (default: calibrated)\n"
    "  --overhead-factor X    parallel only when work > X x overhead (default: 2)\n"
    "  --min-speedup X        ... and the estimated speedup > X (default: 1.2)\n"
    "  --io-threads N         threads for I/O-bound kernels (default: 16)\n"
    "  --from-json PATH       measure nothing: convert the run-time profile PATH\n"
    "  --quick                up to 3 rounds of shorter slices within 10 s (a rough profile)\n"
    "  --quiet                no progress on stderr, no table on stdout\n";

[[noreturn]] void die(const std::string& msg) {
  std::fprintf(stderr, "breakeven-calibrate: %s\n", msg.c_str());
  std::exit(2);
}

double number_arg(std::string_view opt, const char* v) {
  char* end = nullptr;
  const double d = std::strtod(v, &end);
  if (end == v || *end != '\0' || !(d >= 0) || d > 1e6) die(std::string(opt) + ": not a number in range: " + v);
  return d;
}

void write_file(const std::string& path, const std::string& text) {
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << text;
    out.flush();
    if (!out) die(path + ": cannot write");
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    std::remove(tmp.c_str());
    die(path + ": cannot write");
  }
}

}  // namespace

int main(int argc, char** argv) {
  std::string header, json, from, name = "calibrated", type = "calibrated";
  breakeven::calibration::options opt;
  bool quiet = false;
  for (int i = 1; i < argc; ++i) {
    const std::string_view a = argv[i];
    const auto value = [&]() -> const char* {
      if (i + 1 >= argc) die(std::string(a) + " needs a value");
      return argv[++i];
    };
    if (a == "--header") header = value();
    else if (a == "--json") json = value();
    else if (a == "--name") name = value();
    else if (a == "--type") type = value();
    else if (a == "--overhead-factor") opt.overhead_factor = number_arg(a, value());
    else if (a == "--min-speedup") opt.min_speedup = number_arg(a, value());
    else if (a == "--io-threads") opt.io_threads = static_cast<unsigned>(number_arg(a, value()));
    else if (a == "--from-json") from = value();
    else if (a == "--quick") {
      opt.time_scale = 0.2;
      opt.rounds = 3;
      opt.min_rounds = 1;  // a busy machine: one round, then the retakes the deadline allows
      opt.deadline_s = 10;
      opt.max_retakes = 2;
    }
    else if (a == "--quiet") quiet = true;
    else if (a == "--help" || a == "-h") {
      std::fputs(usage, stdout);
      return 0;
    } else {
      std::fputs(usage, stderr);
      die("unknown option " + std::string(a));
    }
  }
  if (!breakeven::detail::valid_profile_name(name)) die("--name: use 1 to 64 letters, digits, '_', '-' or '.'");
  opt.name = name.c_str();

  try {
    breakeven::machine_profile profile;
    std::string figures;
    std::string comment;
    if (!from.empty()) {
      profile = breakeven::load_profile(from).profile;
      comment = "converted from " + from;
    } else {
      // One line per round (and per retake), naming the terms as they run: on a terminal the
      // line is rewritten in place, in a log each round's line lists its terms.
      const bool tty = ::isatty(2) != 0;
      unsigned last_round = 0;
      bool retaking = false;
      if (!quiet)
        opt.progress = [tty, &last_round, &retaking](std::string_view what, unsigned k, unsigned n) {
          const bool retake = what.rfind("retaking ", 0) == 0;
          const std::string term(retake ? what.substr(9) : what);
          if (tty) {
            std::fprintf(stderr, "\r\033[Kbreakeven-calibrate: %s %u/%u: %s", retake ? "retake" : "round", k, n, term.c_str());
          } else if (k != last_round || retake != retaking) {
            std::fprintf(stderr, "%sbreakeven-calibrate: %s %u/%u: %s", last_round != 0 ? "\n" : "",
                         retake ? "retake" : "round", k, n, term.c_str());
          } else {
            std::fprintf(stderr, ", %s", term.c_str());
          }
          last_round = k;
          retaking = retake;
        };
      const auto r = breakeven::calibration::calibrate(opt);
      if (!quiet) std::fprintf(stderr, "%sbreakeven-calibrate: done in %.1f s\n", tty ? "\r\033[K" : "\n", r.seconds);
      profile = r.profile;
      figures = breakeven::calibration::figures_json(r);
      comment = breakeven::calibration::table(r);
      if (!quiet) std::fputs(comment.c_str(), stdout);
    }
    if (!header.empty()) write_file(header, breakeven::profile_header(profile, type, comment));
    if (!json.empty()) write_file(json, breakeven::profile_json(profile, {}, figures));
    if (!quiet && !header.empty()) std::printf("wrote %s\n", header.c_str());
    if (!quiet && !json.empty()) std::printf("wrote %s\n", json.c_str());
  } catch (const std::exception& e) {
    die(e.what());
  }
  return 0;
}
