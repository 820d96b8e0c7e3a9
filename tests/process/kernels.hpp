// Kernels the process tests run in workers: annotated, at namespace scope (so that spawned
// workers find them by name), some of them misbehaving on purpose.
#pragma once

#include <breakeven/concepts.hpp>

#include <boost/hana/define_struct.hpp>

#include <chrono>
#include <csignal>
#include <cstdint>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <sched.h>
#include <unistd.h>

namespace ptest {

/// 2x + 1, in a worker.
struct affine {
  using input_type = std::int64_t;
  using output_type = std::int64_t;
  static constexpr auto cost = std::chrono::nanoseconds{20};
  std::int64_t operator()(const std::int64_t& x) const { return 2 * x + 1; }
};

/// A kernel carrying a parameter: the kernel object travels with each task (as its bytes:
/// a double is no address).
struct scale {
  static constexpr bool bitwise_transport = true;
  using input_type = double;
  using output_type = double;
  static constexpr auto cost = std::chrono::nanoseconds{20};
  double factor = 1;
  double operator()(const double& x) const { return factor * x; }
};

/// The pid of the worker that ran the task.
struct whoami {
  using input_type = int;
  using output_type = int;
  static constexpr auto cost = std::chrono::microseconds{2};
  int operator()(const int&) const { return static_cast<int>(::getpid()); }
};

/// Sleeps the input's milliseconds, then returns the worker's pid.
struct slow_whoami {
  using input_type = int;
  using output_type = int;
  static constexpr auto cost = std::chrono::milliseconds{50};
  int operator()(const int& ms) const {
    std::this_thread::sleep_for(std::chrono::milliseconds(ms));
    return static_cast<int>(::getpid());
  }
};

/// Strings and vectors both ways.
struct words {
  using input_type = std::string;
  using output_type = std::vector<std::string>;
  static constexpr auto cost = std::chrono::microseconds{1};
  std::vector<std::string> operator()(const std::string& s) const {
    std::vector<std::string> out;
    std::string cur;
    for (char c : s) {
      if (c == ' ') {
        if (!cur.empty()) out.push_back(cur);
        cur.clear();
      } else {
        cur += c;
      }
    }
    if (!cur.empty()) out.push_back(cur);
    return out;
  }
};

/// A Hana-described aggregate crossing as input and output.
struct order {
  BOOST_HANA_DEFINE_STRUCT(order, (std::string, customer), (std::vector<int>, items), (double, discount));
};
struct invoice {
  using input_type = order;
  using output_type = order;
  static constexpr auto cost = std::chrono::microseconds{1};
  order operator()(const order& o) const {
    order r = o;
    r.customer += " (billed)";
    r.items.push_back(static_cast<int>(o.items.size()));
    r.discount *= 2;
    return r;
  }
};

/// Throws the exception the input names; otherwise returns the input.
struct thrower {
  using input_type = int;
  using output_type = int;
  static constexpr auto cost = std::chrono::microseconds{1};
  int operator()(const int& which) const;
};

/// A user exception type registered to travel with its type.
struct parse_error : std::runtime_error {
  using std::runtime_error::runtime_error;
};
/// One that is not registered: it comes back as a remote_error naming it.
struct unregistered_error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

inline int thrower::operator()(const int& which) const {
  switch (which) {
    case 1: throw std::runtime_error("runtime");
    case 2: throw std::logic_error("logic");
    case 3: throw std::invalid_argument("invalid");
    case 4: throw std::out_of_range("range");
    case 5: throw std::domain_error("domain");
    case 6: throw std::length_error("length");
    case 7: throw std::range_error("range_error");
    case 8: throw std::overflow_error("overflow");
    case 9: throw std::bad_alloc();
    case 10: throw parse_error("bad token at 7");
    case 11: throw unregistered_error("nobody knows me");
    case 12: throw 42;  // not a std::exception
    case 13: throw std::underflow_error("underflow");
    case 14: throw std::system_error(std::make_error_code(std::errc::no_such_file_or_directory), "open config");
    default: return which;
  }
}

/// How a faulty task ends its worker.
enum class fault : int { none = 0, segfault = 1, abort = 2, exit3 = 3, hang = 4, abort_later = 5 };

/// Returns its input, or ends its worker as the input's fault says (input = value * 8 + fault).
struct faulty {
  using input_type = int;
  using output_type = int;
  static constexpr auto cost = std::chrono::microseconds{1};
  static constexpr bool isolation = true;
  int operator()(const int& x) const {
    switch (static_cast<fault>(x % 8)) {
      case fault::segfault:
        // A real SIGSEGV even under AddressSanitizer, whose handler would turn it into exit(1).
        std::signal(SIGSEGV, SIG_DFL);
        std::raise(SIGSEGV);
        break;
      case fault::abort: std::abort();
      case fault::exit3: ::_exit(3);
      case fault::hang:
        for (;;) ::pause();
      case fault::abort_later:
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
        std::abort();
      case fault::none: break;
    }
    return x / 8;
  }
};

/// Sleeps the input's milliseconds; returns the input.
struct nap {
  using input_type = int;
  using output_type = int;
  static constexpr auto cost = std::chrono::milliseconds{1};
  static constexpr auto variance = breakeven::variance::high;
  int operator()(const int& ms) const {
    std::this_thread::sleep_for(std::chrono::milliseconds(ms));
    return ms;
  }
};

/// Sleeps the input's milliseconds, a steady (low-variance) kernel: tasks may queue behind it.
struct steady_nap {
  using input_type = int;
  using output_type = int;
  static constexpr auto cost = std::chrono::milliseconds{100};
  int operator()(const int& ms) const {
    std::this_thread::sleep_for(std::chrono::milliseconds(ms));
    return ms;
  }
};

/// The CPUs the worker may run on, as a bit mask.
struct cpu_mask {
  using input_type = int;
  using output_type = std::uint64_t;
  static constexpr auto cost = std::chrono::microseconds{5};
  std::uint64_t operator()(const int&) const {
    cpu_set_t s;
    CPU_ZERO(&s);
    ::sched_getaffinity(0, sizeof s, &s);
    std::uint64_t m = 0;
    for (int c = 0; c < 64; ++c)
      if (CPU_ISSET(c, &s)) m |= std::uint64_t{1} << c;
    return m;
  }
};

/// State set by a worker initializer, read by a kernel.
inline std::string worker_greeting = "none";
inline void set_greeting(std::string g, int times) {
  std::string r;
  for (int i = 0; i < times; ++i) r += g;
  worker_greeting = r;
}
inline int failing_initializer() { throw std::runtime_error("initializer refuses"); }
struct greeting {
  using input_type = int;
  using output_type = std::string;
  static constexpr auto cost = std::chrono::microseconds{1};
  std::string operator()(const int&) const { return worker_greeting; }
};

/// n -> a string of n 'x': a small input, an answer as large as asked.
struct repeat {
  using input_type = int;
  using output_type = std::string;
  static constexpr auto cost = std::chrono::microseconds{1};
  std::string operator()(const int& n) const { return std::string(static_cast<std::size_t>(n), 'x'); }
};

/// Program state a worker sees as it was when its image was taken.
inline int global_marker = 0;
struct read_marker {
  using input_type = int;
  using output_type = int;
  static constexpr auto cost = std::chrono::microseconds{1};
  int operator()(const int&) const { return global_marker; }
};

/// A kernel with no output.
struct touch {
  using input_type = int;
  using output_type = void;
  static constexpr auto cost = std::chrono::microseconds{1};
  void operator()(const int& x) const {
    if (x < 0) throw std::invalid_argument("negative");
  }
};

}  // namespace ptest
