// bench/shm.cpp - the shared-memory executor's figures, measured side by side in one run.
// Before each timed call the caller writes new input, as a pipeline stage would.
//   shm_16mib_gbps            16 MiB read and written by one worker (4,096 items of 4 KiB in
//                             a shared_buffer, out into another; one task, no copy):
//                             16 MiB / the whole call's time, calls back to back
//   shm_16mib_2workers_gbps   the same over the pool's two workers (default chunks)
//   shm_vs_socket_16mib       the process pool's serialized path (one 16 MiB task through
//                             the frames and rings) / the shared-memory path (the same task,
//                             shared_buffer in and out), alternated with each other
//   shm_vs_socket_16mib_copied  the same, shared memory copying from and to private vectors
//   shm_crossover_bytes       the payload per task where the decision switches from the pipe
//                             to shared memory (a cold segment, the run-time profile), then
//                             the measured times on both sides of it: the pipe, shared
//                             memory with a new segment (grown, allocated and mapped by the
//                             call) and with the segment reused
//   shm_crossover_measured_bytes  the smallest payload (doubling) where the new segment
//                             measured faster than the pipe
#include <breakeven/decide.hpp>
#include <breakeven/executor/shared_memory.hpp>
#include <breakeven/call.hpp>

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstddef>
#include <cstdio>
#include <vector>

namespace be = breakeven;
using clock_type = std::chrono::steady_clock;

