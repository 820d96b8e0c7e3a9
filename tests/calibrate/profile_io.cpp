// Profile files: the JSON round trip, strict reading of hostile documents, the run-time
// fallback, and the header writer.
#include <breakeven/profile_io.hpp>

#include <catch2/catch.hpp>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <unistd.h>

namespace be = breakeven;

namespace {

// Every term compared, by the same table the reader and writers use.
void require_same(const be::machine_profile& a, const be::machine_profile& b) {
  CHECK(std::string(a.name) == std::string(b.name));
  for (const auto& f : be::detail::profile_fields) {
    INFO("term " << f.key);
    switch (f.kind) {
      case be::detail::profile_field::type::real: CHECK(a.*(f.real) == b.*(f.real)); break;
      case be::detail::profile_field::type::count: CHECK(a.*(f.count) == b.*(f.count)); break;
      case be::detail::profile_field::type::flag: CHECK(a.*(f.flag) == b.*(f.flag)); break;
      case be::detail::profile_field::type::text: break;
    }
  }
}

constexpr be::machine_profile measured{
    .name = "measured-vm.2",
    .cores = 2,
    .call_overhead_ns = 0,
    .thread_start_ns = 79'812.5,
    .thread_dispatch_ns = 407.123456789,
    .wake_ns = 50'171,
    .process_start_ns = 201'846.5,
    .process_dispatch_ns = 3'307.25,
    .pipe_ns_per_byte = 0.15532684326171875,
    .shm_setup_ns = 4'330.5,
    .shm_page_ns = 1'027.59423828125,
    .page_bytes = 4096,
    .memcpy_ns_per_byte = 0.06903716921806335,
    .memory_bound_scaling = 1.93,
    .io_threads = 16,
    .overhead_factor = 2,
    .min_speedup = 1.2,
    .assume_warm = false,
};

std::string with(std::string_view key, std::string_view raw) {
  // The measured profile as JSON with one member's value replaced by `raw` (or removed).
  std::string text = be::profile_json(measured);
  const std::string k = "\"" + std::string(key) + "\": ";
  const auto at = text.find(k);
  REQUIRE(at != std::string::npos);
  const auto end = text.find_first_of(",\n", at + k.size());
  if (raw.empty()) {
    const auto line_start = text.rfind('\n', at);
    text.erase(line_start, end + 1 - line_start);  // the line, and the comma that ends it
  } else {
    text.replace(at + k.size(), end - at - k.size(), raw);
  }
  return text;
}

std::string error_of(const std::string& text) {
  try {
    (void)be::parse_profile(text, "test.json");
  } catch (const be::profile_error& e) {
    return e.what();
  }
  return "(no error)";
}

}  // namespace

TEST_CASE("profiles round-trip through JSON exactly", "[calibrate][json]") {
  for (const auto& p : {measured, be::profiles::conservative::value, be::profiles::guide::value,
                        be::profiles::lecture::value}) {
    const auto doc = be::parse_profile(be::profile_json(p));
    require_same(doc.profile, p);
    CHECK(doc.learned.empty());
  }
}

