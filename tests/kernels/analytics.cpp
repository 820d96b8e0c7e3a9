// Session analytics: statistics checked by hand on a small session, the percentiles' ranks,
// bad records refused with the record named, and generated sessions summarised consistently.
#include <kernels/analytics.hpp>

#include <kernels/data.hpp>

#include <catch2/catch.hpp>

#include <cmath>
#include <limits>

namespace ex = breakeven::examples;

namespace {
ex::session five_records() {
  // The values 1..5 out of order, across three categories, two server errors.
  const double values[] = {3, 1, 5, 2, 4};
  const std::uint16_t categories[] = {0, 1, 1, 2, 0};
  const std::uint16_t statuses[] = {200, 503, 200, 200, 500};
  ex::session s;
  for (int i = 0; i < 5; ++i)
    s.push_back({.id = static_cast<std::uint64_t>(i), .user = 9, .category = categories[i], .status = statuses[i],
                 .timestamp_ms = 1000 + 250 * i, .value = values[i]});
  return s;
}
}  // namespace

TEST_CASE("a session's count, sum, mean, variance and extremes", "[kernels][analytics]") {
  const ex::session_summary r = ex::session_analytics{}(five_records());
  CHECK(r.user == 9);
  CHECK(r.count == 5);
  CHECK(r.sum == 15);
  CHECK(r.mean == Approx(3.0));
  CHECK(r.variance == Approx(2.5));  // sum of squared deviations 10, over n - 1 = 4
  CHECK(r.min == 1);
  CHECK(r.max == 5);
  CHECK(r.duration_ms == 1000);
  CHECK(r.errors == 2);
  CHECK(r.per_category[0] == 2);
  CHECK(r.per_category[1] == 2);
  CHECK(r.per_category[2] == 1);
  CHECK(r.per_category_sum[0] == 7);
  CHECK(r.per_category_sum[1] == 6);
  CHECK(r.per_category_sum[2] == 2);
}

TEST_CASE("nearest-rank percentiles", "[kernels][analytics]") {
  const ex::session_summary r = ex::session_analytics{}(five_records());
  CHECK(r.p50 == 3);  // rank ceil(2.5) = 3
  CHECK(r.p95 == 5);  // rank ceil(4.75) = 5
  std::vector<double> v;
  for (int i = 100; i >= 1; --i) v.push_back(i);
  CHECK(ex::session_analytics::nearest_rank(v, 50) == 50);
  CHECK(ex::session_analytics::nearest_rank(v, 95) == 95);
  CHECK(ex::session_analytics::nearest_rank(v, 1) == 1);
  std::vector<double> one{7};
  CHECK(ex::session_analytics::nearest_rank(one, 95) == 7);
}

TEST_CASE("empty and one-record sessions", "[kernels][analytics]") {
  const auto empty = ex::session_analytics{}(ex::session{});
  CHECK(empty.count == 0);
  CHECK(empty.sum == 0);
  ex::session one{{.id = 1, .user = 3, .value = 42}};
  const auto r = ex::session_analytics{}(one);
  CHECK(r.count == 1);
  CHECK(r.mean == 42);
  CHECK(r.variance == 0);
  CHECK(r.p50 == 42);
  CHECK(r.duration_ms == 0);
}

TEST_CASE("bad records are refused, naming the record", "[kernels][analytics]") {
  ex::session s = five_records();
  s[3].category = 8;
  CHECK_THROWS_WITH(ex::session_analytics{}(s), Catch::Contains("record 3 has category 8"));
  s = five_records();
  s[2].user = 10;
  CHECK_THROWS_WITH(ex::session_analytics{}(s), Catch::Contains("record 2 belongs to user 10"));
  s = five_records();
  s[4].value = std::numeric_limits<double>::quiet_NaN();
  CHECK_THROWS_WITH(ex::session_analytics{}(s), Catch::Contains("record 4 has a value that is not finite"));
}

TEST_CASE("generated sessions: summaries agree with a direct computation", "[kernels][analytics][data]") {
  const auto sessions = ex::make_sessions(50, 3);
  for (const auto& s : sessions) {
    const auto r = ex::session_analytics{}(s);
    REQUIRE(r.count == s.size());
    double sum = 0, sq = 0;
    for (const auto& rec : s) sum += rec.value;
    const double mean = sum / static_cast<double>(s.size());
    for (const auto& rec : s) sq += (rec.value - mean) * (rec.value - mean);
    CHECK(r.sum == Approx(sum));
    CHECK(r.mean == Approx(mean));
    CHECK(r.variance == Approx(sq / static_cast<double>(s.size() - 1)));
    CHECK(r.min <= r.p50);
    CHECK(r.p50 <= r.p95);
    CHECK(r.p95 <= r.max);
    std::uint32_t per_category = 0;
    for (auto c : r.per_category) per_category += c;
    CHECK(per_category == r.count);
  }
}
