// JWT validation: a token from outside this code (jwt.io's HS256 example), the signer's
// round trip, every way a token is refused, and the generated mixes.
#include <kernels/jwt.hpp>

#include <kernels/data.hpp>

#include <catch2/catch.hpp>

#include <cstdlib>
#include <memory>
#include <string>

namespace ex = breakeven::examples;
using ex::jwt_status;

namespace {
constexpr std::int64_t now = ex::jwt_demo_now;
const ex::jwt_validate validator{};

std::string claims(std::int64_t exp) {
  return R"({"sub":"user-7","iat":)" + std::to_string(now - 10) + R"(,"exp":)" + std::to_string(exp) + "}";
}
std::string signed_token(std::int64_t exp) { return ex::make_jwt(ex::hmac_sha256(ex::jwt_demo_secret), claims(exp)); }
}  // namespace

TEST_CASE("jwt.io's HS256 example verifies under its secret", "[kernels][jwt]") {
  const std::string token =
      "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9."
      "eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ."
      "SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c";
  // The signature is right; the token has no "exp" claim, which this validator requires.
  CHECK(ex::jwt_validate("your-256-bit-secret", now)(token) == jwt_status::malformed);
  CHECK(ex::jwt_validate("not-the-secret", now)(token) == jwt_status::bad_signature);
  // Re-signing the same payload with make_jwt reproduces the token exactly.
  CHECK(ex::make_jwt(ex::hmac_sha256("your-256-bit-secret"),
                     R"({"sub":"1234567890","name":"John Doe","iat":1516239022})") == token);
}

TEST_CASE("a signed, unexpired token is valid; expiry is checked against the clock", "[kernels][jwt]") {
  CHECK(validator(signed_token(now + 3600)) == jwt_status::valid);
  CHECK(validator(signed_token(now + 1)) == jwt_status::valid);
  CHECK(validator(signed_token(now)) == jwt_status::expired);
  CHECK(validator(signed_token(now - 3600)) == jwt_status::expired);
  CHECK(ex::jwt_validate(ex::jwt_demo_secret, now - 7200)(signed_token(now - 3600)) == jwt_status::valid);
}

TEST_CASE("tampering with any part of a token breaks its signature", "[kernels][jwt]") {
  const std::string good = signed_token(now + 3600);
  const auto d1 = good.find('.'), d2 = good.rfind('.');
  const std::string forged_payload = ex::base64url_encode(R"({"sub":"admin","exp":9999999999})");
  CHECK(validator(good.substr(0, d1 + 1) + forged_payload + good.substr(d2)) == jwt_status::bad_signature);
  for (std::size_t at : {d2 + 1, d2 + 10, good.size() - 2}) {
    std::string t = good;
    t[at] = t[at] == 'A' ? 'B' : 'A';
    CHECK(validator(t) == jwt_status::bad_signature);
  }
  CHECK(ex::jwt_validate("another-secret", now)(good) == jwt_status::bad_signature);
}

TEST_CASE("tokens that are not well-formed HS256 tokens are refused as such", "[kernels][jwt]") {
  const std::string good = signed_token(now + 3600);
  CHECK(validator("") == jwt_status::malformed);
  CHECK(validator("no-dots-at-all") == jwt_status::malformed);
  CHECK(validator(good.substr(0, good.rfind('.'))) == jwt_status::malformed);  // two parts
  CHECK(validator(good + ".extra") == jwt_status::malformed);                   // four parts
  CHECK(validator(good.substr(0, good.size() - 1)) == jwt_status::malformed);    // 31-byte signature
  CHECK(validator("e30+." + good.substr(good.find('.') + 1)) == jwt_status::malformed);  // not base64url
  const std::string none = ex::base64url_encode(R"({"alg":"none"})") + good.substr(good.find('.'));
  CHECK(validator(none) == jwt_status::unsupported_alg);
  const std::string rs256 = ex::base64url_encode(R"({"typ":"JWT", "alg" : "RS256"})") + good.substr(good.find('.'));
  CHECK(validator(rs256) == jwt_status::unsupported_alg);
  // A payload without "exp", or with a non-numeric one, signed correctly.
  const ex::hmac_sha256 key(ex::jwt_demo_secret);
  CHECK(validator(ex::make_jwt(key, R"({"sub":"x"})")) == jwt_status::malformed);
  CHECK(validator(ex::make_jwt(key, R"({"sub":"x","exp":"soon"})")) == jwt_status::malformed);
}

TEST_CASE("the claim reader finds members, not values that look like names", "[kernels][jwt]") {
  using ex::detail::json_member;
  CHECK(json_member(R"({"a":"exp","exp":42})", "exp") == std::optional<std::string_view>("42"));
  CHECK(json_member(R"({ "alg" : "HS256" })", "alg") == std::optional<std::string_view>("HS256"));
  CHECK_FALSE(json_member(R"({"sub":"exp"})", "exp"));
  CHECK_FALSE(json_member("", "exp"));
}

TEST_CASE("generated token sets get the verdicts they were made for", "[kernels][jwt][data]") {
  const ex::token_set set = ex::make_tokens(500, 7);
  REQUIRE(set.tokens.size() == 500);
  REQUIRE(set.expected.size() == 500);
  std::size_t by_status[5]{};
  for (std::size_t i = 0; i < set.tokens.size(); ++i) {
    INFO("token " << i << ": " << set.tokens[i]);
    CHECK(validator(set.tokens[i]) == set.expected[i]);
    ++by_status[static_cast<int>(set.expected[i])];
  }
  // Every verdict occurs, valid the most often.
  for (std::size_t n : by_status) CHECK(n > 0);
  CHECK(by_status[0] > 250);
}

TEST_CASE("tokens signed by libjwt's own encoder validate; a tampered one does not", "[kernels][jwt][libjwt]") {
  // The validator reads tokens written by another implementation (libjwt's jwt_encode_str,
  // which orders and spaces its JSON its own way), under a known key.
  jwt_t* raw = nullptr;
  REQUIRE(jwt_new(&raw) == 0);
  const std::unique_ptr<jwt_t, void (*)(jwt_t*)> j(raw, &jwt_free);
  const std::string secret(ex::jwt_demo_secret);
  REQUIRE(jwt_set_alg(j.get(), JWT_ALG_HS256, reinterpret_cast<const unsigned char*>(secret.data()),
                      static_cast<int>(secret.size())) == 0);
  REQUIRE(jwt_add_grant(j.get(), "sub", "user-9") == 0);
  REQUIRE(jwt_add_grant_int(j.get(), "exp", now + 60) == 0);
  const std::unique_ptr<char, void (*)(void*)> encoded(jwt_encode_str(j.get()), &std::free);
  REQUIRE(encoded);
  const std::string token(encoded.get());
  CHECK(validator(token) == jwt_status::valid);
  CHECK(ex::jwt_validate(ex::jwt_demo_secret, now + 60)(token) == jwt_status::expired);
  std::string tampered = token;
  tampered[tampered.size() - 2] = tampered[tampered.size() - 2] == 'A' ? 'B' : 'A';
  CHECK(validator(tampered) == jwt_status::bad_signature);
}
