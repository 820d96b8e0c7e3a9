// breakeven::map_into with the in-memory sink and the file sink: nothing lost, nothing
// doubled, failures isolated and reported, the queue bounded, orders kept.
#include "support.hpp"

#include <breakeven/pipeline.hpp>
#include <breakeven/sinks/file.hpp>

#include <catch2/catch.hpp>

#include <algorithm>
#include <csignal>
#include <fstream>
#include <set>

using namespace pipeline_test;

namespace {

// Every item is committed exactly once, or reported; never both.
void require_accounted(const breakeven::pipeline_report& r, const std::vector<row>& committed, std::size_t n) {
  REQUIRE(r.committed == committed.size());
  REQUIRE(r.committed + r.failed.size() == n);
  std::set<std::int64_t> seen;
  for (const row& x : committed) REQUIRE(seen.insert(std::get<0>(x)).second);
  for (const auto& d : r.failed) REQUIRE(seen.insert(static_cast<std::int64_t>(d.index)).second);
  REQUIRE(seen.size() == n);
}

// Aborts the worker process on item 13: a process worker that dies mid-chunk. Crashing code
// declares isolation, which sends it to a process executor (forced here to the pool).
struct dies_on_13 {
  using input_type = std::int64_t;
  using output_type = row;
  static constexpr auto cost = std::chrono::microseconds{50};
  static constexpr bool isolation = true;
  row operator()(const std::int64_t& id) const {
    if (id == 13) std::abort();
    return hash_doc{}(id);
  }
};

}  // namespace

TEST_CASE("map_into commits every row once through one writer", "[pipeline]") {
  memory_sink s;
  const auto items = ids(20000);
  const auto r = breakeven::map_into(hash_doc{}, items, s);
  REQUIRE(r.ok());
  require_accounted(r, s.rows, items.size());
  REQUIRE(s.flushes == 1);
  REQUIRE(s.closes == 1);
  REQUIRE(r.batches == s.batches);
  REQUIRE((r.decision.terms.measured || r.decision.terms.inconclusive));  // timed at start-up
  INFO(r.explain());
  REQUIRE(r.explain().find("writer batch") != std::string::npos);
}

TEST_CASE("a constraint-violating row is reported and the rest of its batch commits", "[pipeline][faults]") {
  memory_sink s;
  s.bad = {777};
  breakeven::pipeline_options o;
  o.batch.forced = 500;
  const auto items = ids(5000);
  const auto r = breakeven::map_into(hash_doc{}, items, s, o);
  require_accounted(r, s.rows, items.size());
  REQUIRE(r.failed.size() == 1);
  REQUIRE(r.failed[0].index == 777);
  REQUIRE(r.failed[0].where == breakeven::dead_letter::stage::sink);
  REQUIRE(r.failed[0].reason.find("check constraint") != std::string::npos);
  REQUIRE(r.splits >= 9);  // 500 rows bisected down to the one at fault
  REQUIRE(!r.ok());
}

TEST_CASE("a batch failing transiently is retried with backoff and commits", "[pipeline][faults]") {
  memory_sink s;
  s.transient_failures = 3;
  breakeven::pipeline_options o;
  o.batch.forced = 100;
  const auto items = ids(1000);
  const auto r = breakeven::map_into(hash_doc{}, items, s, o);
  REQUIRE(r.ok());
  require_accounted(r, s.rows, items.size());
  REQUIRE(r.retries == 3);
  REQUIRE(r.splits == 0);
}

TEST_CASE("a sink failing past the retry budget reports its rows, losing none", "[pipeline][faults]") {
  memory_sink s;
  s.transient_failures = 1 << 30;
  breakeven::pipeline_options o;
  o.batch.forced = 64;
  o.retry.transient_budget = std::chrono::milliseconds(20);
  o.retry.max_backoff = std::chrono::milliseconds(2);
  const auto items = ids(300);
  const auto r = breakeven::map_into(hash_doc{}, items, s, o);
  require_accounted(r, s.rows, items.size());
  REQUIRE(r.failed.size() == items.size());
  REQUIRE(r.failed.front().reason == "connection lost");
}

TEST_CASE("a kernel throwing for 1% of the items fails those items only", "[pipeline][faults]") {
  memory_sink s;
  const auto items = ids(10000);
  const auto r = breakeven::map_into(throws_one_percent{}, items, s);
  require_accounted(r, s.rows, items.size());
  REQUIRE(r.failed.size() == 100);
  for (const auto& d : r.failed) {
    REQUIRE(d.index % 100 == 0);
    REQUIRE(d.where == breakeven::dead_letter::stage::kernel);
    REQUIRE(d.reason == "kernel threw: bad document " + std::to_string(d.index));
  }
}

TEST_CASE("a process worker that dies fails its item only", "[pipeline][faults][process]") {
  memory_sink s;
  breakeven::pipeline_options o;
  o.cpu.force = true;
  o.cpu.forced = breakeven::executor_kind::process_pool;
  o.cpu_chunk = 64;
  const auto items = ids(256);
  const auto r = breakeven::map_into(dies_on_13{}, items, s, o);
  require_accounted(r, s.rows, items.size());
  REQUIRE(r.failed.size() == 1);
  REQUIRE(r.failed[0].index == 13);
  REQUIRE(r.failed[0].where == breakeven::dead_letter::stage::kernel);
}

