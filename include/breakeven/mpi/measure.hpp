// breakeven/mpi/measure.hpp - measuring the network terms of an MPI job: a raw ping-pong
// between rank 0 and rank 1 over message sizes (latency, bandwidth), and the coordinator's
// own cost per task through the cluster executor. breakeven-mpi-calibrate writes the result
// to a profile file; the benchmarks compare the executor against the raw ping-pong.
#pragma once

#include <breakeven/cluster_policy.hpp>
#include <breakeven/mpi/cluster.hpp>
#include <breakeven/mpi/session.hpp>

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <numeric>
#include <string>
#include <thread>
#include <vector>

namespace breakeven::mpi {

/// One message size's ping-pong: the median round trip.
struct ping_pong_result {
  std::size_t bytes = 0;
  double round_trip_ns = 0;
};

namespace detail {
// The median of `v` (reordered; not empty).
inline double median_of(std::vector<double>& v) {
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(v.size() / 2), v.end());
  return v[v.size() / 2];
}

// A barrier that waits in naps, not spinning: the ranks that take no part in a ping-pong
// wait here, so that they leave the CPUs to the two that do (as idle serving ranks do while
// the executor's round trip is timed; a rank spinning in MPI_Barrier would slow the raw
// figure on a machine with fewer cores than ranks).
inline void napping_barrier(MPI_Comm comm) {
  MPI_Request r = MPI_REQUEST_NULL;
  check(MPI_Ibarrier(comm, &r), "MPI_Ibarrier");
  for (long us = 20;; us = std::min(us * 2, 1000L)) {
    int done = 0;
    check(MPI_Test(&r, &done, MPI_STATUS_IGNORE), "MPI_Test of a barrier");
    if (done != 0) return;
    nap(us);
  }
}
}  // namespace detail

/// A ping-pong of `bytes` each way between rank 0 and rank 1, `reps` times after `warm`
/// untimed ones; every rank of the job must call it (ranks past 1 wait in naps at a closing
/// barrier). Call before serve() and before the cluster executor exists. Rank 0 gets the
/// median round trip; the others get 0.
inline ping_pong_result ping_pong(session& s, std::size_t bytes, int reps, int warm = 20) {
  ping_pong_result out{bytes, 0};
  MPI_Comm comm = s.comm();
  detail::check(MPI_Barrier(comm), "MPI_Barrier");
  if (s.rank() <= 1) {
    std::vector<std::byte> buf(std::max<std::size_t>(bytes, 1));
    std::vector<double> times;
    times.reserve(static_cast<std::size_t>(reps));
    const int peer = s.rank() == 0 ? 1 : 0;
    for (int i = 0; i < warm + reps; ++i) {
      const auto t0 = std::chrono::steady_clock::now();
      if (s.rank() == 0) {
        detail::check(MPI_Send(buf.data(), static_cast<int>(bytes), MPI_BYTE, peer, 1, comm), "MPI_Send");
        detail::check(MPI_Recv(buf.data(), static_cast<int>(bytes), MPI_BYTE, peer, 1, comm, MPI_STATUS_IGNORE), "MPI_Recv");
      } else {
        detail::check(MPI_Recv(buf.data(), static_cast<int>(bytes), MPI_BYTE, peer, 1, comm, MPI_STATUS_IGNORE), "MPI_Recv");
        detail::check(MPI_Send(buf.data(), static_cast<int>(bytes), MPI_BYTE, peer, 1, comm), "MPI_Send");
      }
      const auto t1 = std::chrono::steady_clock::now();
      if (i >= warm) times.push_back(std::chrono::duration<double, std::nano>(t1 - t0).count());
    }
    if (s.rank() == 0) {
      out.round_trip_ns = detail::median_of(times);
    }
  }
  detail::napping_barrier(comm);
  return out;
}

/// The raw terms from ping-pongs over sizes 16 B to 4 MiB: latency (half the 16-byte round
/// trip) and ns/byte (the 4 MiB one-way time, latency removed). Every rank calls it; rank 0
/// gets the figures. `sizes` receives each size's result.
inline network_profile measure_links(session& s, std::vector<ping_pong_result>* sizes = nullptr) {
  network_profile n = s.network();
  n.name = "measured";
  std::vector<ping_pong_result> all;
  for (std::size_t b = 16; b <= (std::size_t{4} << 20); b *= 4) all.push_back(ping_pong(s, b, b >= (1u << 20) ? 20 : 200));
  if (s.rank() != 0) return n;
  n.latency_ns = all.front().round_trip_ns / 2;
  // ns/byte: the largest size's one-way time beyond the latency (a slope between two sizes
  // is too noisy on a shared machine).
  const auto& b = all.back();
  n.ns_per_byte = std::max(0.0, (b.round_trip_ns / 2 - n.latency_ns) / static_cast<double>(b.bytes));
  if (sizes != nullptr) *sizes = all;
  return n;
}

