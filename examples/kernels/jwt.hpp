// kernels/jwt.hpp - JSON Web Token validation with HS256 (the Python multiprocessing guide's
// "JWT validation") by libjwt, as a user's service does it: the token's shape and algorithm
// checked first, then libjwt verifies the signature and parses the claims, then the expiry;
// and the signer (OpenSSL's HMAC) that makes tokens for tests and demos.
#pragma once

#include "encoding.hpp"
#include "hmac.hpp"

#include <breakeven/traits.hpp>

#include <jwt.h>

#include <charconv>
#include <chrono>
#include <cstdlib>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace breakeven::examples {

/// The verdict on one token.
enum class jwt_status : std::uint8_t {
  valid,            ///< signature verified, not expired
  malformed,        ///< not three base64url parts, a bad signature length, no "exp" claim
  unsupported_alg,  ///< the header's "alg" is not HS256
  bad_signature,    ///< the signature does not verify under the key
  expired,          ///< "exp" is not after the validator's clock
};

/// The verdict's name.
constexpr std::string_view to_string(jwt_status s) noexcept {
  switch (s) {
    case jwt_status::valid: return "valid";
    case jwt_status::malformed: return "malformed";
    case jwt_status::unsupported_alg: return "unsupported_alg";
    case jwt_status::bad_signature: return "bad_signature";
    case jwt_status::expired: return "expired";
  }
  return "?";
}

/// The secret the demos and tests sign with (HS256 keys should have at least 256 bits).
inline constexpr std::string_view jwt_demo_secret = "breakeven-demo-secret-of-32-bytes!";
/// The validators' fixed clock in the demos, seconds since the epoch (2024-01-01T00:00:00Z),
/// so that the same tokens get the same verdicts on every run.
inline constexpr std::int64_t jwt_demo_now = 1'704'067'200;
/// The header of every token signed here: {"alg":"HS256","typ":"JWT"}.
inline constexpr std::string_view jwt_hs256_header = R"({"alg":"HS256","typ":"JWT"})";

namespace detail {
/// The raw value of a top-level member of a flat JSON object: the characters of a string
/// without its quotes, or of a number; nullopt when absent. Enough for JWT headers and claims
/// (no nesting, no escapes in the members read here).
inline std::optional<std::string_view> json_member(std::string_view obj, std::string_view key) {
  std::size_t pos = 0;
  while ((pos = obj.find('"', pos)) != std::string_view::npos) {
    const std::size_t end = obj.find('"', pos + 1);
    if (end == std::string_view::npos) return std::nullopt;
    const std::string_view name = obj.substr(pos + 1, end - pos - 1);
    std::size_t v = obj.find_first_not_of(" \t\r\n", end + 1);
    if (v == std::string_view::npos) return std::nullopt;
    if (obj[v] != ':') {  // a string value, not a name: skip it
      pos = end + 1;
      continue;
    }
    v = obj.find_first_not_of(" \t\r\n", v + 1);
    if (v == std::string_view::npos) return std::nullopt;
    std::size_t value_end;
    std::size_t value_begin = v;
    if (obj[v] == '"') {
      value_begin = v + 1;
      value_end = obj.find('"', value_begin);
      if (value_end == std::string_view::npos) return std::nullopt;
    } else {
      value_end = obj.find_first_of(",} \t\r\n", v);
      if (value_end == std::string_view::npos) value_end = obj.size();
    }
    if (name == key) return obj.substr(value_begin, value_end - value_begin);
    pos = obj[v] == '"' ? value_end + 1 : value_end;
  }
  return std::nullopt;
}
}  // namespace detail

/// Signs a payload (a JSON object) with HS256: base64url(header).base64url(payload).signature.
inline std::string make_jwt(const hmac_sha256& key, std::string_view payload_json) {
  std::string token = base64url_encode(jwt_hs256_header);
  token += '.';
  token += base64url_encode(payload_json);
  const digest256 sig = key.mac(token);
  token += '.';
  token += base64url_encode(std::span<const std::uint8_t>(sig));
  return token;
}

