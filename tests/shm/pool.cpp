// The shared-memory executor: outputs written in place, inputs read where the caller put
// them, rows of matrices, submit, per-item failures, and the segment reused from call to call.
#include "../support/shm_hygiene.hpp"
#include "kernels.hpp"

#include <breakeven/executor/shared_memory.hpp>

#include <catch2/catch.hpp>

#include <range/v3/view/iota.hpp>
#include <range/v3/view/transform.hpp>

#include <numeric>
#include <stop_token>
#include <vector>

namespace be = breakeven;

namespace {

stest::vec256 vec_of(int seed) {
  stest::vec256 v;
  for (std::size_t i = 0; i < v.size(); ++i) v[i] = static_cast<float>(seed) + static_cast<float>(i) / 256;
  return v;
}

bool is_affine_of(const stest::vec256& y, int seed) {
  const stest::vec256 x = vec_of(seed);
  for (std::size_t i = 0; i < y.size(); ++i)
    if (y[i] != 2 * x[i] + 1) return false;
  return true;
}

// Allocations the segment made during `f`.
template <class F>
std::uint64_t allocations_during(be::shared_memory_pool& pool, F&& f) {
  const auto before = pool.stats().segment.allocations;
  f();
  return pool.stats().segment.allocations - before;
}

}  // namespace

TEST_CASE("map writes each output in place into the buffer it returns", "[shm][pool]") {
  be::shared_memory_pool pool(2);
  std::vector<stest::vec256> in;
  for (int i = 0; i < 300; ++i) in.push_back(vec_of(i));
  be::shared_buffer<stest::vec256> out = pool.map(stest::affine_vec{}, in);
  REQUIRE(out.size() == in.size());
  CHECK(pool.segment()->contains(out.data(), out.size_bytes()));
  for (int i = 0; i < 300; ++i) REQUIRE(is_affine_of(out[static_cast<std::size_t>(i)], i));
  CHECK(pool.stats().processes.tasks_completed >= 2);  // really in the workers, in chunks
}

TEST_CASE("inputs in a shared buffer and outputs into a shared buffer move no item", "[shm][pool][zero-copy]") {
  be::shared_memory_pool pool(2);
  auto in = pool.make_buffer<stest::vec256>(500);
  for (int i = 0; i < 500; ++i) in[static_cast<std::size_t>(i)] = vec_of(i);  // the caller fills it directly
  auto out = pool.make_buffer<stest::vec256>(500);
  pool.bulk_map(stest::affine_vec{}, in, out.data());  // warm up: workers map the segment
  for (auto& y : out) y.fill(-1);
  // Zero copy: the call takes only its progress words from the segment (no input or output block).
  CHECK(allocations_during(pool, [&] { pool.bulk_map(stest::affine_vec{}, in, out.begin()); }) == 1);
  for (int i = 0; i < 500; ++i) REQUIRE(is_affine_of(out[static_cast<std::size_t>(i)], i));
  // A part of a buffer works the same way.
  auto part = std::span(in).subspan(100, 50);
  CHECK(allocations_during(pool, [&] { pool.bulk_map(stest::affine_vec{}, part, out.data()); }) == 1);
  CHECK(is_affine_of(out[0], 100));
  CHECK(is_affine_of(out[49], 149));
  // From private memory, inputs and outputs are copied through blocks of the segment.
  std::vector<stest::vec256> priv(in.begin(), in.end());
  std::vector<stest::vec256> back(priv.size());
  CHECK(allocations_during(pool, [&] { pool.bulk_map(stest::affine_vec{}, priv, back.begin()); }) == 3);
  CHECK(is_affine_of(back[499], 499));
}