namespace detail {
/// A 16-byte task: returns its input. Its cost is negligible, so what is timed is the trip.
struct echo16 {
  using input_type = std::array<std::uint64_t, 2>;
  using output_type = std::array<std::uint64_t, 2>;
  static constexpr auto cost = std::chrono::nanoseconds{10};
  output_type operator()(const input_type& x) const { return x; }
};
}  // namespace detail

/// Side by side, alternating: the warm round trip of one 16-byte task through `ex`, waited
/// for in place (apply) and through its future (submit(...).get()), and a raw MPI round trip
/// of the same message bytes to the same serving rank (it sends an echo straight back from
/// its receive loop, nothing decoded). Medians, in ns.
struct round_trips {
  double task_ns = 0;    ///< apply
  double future_ns = 0;  ///< submit(...).get()
  double raw_ns = 0;
};
inline round_trips task_and_raw_round_trips(cluster& ex, cluster_engine& engine, int reps = 2000) {
  std::vector<double> task, future, raw;
  task.reserve(static_cast<std::size_t>(reps));
  future.reserve(static_cast<std::size_t>(reps));
  raw.reserve(static_cast<std::size_t>(reps));
  std::vector<std::byte> msg;
  {
    detail::echo16 op;
    auto t = std::make_unique<detail::value_task<detail::echo16::output_type>>();
    const detail::echo16::input_type x{1, 2};
    detail::encode_task(*t, op, &x, 1, 0, {});
    msg = t->request;  // the bytes a task message carries
  }
  std::vector<std::byte> back(msg.size());
  const int rank = 1;  // where the engine sends a lone task (the least loaded, lowest rank)
  const auto since = [](auto t0) { return std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - t0).count(); };
  for (int i = 0; i < reps + 50; ++i) {
    auto t0 = std::chrono::steady_clock::now();
    (void)ex.apply(detail::echo16{}, {std::uint64_t(i), 1});
    const double a = since(t0);
    t0 = std::chrono::steady_clock::now();
    (void)ex.submit(detail::echo16{}, {std::uint64_t(i), 2}).get();
    const double f = since(t0);
    t0 = std::chrono::steady_clock::now();
    engine.with_mpi([&](MPI_Comm comm) {
      detail::check(MPI_Send(msg.data(), static_cast<int>(msg.size()), MPI_BYTE, rank, echo_tag, comm), "MPI_Send");
      detail::check(MPI_Recv(back.data(), static_cast<int>(back.size()), MPI_BYTE, rank, echo_tag, comm, MPI_STATUS_IGNORE),
                    "MPI_Recv");
    });
    const double r = since(t0);
    if (i >= 50) {
      task.push_back(a);
      future.push_back(f);
      raw.push_back(r);
    }
  }
  return {detail::median_of(task), detail::median_of(future), detail::median_of(raw)};
}

/// The warm round trip of one 16-byte task through `ex` (median of `reps`), in ns.
inline double task_round_trip_ns(cluster& ex, int reps = 400) {
  std::vector<double> t;
  t.reserve(static_cast<std::size_t>(reps));
  for (int i = 0; i < reps + 50; ++i) {
    const auto t0 = std::chrono::steady_clock::now();
    (void)ex.submit(detail::echo16{}, {std::uint64_t(i), 1}).get();
    const auto t1 = std::chrono::steady_clock::now();
    if (i >= 50) t.push_back(std::chrono::duration<double, std::nano>(t1 - t0).count());
  }
  return detail::median_of(t);
}

/// The coordinator's cost per task when tasks stream (one item each, all ranks busy): the
/// `task_ns` term, in ns.
inline double task_throughput_ns(cluster& ex, std::size_t tasks = 4000) {
  std::vector<detail::echo16::input_type> in(tasks, detail::echo16::input_type{1, 2});
  (void)ex.map(detail::echo16{}, std::vector<detail::echo16::input_type>(200, {1, 2}), 1);  // warm
  const auto t0 = std::chrono::steady_clock::now();
  (void)ex.map(detail::echo16{}, in, 1);
  const auto t1 = std::chrono::steady_clock::now();
  return std::chrono::duration<double, std::nano>(t1 - t0).count() / static_cast<double>(tasks);
}

/// A call's fixed cost beyond its tasks (the `call_ns` term): the median time of a bulk call
/// of one no-work task per worker rank, each after a pause that lets the ranks go idle, as
/// they are between a program's calls, less what the other terms of `net` (measured first)
/// already count for it: the tasks and one round trip of the latency.
inline double call_overhead_ns(cluster& ex, const network_profile& net, int reps = 40) {
  const std::size_t tasks = ex.concurrency();
  std::vector<detail::echo16::input_type> in(tasks, detail::echo16::input_type{1, 2});
  std::vector<double> t;
  t.reserve(static_cast<std::size_t>(reps));
  for (int i = 0; i < reps; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(3));  // past the ranks' spin: they nap
    const auto t0 = std::chrono::steady_clock::now();
    (void)ex.map(detail::echo16{}, in, 1);
    t.push_back(std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - t0).count());
  }
  const double counted = static_cast<double>(tasks) * net.task_ns + 2 * net.latency_ns;
  return std::max(0.0, detail::median_of(t) - counted);
}

}  // namespace breakeven::mpi