/// Validates an HS256 token under one key and clock. The key's HMAC states are computed once,
/// when the validator is made; each call hashes only the token.
struct jwt_validate {
  using input_type = std::string;
  using output_type = jwt_status;
  static constexpr std::string_view name = "jwt-validate";
  /// The token size `cost` was measured at (a header, five claims, a signature: data.hpp's).
  static constexpr std::size_t representative_bytes = 240;
  // Measured on the shared 2-vCPU development VM, Release build, while other builds ran (load
  // average 16): scripts/bench kernels gave kernel.jwt: 28134 ns/item (data.hpp's token mix), and the unchanged kernels of the same run
  // ran 5x slower than their idle figures, hence ~5 us idle. Re-measure idle to refine.
  static constexpr auto cost = std::chrono::nanoseconds{5'000};
  static constexpr std::size_t bytes_in(const std::string& token) noexcept { return token.size(); }
  static constexpr std::size_t bytes_out = sizeof(jwt_status);
  static constexpr breakeven::bound bound = breakeven::bound::cpu;
  static constexpr breakeven::variance variance = breakeven::variance::low;
  // A pure function of the token and of the validator's own const key and clock: libjwt's
  // jwt_decode keeps its state in the jwt_t it returns.
  static constexpr bool thread_safe = true;

  /// A validator for the demo secret and clock.
  jwt_validate() : jwt_validate(jwt_demo_secret, jwt_demo_now) {}
  /// A validator for a secret and a clock (seconds since the epoch).
  jwt_validate(std::string_view secret, std::int64_t now) : key_(secret), now_(now) {}

  jwt_status operator()(const std::string& token) const {
    // The shape and the algorithm, so that each kind of bad token gets its own verdict.
    const std::size_t dot1 = token.find('.');
    if (dot1 == std::string::npos) return jwt_status::malformed;
    const std::size_t dot2 = token.find('.', dot1 + 1);
    if (dot2 == std::string::npos || token.find('.', dot2 + 1) != std::string::npos) return jwt_status::malformed;
    const std::string_view all(token);
    const auto header = base64url_decode(all.substr(0, dot1));
    const auto signature = base64url_decode(all.substr(dot2 + 1));
    if (!header || !signature || signature->size() != sizeof(digest256)) return jwt_status::malformed;
    const auto alg = detail::json_member(*header, "alg");
    if (!alg) return jwt_status::malformed;
    if (*alg != "HS256") return jwt_status::unsupported_alg;  // never "none", never another key type
    if (!base64url_decode(all.substr(dot1 + 1, dot2 - dot1 - 1))) return jwt_status::malformed;
    // libjwt verifies the signature under the key (and reads the claims only then).
    jwt_t* decoded = nullptr;
    const auto key = key_.key();
    const int rc = jwt_decode(&decoded, token.c_str(), key.data(), static_cast<int>(key.size()));
    const std::unique_ptr<jwt_t, void (*)(jwt_t*)> owner(decoded, &jwt_free);
    if (rc != 0 || decoded == nullptr) return jwt_status::bad_signature;
    if (jwt_get_alg(decoded) != JWT_ALG_HS256) return jwt_status::unsupported_alg;
    // The "exp" claim as libjwt serializes it (absent: null); it must be an integer.
    const std::unique_ptr<char, void (*)(void*)> exp_json(jwt_get_grants_json(decoded, "exp"), &std::free);
    if (!exp_json) return jwt_status::malformed;
    const std::string_view exp_text(exp_json.get());
    std::int64_t exp = 0;
    const auto [end, ec] = std::from_chars(exp_text.data(), exp_text.data() + exp_text.size(), exp);
    if (ec != std::errc{} || end != exp_text.data() + exp_text.size()) return jwt_status::malformed;
    return exp > now_ ? jwt_status::valid : jwt_status::expired;
  }

 private:
  hmac_sha256 key_;  // the key's bytes (hashed when longer than a block, as HMAC would)
  std::int64_t now_;
};

}  // namespace breakeven::examples