TEST_CASE("a sink slower than its producers keeps the queue within its capacity", "[pipeline][backpressure]") {
  memory_sink s;
  s.per_batch = std::chrono::microseconds(500);
  breakeven::pipeline_options o;
  o.queue_items = 256;
  o.queue_bytes = 64 << 10;
  o.batch.forced = 32;
  const auto items = ids(8000);
  const auto r = breakeven::map_into(hash_doc{}, items, s, o);
  REQUIRE(r.ok());
  require_accounted(r, s.rows, items.size());
  REQUIRE(r.capacity_items == 256);
  REQUIRE(r.peak_items <= 256);
  REQUIRE(r.peak_bytes <= std::size_t{64} << 10);
  REQUIRE(r.peak_items >= 64);  // the producers did run ahead, and were held back
}

TEST_CASE("input order reaches the sink in the items' order", "[pipeline][order]") {
  memory_sink s;
  breakeven::pipeline_options o;
  o.order = breakeven::result_order::input;
  o.cpu_chunk = 97;
  o.cpu_callers = 3;
  const auto items = ids(5000);
  const auto r = breakeven::map_into(hash_doc{}, items, s, o);
  REQUIRE(r.ok());
  for (std::size_t i = 0; i < s.rows.size(); ++i) REQUIRE(std::get<0>(s.rows[i]) == static_cast<std::int64_t>(i));
}

TEST_CASE("a failure at close is reported, not swallowed", "[pipeline][faults]") {
  memory_sink s;
  s.fail_close = true;
  const auto items = ids(100);
  const auto r = breakeven::map_into(hash_doc{}, items, s);
  REQUIRE(r.committed == items.size());
  REQUIRE(!r.ok());
  REQUIRE(r.close_error.find("disk full at close") != std::string::npos);
}

TEST_CASE("the writer's batch follows the break-even rule and the linger", "[pipeline][policy]") {
  // 2 ms per commit, 2 us per row: 5% overhead from 19,000 rows.
  constexpr breakeven::sink_profile p{2'000'000, 2'000, 64, false};
  constexpr auto d = breakeven::decide_sink_batch(p, {});
  STATIC_REQUIRE(d.wanted == 19000);
  STATIC_REQUIRE(d.batch == 19000);
  STATIC_REQUIRE(d.limited_by == breakeven::batch_limit::overhead);
  // A 10 ms linger: the batch must be written in 10 ms, (10 - 2) ms / 2 us = 4,000 rows.
  constexpr auto l = breakeven::decide_sink_batch(p, {.linger_ns = 10'000'000});
  STATIC_REQUIRE(l.batch == 4000);
  STATIC_REQUIRE(l.limited_by == breakeven::batch_limit::linger);
  constexpr auto b = breakeven::decide_sink_batch(p, {.max_bytes = 64 * 1000});
  STATIC_REQUIRE(b.batch == 1000);
  STATIC_REQUIRE(b.limited_by == breakeven::batch_limit::bytes);
  // Measured: 1 row in 2.002 ms, 65 rows in 2.13 ms.
  constexpr auto m = breakeven::sink_terms_from_timings(2'002'000, 2'130'000, 65, 40);
  STATIC_REQUIRE(m.row_ns == 2000);
  STATIC_REQUIRE(m.commit_ns == 2'000'000);
  // A 64-row commit that took 64 times a 1-row one (a stalled fsync) is noise, not a cost.
  constexpr auto noise = breakeven::sink_terms_from_timings(1'000'000, 64'000'000, 64, 40, p);
  STATIC_REQUIRE(noise.inconclusive);
  STATIC_REQUIRE(!noise.measured);
  STATIC_REQUIRE(noise.commit_ns == p.commit_ns);
  STATIC_REQUIRE(breakeven::decide_sink_batch(noise).batch == 19000);
  REQUIRE(breakeven::explain(breakeven::decide_sink_batch(noise)).find("inconclusive") != std::string::npos);
  REQUIRE(breakeven::explain(l).find("linger") != std::string::npos);
  REQUIRE(breakeven::explain(d).find("the smallest such batch") != std::string::npos);
}

TEST_CASE("the file sink appends each batch with one fsync", "[pipeline][file]") {
  temp_dir dir;
  const auto path = (dir.path / "rows.tsv").string();
  const auto items = ids(3000);
  breakeven::pipeline_report r;
  {
    breakeven::sinks::file_sink<row>::options fo;
    fo.path = path;
    breakeven::sinks::file_sink<row> f(fo);
    r = breakeven::map_into(hash_doc{}, items, f);
  }
  REQUIRE(r.ok());
  std::ifstream in(path);
  std::string line;
  std::set<std::int64_t> seen;
  while (std::getline(in, line)) {
    const auto tab = line.find('\t');
    REQUIRE(tab != std::string::npos);
    REQUIRE(seen.insert(std::stoll(line.substr(0, tab))).second);
    REQUIRE(line.substr(line.rfind('\t') + 1).rfind("doc-", 0) == 0);
  }
  REQUIRE(seen.size() == items.size());
}
