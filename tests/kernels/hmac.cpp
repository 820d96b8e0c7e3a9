// HMAC-SHA256 against RFC 4231's test cases, and the encodings JWTs use (RFC 4648).
#include <kernels/hmac.hpp>

#include <kernels/encoding.hpp>

#include <catch2/catch.hpp>

#include <string>

namespace ex = breakeven::examples;

namespace {
std::string mac_hex(const std::string& key, const std::string& data) {
  return ex::to_hex(ex::hmac_sha256(key).mac(data));
}
}  // namespace

TEST_CASE("HMAC-SHA256, RFC 4231 test cases 1 to 4", "[kernels][hmac]") {
  CHECK(mac_hex(std::string(20, '\x0b'), "Hi There") ==
        "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
  CHECK(mac_hex("Jefe", "what do ya want for nothing?") ==
        "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  CHECK(mac_hex(std::string(20, '\xaa'), std::string(50, '\xdd')) ==
        "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe");
  std::string key4;
  for (int i = 1; i <= 25; ++i) key4 += static_cast<char>(i);
  CHECK(mac_hex(key4, std::string(50, '\xcd')) == "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b");
}

TEST_CASE("HMAC-SHA256, RFC 4231 test case 5 (truncated to 128 bits)", "[kernels][hmac]") {
  CHECK(mac_hex(std::string(20, '\x0c'), "Test With Truncation").substr(0, 32) == "a3b6167473100ee06e0c796c2955552b");
}

TEST_CASE("HMAC-SHA256, RFC 4231 test cases 6 and 7 (a key longer than a block)", "[kernels][hmac]") {
  const std::string key(131, '\xaa');
  CHECK(mac_hex(key, "Test Using Larger Than Block-Size Key - Hash Key First") ==
        "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
  CHECK(mac_hex(key,
                "This is a test using a larger than block-size key and a larger than block-size data. "
                "The key needs to be hashed before being used by the HMAC algorithm.") ==
        "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2");
}

TEST_CASE("one HMAC object signs many messages independently", "[kernels][hmac]") {
  const ex::hmac_sha256 key("Jefe");
  const auto first = key.mac(std::string_view("what do ya want for nothing?"));
  (void)key.mac(std::string_view("something else entirely"));
  CHECK(key.mac(std::string_view("what do ya want for nothing?")) == first);
  STATIC_REQUIRE(std::is_trivially_copyable_v<ex::hmac_sha256>);
}

TEST_CASE("base64url round-trips RFC 4648's examples without padding", "[kernels][encoding]") {
  const std::pair<const char*, const char*> vectors[] = {{"", ""},         {"f", "Zg"},         {"fo", "Zm8"},
                                                         {"foo", "Zm9v"},  {"foob", "Zm9vYg"},  {"fooba", "Zm9vYmE"},
                                                         {"foobar", "Zm9vYmFy"}};
  for (const auto& [plain, encoded] : vectors) {
    CHECK(ex::base64url_encode(std::string_view(plain)) == encoded);
    CHECK(ex::base64url_decode(encoded) == std::optional<std::string>(plain));
  }
  // The URL-safe alphabet: 0xfb 0xff encode to "-_8" where standard base64 has "+/8".
  CHECK(ex::base64url_encode(std::string_view("\xfb\xff")) == "-_8");
  CHECK(ex::base64url_decode("-_8") == std::optional<std::string>("\xfb\xff"));
}

TEST_CASE("base64url refuses what is not canonical base64url", "[kernels][encoding]") {
  CHECK_FALSE(ex::base64url_decode("Zm9v+"));     // standard alphabet
  CHECK_FALSE(ex::base64url_decode("Zm9vYg=="));  // padding
  CHECK_FALSE(ex::base64url_decode("Zm9vY"));     // 4k+1 characters
  CHECK_FALSE(ex::base64url_decode("Zh"));        // leftover bits set ("Zg" is canonical)
  CHECK(ex::base64url_decode("Zg"));
}

TEST_CASE("hex encoding and decoding", "[kernels][encoding]") {
  CHECK(ex::to_hex(std::string_view("\x00\x7f\xff", 3)) == "007fff");
  CHECK(ex::from_hex("007fFF") == std::optional<std::string>(std::string("\x00\x7f\xff", 3)));
  CHECK_FALSE(ex::from_hex("abc"));
  CHECK_FALSE(ex::from_hex("zz"));
}

TEST_CASE("constant_time_equal compares contents and lengths", "[kernels][encoding]") {
  const std::string a = "signature-bytes", b = "signature-bytes", c = "signature-bytez";
  CHECK(ex::constant_time_equal(std::span<const char>(a), std::span<const char>(b)));
  CHECK_FALSE(ex::constant_time_equal(std::span<const char>(a), std::span<const char>(c)));
  CHECK_FALSE(ex::constant_time_equal(std::span<const char>(a), std::span<const char>(a.data(), a.size() - 1)));
}
