// Pattern matching: each of the ten patterns on text it must and must not match, counts,
// generated texts, and the thread-safety the kernel declares, exercised from two threads.
#include <kernels/pattern.hpp>

#include <kernels/data.hpp>

#include <catch2/catch.hpp>

#include <string>
#include <thread>
#include <vector>

namespace ex = breakeven::examples;

namespace {
std::size_t index_of(std::string_view name) {
  for (std::size_t i = 0; i < ex::pattern_count; ++i)
    if (ex::pattern_sources[i].name == name) return i;
  FAIL("no pattern named " << name);
  return 0;
}
unsigned count(std::string_view pattern, const std::string& text) { return ex::pattern_match{}(text).counts[index_of(pattern)]; }
}  // namespace

TEST_CASE("each pattern matches what it names and not its near misses", "[kernels][pattern]") {
  CHECK(count("email", "user alice.smith42@mail.example.org logged in") == 1);
  CHECK(count("email", "alice at example dot com, bob@localhost") == 0);
  CHECK(count("url", "GET https://api.example.com/v1/orders?id=3 and http://10.1.4.22:8443/health") == 2);
  CHECK(count("url", "ftp://files.example.com/x") == 0);
  CHECK(count("ipv4", "from 10.0.3.17 via 192.168.1.254") == 2);
  CHECK(count("ipv4", "version 1.2.3, address 999.1.1.1") == 0);
  CHECK(count("timestamp", "2024-03-14T12:34:56.789Z INFO started") == 1);
  CHECK(count("timestamp", "on 2024-03-14 at noon") == 0);
  CHECK(count("error_level", "x ERROR [db] y; FATAL z") == 2);
  CHECK(count("error_level", "ERRORS error Error") == 0);
  CHECK(count("http_5xx", R"("GET /x HTTP/1.1" 503 120)") == 1);
  CHECK(count("http_5xx", R"("GET /x HTTP/1.1" 404 120)") == 0);
  CHECK(count("uuid", "request 3f2a9c1e-1b2c-4d3e-8f90-123456789abc took") == 1);
  CHECK(count("uuid", "3f2a9c1e-1b2c-0d3e-8f90-123456789abc") == 0);  // version 0
  CHECK(count("card_number", "card 4111 1111 1111 1111 or 5500-0000-0000-0004") == 2);
  CHECK(count("card_number", "order 1234 5678 9012 3456") == 0);
  CHECK(count("jwt", "token eyJhbGciOi.eyJzdWIi.c2ln_-x rejected") == 1);
  CHECK(count("jwt", "token eyJonlyonepart") == 0);
  CHECK(count("sql_injection", "name = '' OR 1=1 -- and UNION SELECT password") == 2);
  CHECK(count("sql_injection", "SELECT id FROM orders WHERE user_id = 5") == 0);
}

TEST_CASE("the mask has a bit per pattern that matched, the counts add up", "[kernels][pattern]") {
  const auto hits = ex::pattern_match{}("ERROR from 10.0.0.1: mail a@b.io, c@d.io");
  CHECK(hits.mask == ((1u << index_of("error_level")) | (1u << index_of("ipv4")) | (1u << index_of("email"))));
  CHECK(hits.counts[index_of("email")] == 2);
  CHECK(hits.total() == 4);
  CHECK(ex::pattern_match{}("").mask == 0);
}

TEST_CASE("generated log texts exercise every pattern", "[kernels][pattern][data]") {
  const auto texts = ex::make_texts(40, 11);
  unsigned seen = 0;
  for (const auto& t : texts) {
    CHECK(t.size() >= 1024);
    seen |= ex::pattern_match{}(t).mask;
  }
  CHECK(seen == (1u << ex::pattern_count) - 1);
}

TEST_CASE("pattern_match is thread-safe: two threads get the sequential results", "[kernels][pattern]") {
  STATIC_REQUIRE(ex::pattern_match::thread_safe);
  const auto texts = ex::make_texts(24, 5, 512);
  std::vector<ex::pattern_hits> expected;
  for (const auto& t : texts) expected.push_back(ex::pattern_match{}(t));
  // Both threads start before the table would be built in a fresh process; here it is built
  // already, so this checks concurrent matching on the shared compiled regexes.
  std::vector<ex::pattern_hits> a(texts.size()), b(texts.size());
  const ex::pattern_match kernel;
  std::thread ta([&] { for (std::size_t i = 0; i < texts.size(); ++i) a[i] = kernel(texts[i]); });
  std::thread tb([&] { for (std::size_t i = texts.size(); i-- > 0;) b[i] = kernel(texts[i]); });
  ta.join();
  tb.join();
  CHECK(a == expected);
  CHECK(b == expected);
}
