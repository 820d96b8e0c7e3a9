// breakeven/profile.hpp - machine profiles: the measured overhead terms the decision weighs.
//
// A profile is a literal type usable in constant expressions. Profiles are passed to
// templates as *profile sources*: types with a `static constexpr machine_profile value`.
// Three ship here; `breakeven-calibrate` writes a fourth for the machine it runs on, and
// a build that defines BREAKEVEN_PROFILE_HEADER makes that one the default.
#pragma once

#include <concepts>
#include <cstddef>
#include <string_view>

namespace breakeven {

/// Overheads and margins of one machine, in nanoseconds (doubles keep the arithmetic exact
/// for whole nanoseconds below 2^53 and usable in constant expressions).
struct machine_profile {
  const char* name = "unnamed";
  unsigned cores = 1;                ///< cores the pools may use

  double call_overhead_ns = 0;       ///< fixed cost of any parallel call (the guide's 100 ms)

  double thread_start_ns = 0;        ///< starting a thread pool (all workers), cold
  double thread_dispatch_ns = 0;     ///< one task through a warm pool whose workers spin
  double wake_ns = 0;                ///< waking sleeping workers (threads or processes), once per call

  double process_start_ns = 0;       ///< starting a process pool, cold
  double process_dispatch_ns = 0;    ///< one task's round trip to a warm worker process
  double pipe_ns_per_byte = 0;       ///< moving one byte through the transport (0: included above)

  double shm_setup_ns = 0;           ///< creating, mapping and unlinking one segment
  double shm_page_ns = 0;            ///< first touch of one page of a new segment
  double page_bytes = 4096;          ///< page size
  double memcpy_ns_per_byte = 0;     ///< copying one byte in memory

  double memory_bound_scaling = 1;   ///< speedup ceiling of a memory-bound kernel
  unsigned io_threads = 1;           ///< threads an I/O-bound kernel may use

  double overhead_factor = 0;        ///< parallel only when work > factor x overhead (guide: 3)
  double min_speedup = 1;            ///< ... and sequential / parallel > this (lecture: 1.2)
  bool assume_warm = true;           ///< compile-time plans assume pools already started

  /// Term by term (the name by address): equal profiles decide alike.
  friend constexpr bool operator==(const machine_profile&, const machine_profile&) = default;
};

/// A type that carries a machine_profile as `static constexpr ... value`.
template <class P>
concept profile_source = requires {
  { P::value } -> std::convertible_to<const machine_profile&>;
};

namespace profiles {

/// A conservative profile for a typical Linux machine of 2 cores in a virtual machine:
/// the overheads are set at the slow end of what such machines measure, so a plan made
/// with it errs towards sequential. Calibrate to do better.
struct conservative {
  static constexpr machine_profile value{
      .name = "conservative",
      .cores = 2,
      .call_overhead_ns = 0,
      .thread_start_ns = 200'000,
      .thread_dispatch_ns = 2'000,
      .wake_ns = 60'000,
      .process_start_ns = 5'000'000,
      .process_dispatch_ns = 30'000,
      .pipe_ns_per_byte = 0.6,
      .shm_setup_ns = 250'000,
      .shm_page_ns = 1'200,
      .page_bytes = 4096,
      .memcpy_ns_per_byte = 0.1,
      .memory_bound_scaling = 1.3,
      .io_threads = 16,
      .overhead_factor = 2,
      .min_speedup = 1.2,
      .assume_warm = true,
  };
};

/// The Python multiprocessing guide's profile: ~100 ms per parallel call whatever the
/// executor, 4 cores, parallel only when the total work exceeds 3x that overhead.
struct guide {
  static constexpr machine_profile value{
      .name = "guide",
      .cores = 4,
      .call_overhead_ns = 100'000'000,
      .memory_bound_scaling = 4,
      .io_threads = 4,
      .overhead_factor = 3,
      .min_speedup = 1,
      .assume_warm = true,
  };
};

/// The lecture's crossover example's profile (Example 26.3): a warm pool of 4 workers, a 5 ms round
/// trip per task, parallel only when the speedup exceeds 1.2x.
struct lecture {
  static constexpr machine_profile value{
      .name = "lecture",
      .cores = 4,
      .thread_dispatch_ns = 5'000'000,
      .process_dispatch_ns = 5'000'000,
      .memory_bound_scaling = 4,
      .io_threads = 4,
      .overhead_factor = 0,
      .min_speedup = 1.2,
      .assume_warm = true,
  };
};

/// The Python multiprocessing guide's rules of thumb: ~100 ms per parallel call whatever
/// the executor, 4 cores, parallel only when the total work exceeds 3x that overhead.
/// (`guide` is its former name.)
struct python_guide {
  static constexpr machine_profile value = [] {
    machine_profile p = guide::value;
    p.name = "python_guide";
    return p;
  }();
};

/// A 4-worker Python pool with 5 ms round trips, kept warm; parallel only when the speedup
/// exceeds 1.2x (the lecture's crossover example, Example 26.3). (`lecture` is its former name.)
struct python_pool_4x5ms {
  static constexpr machine_profile value = [] {
    machine_profile p = lecture::value;
    p.name = "python_pool_4x5ms";
    return p;
  }();
};

}  // namespace profiles
}  // namespace breakeven

// The seam for a calibrated profile: a build that runs breakeven-calibrate defines
// BREAKEVEN_PROFILE_HEADER as the generated header, which defines
// breakeven::profiles::calibrated the same way the profiles above are defined.
// An installation calibrated at build time carries installed_profile.hpp beside this header.
#if !defined(BREAKEVEN_PROFILE_HEADER) && __has_include("installed_profile.hpp")
#define BREAKEVEN_PROFILE_HEADER "installed_profile.hpp"
#endif
#if defined(BREAKEVEN_PROFILE_HEADER)
#include BREAKEVEN_PROFILE_HEADER
namespace breakeven {
/// The build's default profile: the calibrated one.
using default_profile = profiles::calibrated;
}  // namespace breakeven
#else
namespace breakeven {
/// The build's default profile: conservative (no calibration was configured).
using default_profile = profiles::conservative;
}  // namespace breakeven
#endif