TEST_CASE("learned costs round-trip beside the profile", "[calibrate][json]") {
  const std::vector<be::learned_entry> learned{{"sha256", 1'873.25, 0, 12}, {"parse \"json\"", 10.5, 0.25, 3}};
  const auto doc = be::parse_profile(be::profile_json(measured, learned, R"({"seconds": 12.5})"));
  require_same(doc.profile, measured);
  REQUIRE(doc.learned.size() == 2);
  CHECK(doc.learned[0].kernel == "sha256");
  CHECK(doc.learned[0].ns_per_item == 1'873.25);
  CHECK(doc.learned[0].samples == 12);
  CHECK(doc.learned[1].kernel == "parse \"json\"");
  CHECK(doc.learned[1].ns_per_byte == 0.25);
}

TEST_CASE("hostile profile documents give errors that name the fault", "[calibrate][json]") {
  struct bad {
    std::string text;
    std::string expected;
  };
  const std::vector<bad> cases{
      {"", "malformed JSON: line 1 column 1: unexpected end"},
      {"[]", "expected a JSON object, found an array"},
      {"{\"format\": \"breakeven-profile/1\",}", "malformed JSON"},
      {"{} trailing", "unexpected characters after the document"},
      {"{\"name\": \"x\"}", "missing key \"format\""},
      {"{\"format\": \"breakeven-profile/2\"}", "key \"format\": expected \"breakeven-profile/1\""},
      {with("wake_ns", ""), "missing key \"wake_ns\""},
      {with("wake_ns", "\"50 us\""), "key \"wake_ns\" (line 8 column 14): expected a number, found a string"},
      {with("wake_ns", "NaN"), "NaN, Infinity and comments are not JSON"},
      {with("wake_ns", "Infinity"), "not JSON"},
      {with("wake_ns", "-1"), "key \"wake_ns\" (line 8 column 14): -1 is out of range [0, 1e+12]"},
      {with("wake_ns", "1e400"), "number 1e400 is out of range"},
      {with("wake_ns", "1e13"), "is out of range"},
      {with("wake_ns", "01"), "leading zeros are not JSON"},
      {with("wake_ns", "null"), "expected a number, found null"},
      {with("cores", "0"), "key \"cores\""},
      {with("cores", "2.5"), "expected a whole number, found 2.5"},
      {with("cores", "4294967296"), "out of range"},
      {with("min_speedup", "0.5"), "key \"min_speedup\""},
      {with("assume_warm", "1"), "key \"assume_warm\" (line 20 column 18): expected true or false, found a number"},
      {with("name", "\"bad name; rm -rf\""), "key \"name\""},
      {with("name", "42"), "key \"name\""},
      {with("page_bytes", "0"), "key \"page_bytes\""},
      {be::profile_json(measured).insert(1, "\"wake_nss\": 1,"), "unknown key \"wake_nss\""},
      {be::profile_json(measured).insert(1, "\"wake_ns\": 1,"), "duplicate key \"wake_ns\""},
      {be::profile_json(measured).insert(1, "\"learned\": [],"), "key \"learned\": expected an object, found an array"},
      {be::profile_json(measured).insert(1, "\"learned\": {\"k\": {\"ns_per_item\": -3}},"), "out of range"},
      {be::profile_json(measured).insert(1, "\"learned\": {\"k\": {\"samples\": 1}},"), "learned cost \"k\""},
      {std::string(100, '[') + std::string(100, ']'), "nesting deeper than 16"},
      {"{\"format\": \"breakeven-profile/1\", \"name\": \"a\x01\"}", "control character in a string"},
      {"{\"format\": \"\\ud800\"}", "unpaired surrogate"},
  };
  for (const auto& c : cases) {
    INFO("document: " << c.text);
    const std::string err = error_of(c.text);
    CHECK_THAT(err, Catch::Contains(c.expected));
    CHECK_THAT(err, Catch::StartsWith("test.json: "));
  }
}

TEST_CASE("profile files: missing and unreadable files are errors naming the path", "[calibrate][json]") {
  CHECK_THROWS_WITH(be::load_profile("/nonexistent/dir/profile.json"),
                    Catch::Contains("/nonexistent/dir/profile.json: cannot open the profile file"));
  const std::string path = "breakeven_test_profile_" + std::to_string(::getpid()) + ".json";
  {
    std::ofstream(path) << be::profile_json(measured);
  }
  require_same(be::load_profile(path).profile, measured);
  std::remove(path.c_str());
}

TEST_CASE("BREAKEVEN_PROFILE: used when good, logged and replaced by the fallback when bad", "[calibrate][env]") {
  const std::string path = "breakeven_test_env_profile_" + std::to_string(::getpid()) + ".json";
  {
    std::ofstream(path) << be::profile_json(measured);
  }
  ::setenv(be::profile_env, path.c_str(), 1);
  require_same(be::profile_from_environment(be::profiles::conservative::value).profile, measured);

  {
    std::ofstream(path) << with("wake_ns", "-5");
  }
  require_same(be::profile_from_environment(be::profiles::conservative::value).profile,
               be::profiles::conservative::value);
  ::setenv(be::profile_env, "/nonexistent/profile.json", 1);
  require_same(be::profile_from_environment(be::profiles::guide::value).profile, be::profiles::guide::value);
  ::unsetenv(be::profile_env);
  require_same(be::profile_from_environment(be::profiles::lecture::value).profile, be::profiles::lecture::value);
  std::remove(path.c_str());
}

TEST_CASE("the header writer emits the profile as a constexpr type", "[calibrate][header]") {
  const std::string h = be::profile_header(measured, "calibrated", "line one\nline two");
  CHECK_THAT(h, Catch::Contains("namespace breakeven::profiles {\nstruct calibrated {"));
  CHECK_THAT(h, Catch::Contains("static constexpr machine_profile value{"));
  CHECK_THAT(h, Catch::Contains(".wake_ns = 50171,"));
  CHECK_THAT(h, Catch::Contains(".pipe_ns_per_byte = 0.15532684326171875,"));
  CHECK_THAT(h, Catch::Contains(".cores = 2u,"));
  CHECK_THAT(h, Catch::Contains(".assume_warm = false,"));
  CHECK_THAT(h, Catch::Contains("// line two\n"));
  CHECK_THROWS_WITH(be::profile_header(measured, "not an identifier"), Catch::Contains("not a C++ identifier"));
  be::machine_profile broken = measured;
  broken.wake_ns = -1;
  CHECK_THROWS_WITH(be::profile_header(broken), Catch::Contains("key \"wake_ns\""));
}

TEST_CASE("truncated and corrupted profile documents are errors, never crashes", "[calibrate][json]") {
  const std::string good = be::profile_json(measured, {{"k", 1.5, 0, 2}});
  for (std::size_t n = 0; n < good.size() - 2; ++n) {  // every proper prefix (the last bytes are "}\n")
    INFO("prefix of " << n << " bytes");
    CHECK_THROWS_AS(be::parse_profile(good.substr(0, n)), be::profile_error);
  }
  std::uint64_t x = 0x9E3779B97F4A7C15ull;  // a fixed sequence of corruptions: the test is repeatable
  std::size_t rejected = 0;
  for (int i = 0; i < 2'000; ++i) {
    std::string bad = good;
    for (int k = 0; k < 3; ++k) {
      x ^= x << 13;
      x ^= x >> 7;
      x ^= x << 17;
      bad[x % bad.size()] = static_cast<char>(x >> 56);
    }
    try {
      const auto doc = be::parse_profile(bad);
      CHECK_NOTHROW(be::validate_profile(doc.profile));  // whatever is accepted is a valid profile
    } catch (const be::profile_error&) {
      ++rejected;
    }
  }
  CHECK(rejected > 1'500);
}
