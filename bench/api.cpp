// Figures of the API layer, each measured side by side in one run:
//   seq_overhead_ratio       breakeven::map chosen sequential / a raw loop over the same items
//   seq_overhead_tiny_ns     the fixed cost of one such call over 16 one-nanosecond items
//   seq_call_overhead_ns     a 1-item call of a 0.2 us kernel through breakeven::map less
//                            the direct call: the median of 2,001 calls of each, every one
//                            after 50 us idle (a call that arrives alone, not back to back)
//   seq_call_learned_overhead_ns  the same for a kernel whose calls measured its work 1.5x
//                            what it declares (0.2 us declared, 0.3 us spent): it left the
//                            compile-time fast path, and its lone calls take it again once
//                            its corrections make them surely sequential (call.hpp)
#include <breakeven/api.hpp>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <thread>
#include <vector>

namespace {
using clock_type = std::chrono::steady_clock;

// A hash-mixing kernel: `steps` dependent multiply-xor steps per item, declared as `ns`.
template <int steps, long long ns>
struct mixer {
  using input_type = std::uint64_t;
  using output_type = std::uint64_t;
  static constexpr auto cost = std::chrono::nanoseconds{ns};
  std::uint64_t operator()(const std::uint64_t& x) const {
    std::uint64_t h = x;
    for (int i = 0; i < steps; ++i) h = (h ^ (h >> 31)) * 0x9E3779B97F4A7C15ull + static_cast<std::uint64_t>(i);
    return h;
  }
};
// ~50 ns per item: cheap enough that every batch below stays sequential.
using mix = mixer<24, 50>;
// ~0.2 us per item: the lone 1-item call of seq_call_overhead_ns.
using fifth_us = mixer<160, 200>;
// ~0.3 us per item, declared 0.2 us: seq_call_learned_overhead_ns.
using understated = mixer<240, 200>;

struct tiny {
  using input_type = std::uint64_t;
  using output_type = std::uint64_t;
  static constexpr auto cost = std::chrono::nanoseconds{1};
  std::uint64_t operator()(const std::uint64_t& x) const { return x * 3 + 1; }
};

template <class F>
double median_ns(F&& f, int reps) {
  std::vector<double> t;
  t.reserve(static_cast<std::size_t>(reps));
  for (int r = 0; r < reps; ++r) {
    const auto t0 = clock_type::now();
    f();
    t.push_back(std::chrono::duration<double, std::nano>(clock_type::now() - t0).count());
  }
  std::nth_element(t.begin(), t.begin() + reps / 2, t.end());
  return t[static_cast<std::size_t>(reps / 2)];
}

volatile std::uint64_t sink;

template <class Op>
std::vector<std::uint64_t> raw_loop(const Op& op, const std::vector<std::uint64_t>& in) {
  std::vector<std::uint64_t> out(in.size());
  for (std::size_t i = 0; i < in.size(); ++i) out[i] = op(in[i]);
  return out;
}

// Alternates the two measurements so drift on a shared machine hits both alike.
template <class Op>
std::pair<double, double> side_by_side(const Op& op, const std::vector<std::uint64_t>& in, int rounds, int reps) {
  std::vector<double> raw, api;
  for (int r = 0; r < rounds; ++r) {
    raw.push_back(median_ns([&] { sink = raw_loop(op, in).back(); }, reps));
    api.push_back(median_ns([&] { sink = breakeven::map(op, in).back(); }, reps));
  }
  std::sort(raw.begin(), raw.end());
  std::sort(api.begin(), api.end());
  return {raw[raw.size() / 2], api[api.size() / 2]};
}
}  // namespace

int main() {
  std::vector<std::uint64_t> in(1000);
  for (std::size_t i = 0; i < in.size(); ++i) in[i] = i * 7919;
  if (breakeven::plan_for<mix>(in.size()).parallel()) {
    std::fprintf(stderr, "bench_api: the plan is not sequential; the figure would not mean what it says\n");
    return 1;
  }
  const auto [raw, api] = side_by_side(mix{}, in, 15, 201);
  std::printf("seq_overhead_ratio: %.3f ratio\n", api / raw);

  // One item, each call after a short idle: the fixed cost a lone call pays.
  const auto lone_call = [](const auto& op) {
    const std::vector<std::uint64_t> one(1, 12345);
    std::vector<double> direct, mapped;
    for (int r = 0; r < 2001; ++r) {
      std::this_thread::sleep_for(std::chrono::microseconds(50));
      auto t0 = clock_type::now();
      sink = raw_loop(op, one).back();
      direct.push_back(std::chrono::duration<double, std::nano>(clock_type::now() - t0).count());
      std::this_thread::sleep_for(std::chrono::microseconds(50));
      t0 = clock_type::now();
      sink = breakeven::map(op, one).back();
      mapped.push_back(std::chrono::duration<double, std::nano>(clock_type::now() - t0).count());
    }
    std::sort(direct.begin(), direct.end());
    std::sort(mapped.begin(), mapped.end());
    return std::pair{direct[direct.size() / 2], mapped[mapped.size() / 2]};
  };
  const auto [d, m] = lone_call(fifth_us{});
  std::printf("seq_call_direct_ns: %.0f ns\n", d);
  std::printf("seq_call_overhead_ns: %.0f ns\n", m - d);
  // Calls of 16 items (3.2 us declared: long enough to teach) measure its work first.
  for (int i = 0; i < 8; ++i) sink = breakeven::map(understated{}, std::vector<std::uint64_t>(16, 3)).back();
  if (!breakeven::detail::feedback_of<understated>().leaves_fast_path())
    std::fprintf(stderr, "bench_api: the understated kernel did not measure costlier than declared\n");
  const auto [ld, lm] = lone_call(understated{});
  std::printf("seq_call_learned_overhead_ns: %.0f ns\n", lm - ld);

  std::vector<std::uint64_t> small(16, 5);
  const auto [raw_t, api_t] = side_by_side(tiny{}, small, 15, 2001);
  std::printf("seq_overhead_tiny_ns: %.0f ns\n", api_t - raw_t);
}