namespace {

using row4k = std::array<float, 1024>;  // 4 KiB: 4096 of them are 16 MiB

// Reads a row and writes one: y = 2x + 1.
struct affine_row {
  using input_type = row4k;
  using output_type = row4k;
  static constexpr auto cost = std::chrono::microseconds{1};
  static constexpr bool thread_safe = false;  // plans weigh processes only
  row4k operator()(const row4k& x) const {
    row4k y;
    for (std::size_t i = 0; i < y.size(); ++i) y[i] = 2 * x[i] + 1;
    return y;
  }
};

double seconds(clock_type::time_point t0) { return std::chrono::duration<double>(clock_type::now() - t0).count(); }

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

template <class F>
double time_of(F&& f) {
  const auto t0 = clock_type::now();
  f();
  return seconds(t0);
}

bool check(const std::vector<row4k>& in, const row4k* out, std::size_t n) {
  for (std::size_t i = 0; i < n; i += 97)
    if (out[i][7] != 2 * in[i][7] + 1) return false;
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  be::process_runtime::init(argc, argv);
  constexpr std::size_t n = 4096;  // 16 MiB
  const double mib16 = static_cast<double>(n * sizeof(row4k));
  std::vector<row4k> in(n), out(n);
  for (std::size_t i = 0; i < n; ++i) in[i].fill(static_cast<float>(i % 1000));
  bool ok = true;

  // Before each timed call the caller produces new input (as a pipeline stage would): the
  // call finds it where the caller's writes left it, not in the caches of the last call.
  int round = 0;
  const auto produce = [&](row4k* p) {
    ++round;
    for (std::size_t i = 0; i < n; ++i) p[i].fill(static_cast<float>((i + static_cast<std::size_t>(round)) % 1000));
  };
  const auto right = [&](const row4k* p) {
    for (std::size_t i = 0; i < n; i += 97)
      if (p[i][7] != 2 * static_cast<float>((i + static_cast<std::size_t>(round)) % 1000) + 1) return false;
    return true;
  };
  const be::schedule one_task{.chunk = n};

  // 16 MiB through one worker: in a shared_buffer, out into one.
  double one_gbps = 0, two_gbps = 0;
  {
    be::shared_memory_pool pool(1);
    auto sin = pool.make_buffer<row4k>(n);
    auto sout = pool.make_buffer<row4k>(n);
    std::vector<double> t;
    for (int i = 0; i < 18; ++i) {
      produce(sin.data());
      t.push_back(time_of([&] { pool.bulk_map(affine_row{}, sin, sout.data(), one_task); }));
      ok = ok && right(sout.data());
    }
    t.erase(t.begin(), t.begin() + 3);  // the first calls map the segment in the worker
    one_gbps = mib16 / median(t) / 1e9;
  }

  // The same over two workers; then the process pool's frames against shared memory.
  {
    be::shared_memory_pool pool(2);
    auto sin = pool.make_buffer<row4k>(n);
    auto sout = pool.make_buffer<row4k>(n);
    std::vector<double> t;
    for (int i = 0; i < 18; ++i) {
      produce(sin.data());
      t.push_back(time_of([&] { pool.bulk_map(affine_row{}, sin, sout.data()); }));
      ok = ok && right(sout.data());
    }
    t.erase(t.begin(), t.begin() + 3);
    two_gbps = mib16 / median(t) / 1e9;

    // One 16 MiB task each way, alternated: A B C A B C ...
    std::vector<double> pipe, shm, copied;
    for (int i = 0; i < 13; ++i) {
      produce(in.data());
      pipe.push_back(time_of([&] { pool.processes().bulk_map(affine_row{}, in, out.data(), one_task); }));
      ok = ok && right(out.data());
      produce(sin.data());
      shm.push_back(time_of([&] { pool.bulk_map(affine_row{}, sin, sout.data(), one_task); }));
      ok = ok && right(sout.data());
      produce(in.data());
      copied.push_back(time_of([&] { pool.bulk_map(affine_row{}, in, out.data(), one_task); }));
      ok = ok && right(out.data());
    }
    for (auto* v : {&pipe, &shm, &copied}) v->erase(v->begin(), v->begin() + 2);
    std::printf("shm_16mib_gbps: %.2f GB/s\n", one_gbps);
    std::printf("shm_16mib_2workers_gbps: %.2f GB/s\n", two_gbps);
    std::printf("shm_16mib_pipe_ms: %.2f ms\n", median(pipe) * 1e3);
    std::printf("shm_16mib_shm_ms: %.2f ms\n", median(shm) * 1e3);
    std::printf("shm_16mib_shm_copied_ms: %.2f ms\n", median(copied) * 1e3);
    std::printf("shm_vs_socket_16mib: %.2f ratio\n", median(pipe) / median(shm));
    std::printf("shm_vs_socket_16mib_copied: %.2f ratio\n", median(pipe) / median(copied));
  }

  // The crossover: where the decision switches, and what each side measures there.
  const be::machine_profile& prof = be::runtime_profile();
  const double cross = be::detail::shm_crossover_bytes(prof, false);
  // Which process executor the tree weighs cheaper for one task of `items` rows in and out
  // (step 4: the payload decides between the pipe and the segment).
  const auto decided = [&](std::size_t items) {
    be::call_options o;
    o.chunk = items;
    const be::plan p = be::decide(be::describe<affine_row>(), items, prof, o);
    return p.of(be::executor_kind::process_pool).estimate_ns() <= p.of(be::executor_kind::shared_memory).estimate_ns()
               ? be::executor_kind::process_pool
               : be::executor_kind::shared_memory;
  };
  const auto payload = [](std::size_t items) { return static_cast<double>(items * 2 * sizeof(row4k)); };
  // Pipe, then shared memory with a new segment (a new pool, its worker warmed through the
  // pipe first, so that only the segment is new), then with the segment reused.
  const auto measure = [&](std::size_t items, double& pipe_us, double& cold_us, double& warm_us) {
    std::vector<double> p, c, w;
    const be::schedule one_task{.chunk = items};
    const auto part = std::span(in).first(items);
    for (int i = 0; i < 7; ++i) {
      be::shared_memory_pool pool(1);
      pool.processes().bulk_map(affine_row{}, part, out.data(), one_task);
      p.push_back(time_of([&] { pool.processes().bulk_map(affine_row{}, part, out.data(), one_task); }));
      c.push_back(time_of([&] { pool.bulk_map(affine_row{}, part, out.data(), one_task); }));
      w.push_back(time_of([&] { pool.bulk_map(affine_row{}, part, out.data(), one_task); }));
      ok = ok && check(in, out.data(), items);
    }
    pipe_us = median(p) * 1e6;
    cold_us = median(c) * 1e6;
    warm_us = median(w) * 1e6;
  };
  std::printf("shm_crossover_bytes: %.0f bytes\n", cross);
  const std::size_t below = std::max<std::size_t>(1, static_cast<std::size_t>(cross / 2 / payload(1)));
  const std::size_t above = std::max<std::size_t>(below + 1, static_cast<std::size_t>(std::ceil(2 * cross / payload(1))));
  if (decided(below) != be::executor_kind::process_pool || decided(above) != be::executor_kind::shared_memory)
    std::fprintf(stderr, "bench_shm: the decision does not switch where shm_crossover_bytes says\n");
  for (const auto& [name, items] : {std::pair{"below", below}, std::pair{"above", above}}) {
    double p = 0, c = 0, w = 0;
    measure(items, p, c, w);
    std::printf("shm_crossover_%s_bytes: %.0f bytes\n", name, payload(items));
    std::printf("shm_crossover_%s_pipe_us: %.1f us\n", name, p);
    std::printf("shm_crossover_%s_shm_new_segment_us: %.1f us\n", name, c);
    std::printf("shm_crossover_%s_shm_reused_us: %.1f us\n", name, w);
  }
  double measured = 0;
  for (std::size_t items = 1; items <= n && measured == 0; items *= 2) {
    double p = 0, c = 0, w = 0;
    measure(items, p, c, w);
    if (c < p) measured = payload(items);
  }
  std::printf("shm_crossover_measured_bytes: %.0f bytes\n", measured);
  if (!ok) std::fprintf(stderr, "bench_shm: wrong results\n");
  return ok ? 0 : 1;
}
