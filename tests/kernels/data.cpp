// The data generator: deterministic for a seed, item i independent of the batch size,
// different seeds giving different data, sizes as documented.
#include <kernels/data.hpp>

#include <catch2/catch.hpp>

#include <algorithm>
#include <set>

namespace ex = breakeven::examples;

TEST_CASE("the generator is deterministic and splits into streams", "[kernels][data]") {
  ex::prng a(1), b(1), c(2), d(1, 1);
  const auto first = a.next();
  CHECK(first == b.next());
  CHECK(first != c.next());
  CHECK(first != d.next());
  for (int i = 0; i < 1000; ++i) {
    const auto v = a.below(10);
    CHECK(v < 10);
    const double u = a.uniform(2, 3);
    CHECK(u >= 2);
    CHECK(u < 3);
  }
  // Neighbouring seeds start far apart.
  std::set<std::uint64_t> seen;
  for (std::uint64_t s = 0; s < 64; ++s) seen.insert(ex::prng(s).next());
  CHECK(seen.size() == 64);
}

TEST_CASE("a batch is a prefix of a larger batch of the same seed", "[kernels][data]") {
  const auto buffers5 = ex::make_buffers(5, 9), buffers8 = ex::make_buffers(8, 9);
  CHECK(std::equal(buffers5.begin(), buffers5.end(), buffers8.begin()));
  const auto texts5 = ex::make_texts(5, 9), texts8 = ex::make_texts(8, 9);
  CHECK(std::equal(texts5.begin(), texts5.end(), texts8.begin()));
  const auto lines5 = ex::make_log_lines(5, 9), lines8 = ex::make_log_lines(8, 9);
  CHECK(std::equal(lines5.begin(), lines5.end(), lines8.begin()));
  const auto tokens5 = ex::make_tokens(5, 9), tokens8 = ex::make_tokens(8, 9);
  CHECK(std::equal(tokens5.tokens.begin(), tokens5.tokens.end(), tokens8.tokens.begin()));
  const auto s5 = ex::make_sessions(5, 9), s8 = ex::make_sessions(8, 9);
  for (std::size_t i = 0; i < 5; ++i) {
    REQUIRE(s5[i].size() == s8[i].size());
    for (std::size_t j = 0; j < s5[i].size(); ++j) CHECK(s5[i][j].value == s8[i][j].value);
  }
  const auto p5 = ex::make_integrals(5, 9), p8 = ex::make_integrals(8, 9);
  for (std::size_t i = 0; i < 5; ++i) CHECK(p5[i].omega == p8[i].omega);
}

TEST_CASE("different seeds give different data", "[kernels][data]") {
  CHECK(ex::make_buffers(3, 1) != ex::make_buffers(3, 2));
  CHECK(ex::make_texts(3, 1) != ex::make_texts(3, 2));
  CHECK(ex::make_tokens(3, 1).tokens != ex::make_tokens(3, 2).tokens);
}

TEST_CASE("generated items have the documented sizes and ranges", "[kernels][data]") {
  for (const auto& b : ex::make_buffers(4, 1, 100)) CHECK(b.size() == 100);
  for (const auto& s : ex::make_sessions(50, 1, 40)) {
    CHECK(s.size() >= 20);
    CHECK(s.size() <= 60);
    CHECK(std::is_sorted(s.begin(), s.end(), [](const auto& x, const auto& y) { return x.timestamp_ms < y.timestamp_ms; }));
    for (const auto& r : s) {
      CHECK(r.category < ex::category_count);
      CHECK(r.value >= 0);
    }
  }
  for (const auto& l : ex::make_log_lines(200, 1)) {
    CHECK(l.size() >= 30);
    CHECK(l.size() <= 300);
    CHECK(l.find('\n') == std::string::npos);
  }
  for (const auto& p : ex::make_integrals(100, 1, 1000)) {
    CHECK(p.panels >= 200);
    CHECK(p.panels <= 1800);
    CHECK(p.alpha >= 0);
    CHECK(p.alpha < 2);
    CHECK(p.omega > 0);
  }
}