TEST_CASE("every kind of input range and output iterator", "[shm][pool]") {
  be::shared_memory_pool pool(2);
  const auto expect = [](int x) { return static_cast<std::int64_t>(x) * x; };
  std::vector<std::int32_t> v(10'000);
  std::iota(v.begin(), v.end(), 0);
  for (std::size_t chunk : {std::size_t{0}, std::size_t{1}, std::size_t{333}, std::size_t{20'000}}) {
    std::vector<std::int64_t> out(v.size(), -1);
    pool.bulk_map(stest::square_or_throw{}, v, out.data(), {.chunk = chunk, .workers = chunk == 333 ? 1u : 0u});
    for (int i = 0; i < 10'000; i += 7) REQUIRE(out[static_cast<std::size_t>(i)] == expect(i));
  }
  const auto view = ranges::views::iota(0, 777) | ranges::views::transform([](int x) { return 2 * x; });
  std::vector<std::int64_t> out(777);
  pool.bulk_map(stest::square_or_throw{}, view, out.begin());
  CHECK(out[776] == expect(2 * 776));
  auto shared_out = pool.make_buffer<std::int64_t>(777);
  pool.bulk_map(stest::square_or_throw{}, ranges::views::iota(0, 777), shared_out.begin());
  CHECK(shared_out[500] == expect(500));
}

TEST_CASE("rows of a matrix: read in place, changed in place, copied when private", "[shm][pool][rows]") {
  be::shared_memory_pool pool(2);
  const std::size_t rows = 64, cols = 1000;
  auto image = pool.make_buffer<float>(rows * cols);
  for (std::size_t r = 0; r < rows; ++r)
    for (std::size_t c = 0; c < cols; ++c) image[r * cols + c] = static_cast<float>(r);
  be::shared_buffer<double> sums = pool.map(stest::row_sum{}, image.rows(cols));
  for (std::size_t r = 0; r < rows; ++r) REQUIRE(sums[r] == static_cast<double>(r * cols));

  // In place in the segment: the caller's buffer itself changes.
  pool.bulk_for_each(stest::brighten{.by = 0.5f}, image.rows(cols));
  CHECK(image[0] == 0.5f);
  CHECK(image[rows * cols - 1] == static_cast<float>(rows - 1) + 0.5f);

  // Rows in private memory are copied in, changed by the worker, and copied back.
  std::vector<float> priv(rows * cols, 1.0f);
  pool.bulk_for_each(stest::brighten{.by = 2}, be::rows(std::span(priv), cols));
  CHECK(priv[0] == 3.0f);
  CHECK(priv[rows * cols - 1] == 3.0f);
  std::vector<double> priv_sums(rows);
  pool.bulk_map(stest::row_sum{}, be::rows(std::span(std::as_const(priv)), cols), priv_sums.begin());
  CHECK(priv_sums[63] == 3.0 * cols);

  // Rows of different lengths, some in the segment and some not.
  std::vector<be::row_view<const float>> mixed{image.rows(cols)[1], be::row_view<const float>(priv.data(), 10),
                                               be::row_view<const float>(), image.rows(cols)[2]};
  std::vector<double> mixed_sums(4, -1);
  pool.bulk_map(stest::row_sum{}, mixed, mixed_sums.data());
  CHECK(mixed_sums == std::vector<double>{1.5 * cols, 30.0, 0.0, 2.5 * cols});
}

TEST_CASE("submit passes one item through the segment", "[shm][pool][submit]") {
  be::shared_memory_pool pool(2);
  CHECK(is_affine_of(pool.submit(stest::affine_vec{}, vec_of(7)).get(), 7));
  std::vector<float> row(100, 2.0f);
  CHECK(pool.submit(stest::row_sum{}, be::row_view<const float>(row.data(), row.size())).get() == 200.0);
  auto bad = pool.submit(stest::square_or_throw{.period = 10, .bad = 3}, 13);
  CHECK_THROWS_WITH(bad.get(), "item 13");
  std::vector<std::future<std::int64_t>> fs;
  for (int i = 0; i < 50; ++i) fs.push_back(pool.submit(stest::square_or_throw{}, i));
  for (int i = 0; i < 50; ++i) CHECK(fs[static_cast<std::size_t>(i)].get() == static_cast<std::int64_t>(i) * i);
  CHECK(pool.stats().segment.in_use_bytes == 0);  // every block given back
}

TEST_CASE("an item that throws fails alone; the report names it and the others stand", "[shm][pool][failures]") {
  be::shared_memory_pool pool(2);
  std::vector<std::int32_t> in(1000);
  std::iota(in.begin(), in.end(), 0);
  std::vector<std::int64_t> out(in.size(), -1);
  const stest::square_or_throw op{.period = 100, .bad = 7};  // items 7, 107, ..., 907
  const be::bulk_report r = pool.try_bulk_map(op, in, out.begin(), {.chunk = 64});
  CHECK_FALSE(r.ok());
  CHECK(r.failed_items() == 10);
  CHECK(r.failed(7));
  CHECK(r.failed(907));
  CHECK_FALSE(r.failed(8));
  const auto idx = r.failed_indices();
  REQUIRE(idx.size() == 10);
  CHECK(idx.front() == 7);
  CHECK(idx.back() == 907);
  CHECK_THROWS_WITH(r.rethrow(), "item 7");
  for (std::size_t i = 0; i < in.size(); ++i) {
    if (r.failed(i)) REQUIRE(out[i] == -1);  // a failed item's output is left alone
    else REQUIRE(out[i] == static_cast<std::int64_t>(i) * static_cast<std::int64_t>(i));
  }
  // bulk_map and map throw the lowest failure with its type, as every executor does.
  CHECK_THROWS_AS(pool.bulk_map(op, in, out.begin()), std::invalid_argument);
  CHECK_THROWS_WITH(pool.map(op, in), "item 7");
  be::mapped<std::int64_t> m = pool.try_map(op, in);
  CHECK(m.report.failed_items() == 10);
  CHECK(m.values[999] == 999 * 999);
}

TEST_CASE("a cancelled call sends nothing more and gives back its blocks", "[shm][pool][cancel]") {
  be::shared_memory_pool pool(2);
  std::vector<std::int32_t> naps(40, 5);  // 40 chunks of 5 ms
  std::vector<std::int32_t> out(naps.size(), -1);
  std::stop_source stop;
  std::thread canceller([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    stop.request_stop();
  });
  const be::schedule one_by_one{.chunk = 1, .workers = 2};
  const be::bulk_report r = pool.try_bulk_map(stest::nap_ms{}, naps, out.begin(), one_by_one, stop.get_token());
  canceller.join();
  REQUIRE_FALSE(r.ok());
  CHECK(r.failed_items() < naps.size());  // some ran before the stop
  CHECK(r.failed(naps.size() - 1));
  CHECK_THROWS_AS(r.rethrow(), be::call_cancelled);
  for (std::size_t i = 0; i < naps.size(); ++i) CHECK(out[i] == (r.failed(i) ? -1 : 5));
  CHECK(pool.stats().segment.in_use_bytes == 0);
}

TEST_CASE("100 calls reuse the segment: no growth in mapped or resident memory", "[shm][pool][reuse]") {
  be::shared_memory_pool pool(2);
  std::vector<stest::vec256> in;
  for (int i = 0; i < 2048; ++i) in.push_back(vec_of(i % 97));  // 2 MiB in, 2 MiB out
  std::vector<stest::vec256> out(in.size());
  const std::int32_t w0 = pool.submit(stest::worker_pid{}, 0).get();
  for (int i = 0; i < 3; ++i) pool.bulk_map(stest::affine_vec{}, in, out.begin());  // warm up
  const auto here = breakeven_test::shared_segment_mappings();
  const auto worker = breakeven_test::shared_segment_mappings(w0);
  const auto seg = pool.stats().segment;
  for (int i = 0; i < 100; ++i) pool.bulk_map(stest::affine_vec{}, in, out.begin());
  const auto seg_after = pool.stats().segment;
  CHECK(seg_after.grows == seg.grows);
  CHECK(seg_after.size_bytes == seg.size_bytes);
  CHECK(seg_after.reuses - seg.reuses == seg_after.allocations - seg.allocations);  // every block reused
  const auto here_after = breakeven_test::shared_segment_mappings();
  CHECK(here_after.count == here.count);
  CHECK(here_after.size_kb == here.size_kb);
  CHECK(here_after.rss_kb <= here.rss_kb);
  REQUIRE(worker.count >= 1);
  const auto worker_after = breakeven_test::shared_segment_mappings(w0);
  CHECK(worker_after.count == worker.count);
  CHECK(worker_after.size_kb == worker.size_kb);
  CHECK(is_affine_of(out[2047], 2047 % 97));
}

TEST_CASE("a call grows the segment at most once, before it sends any work", "[shm][pool][reuse]") {
  be::shared_memory_pool pool(2);
  std::vector<stest::vec256> in(3000, vec_of(1)), out(in.size());  // 3 MiB in, 3 MiB out
  pool.bulk_map(stest::affine_vec{}, in, out.begin());
  CHECK(pool.stats().segment.grows == 1);
  CHECK(pool.stats().segment.size_bytes >= 2 * in.size() * sizeof(stest::vec256));
  CHECK(is_affine_of(out[2999], 1));
}
