// kernels/data.hpp - deterministic inputs for the example kernels: buffers, sessions of
// records, log texts and lines, signed tokens and integration parameters for a batch size and
// a seed. Item i depends only on (seed, i): a batch is a prefix of any larger batch of the same
// seed, and no item depends on how the batch is split. Only this header's own generator is
// used (the standard distributions differ between standard libraries).
#pragma once

#include "analytics.hpp"
#include "hash.hpp"
#include "jwt.hpp"
#include "numerical.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace breakeven::examples {

/// SplitMix64: a small, fast generator with a 64-bit state, one stream per (seed, item).
class prng {
 public:
  constexpr explicit prng(std::uint64_t seed, std::uint64_t stream = 0) noexcept
      : state_(seed ^ mix(stream + 0x9e3779b97f4a7c15ull)) {}

  /// The next 64 random bits.
  constexpr std::uint64_t next() noexcept {
    state_ += 0x9e3779b97f4a7c15ull;
    return mix(state_);
  }
  /// Uniform in [0, n), n > 0 (modulo bias below 2^-40 for the n used here).
  constexpr std::uint64_t below(std::uint64_t n) noexcept { return next() % n; }
  /// Uniform in [lo, hi].
  constexpr std::uint64_t between(std::uint64_t lo, std::uint64_t hi) noexcept { return lo + below(hi - lo + 1); }
  /// Uniform in [lo, hi).
  constexpr double uniform(double lo, double hi) noexcept {
    return lo + (hi - lo) * static_cast<double>(next() >> 11) * 0x1.0p-53;
  }
  /// True with probability percent / 100.
  constexpr bool chance(unsigned percent) noexcept { return below(100) < percent; }
  /// One element of a non-empty array.
  template <class T, std::size_t N>
  constexpr const T& pick(const std::array<T, N>& a) noexcept {
    return a[below(N)];
  }

 private:
  static constexpr std::uint64_t mix(std::uint64_t z) noexcept {
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }
  std::uint64_t state_;
};

namespace detail {
using namespace std::string_view_literals;
inline constexpr std::array first_names{"alice"sv, "bob"sv, "carol"sv, "dave"sv, "erin"sv, "frank"sv,
                                        "grace"sv, "heidi"sv, "ivan"sv, "judy"sv, "mallory"sv, "oscar"sv};
inline constexpr std::array last_names{"smith"sv, "jones"sv, "garcia"sv, "kim"sv, "novak"sv, "okafor"sv,
                                       "rossi"sv, "tanaka"sv, "weber"sv, "silva"sv};
inline constexpr std::array domains{"example.com"sv, "mail.example.org"sv, "corp.test"sv, "uni.example.edu"sv};
inline constexpr std::array hosts{"api.example.com"sv, "cdn.example.net"sv, "shop.example.org"sv,
                                  "auth.internal.test"sv, "10.1.4.22:8443"sv};
inline constexpr std::array path_parts{"v1"sv, "v2"sv, "orders"sv, "users"sv, "items"sv, "search"sv,
                                       "static"sv, "img"sv, "checkout"sv, "health"sv};
inline constexpr std::array services{"auth"sv, "payments"sv, "orders"sv, "search"sv, "gateway"sv, "billing"sv};
inline constexpr std::array classes{"OrderService"sv, "PaymentGateway"sv, "SessionStore"sv, "UserRepository"sv};
inline constexpr std::array words{"the"sv, "request"sv, "cache"sv, "retry"sv, "queue"sv, "worker"sv, "timeout"sv,
                                  "connection"sv, "pool"sv, "shard"sv, "replica"sv, "latency"sv, "batch"sv,
                                  "flush"sv, "index"sv, "commit"sv, "rollback"sv, "lease"sv};

inline void append_num(std::string& s, std::uint64_t v, int width = 0) {
  std::string digits = std::to_string(v);
  for (int i = static_cast<int>(digits.size()); i < width; ++i) s += '0';
  s += digits;
}
inline void append_hex(std::string& s, prng& r, int n) {
  static constexpr char hex[] = "0123456789abcdef";
  for (int i = 0; i < n; ++i) s += hex[r.below(16)];
}
inline void append_timestamp(std::string& s, prng& r) {
  s += "2024-";
  append_num(s, r.between(1, 12), 2);
  s += '-';
  append_num(s, r.between(1, 28), 2);
  s += 'T';
  append_num(s, r.below(24), 2);
  s += ':';
  append_num(s, r.below(60), 2);
  s += ':';
  append_num(s, r.below(60), 2);
  s += '.';
  append_num(s, r.below(1000), 3);
  s += 'Z';
}
inline void append_email(std::string& s, prng& r) {
  s += r.pick(first_names);
  s += '.';
  s += r.pick(last_names);
  if (r.chance(50)) append_num(s, r.below(100));
  s += '@';
  s += r.pick(domains);
}
inline void append_ipv4(std::string& s, prng& r) {
  for (int i = 0; i < 4; ++i) {
    if (i != 0) s += '.';
    append_num(s, r.below(256));
  }
}
inline void append_url(std::string& s, prng& r) {
  s += r.chance(85) ? "https://" : "http://";
  s += r.pick(hosts);
  for (auto k = r.between(1, 3); k != 0; --k) {
    s += '/';
    s += r.pick(path_parts);
  }
  if (r.chance(50)) {
    s += "?id=";
    append_num(s, r.below(100000));
  }
}
inline void append_uuid(std::string& s, prng& r) {  // version 4, variant 10xx
  append_hex(s, r, 8);
  s += '-';
  append_hex(s, r, 4);
  s += "-4";
  append_hex(s, r, 3);
  s += '-';
  s += "89ab"[r.below(4)];
  append_hex(s, r, 3);
  s += '-';
  append_hex(s, r, 12);
}
inline void append_card(std::string& s, prng& r) {
  s += r.chance(50) ? "4" : "5";
  append_num(s, r.below(1000), 3);
  const char sep = r.chance(50) ? ' ' : '-';
  for (int i = 0; i < 3; ++i) {
    s += sep;
    append_num(s, r.below(10000), 4);
  }
}
inline void append_base64url(std::string& s, prng& r, int n) {
  for (int i = 0; i < n; ++i) s += base64url_alphabet[r.below(64)];
}
inline void append_words(std::string& s, prng& r, std::uint64_t n) {
  for (; n != 0; --n) {
    s += r.pick(words);
    if (n != 1) s += ' ';
  }
}
}  // namespace detail

/// `n` items, item i made by `make(r, i)` from its own stream prng(seed, i).
template <class Make>
auto generate(std::size_t n, std::uint64_t seed, Make make) {
  std::vector<decltype(make(std::declval<prng&>(), std::size_t{}))> out;
  out.reserve(n);
  for (std::size_t i = 0; i < n; ++i) {
    prng r(seed, i);
    out.push_back(make(r, i));
  }
  return out;
}

/// One log line (without a newline), 60 to 250 bytes: timestamp, level, service, and one of
/// several messages that carry e-mail addresses, URLs, IPs, UUIDs, card numbers, tokens or SQL.
inline std::string log_line(prng& r) {
  using namespace detail;
  std::string s;
  s.reserve(256);
  const auto kind = r.below(10);
  if (kind == 9) {  // a stack-trace line, as exceptions print them
    s += "    at com.example.";
    s += r.pick(classes);
    s += ".handle(";
    s += r.pick(classes);
    s += ".java:";
    append_num(s, r.between(10, 900));
    s += ')';
    return s;
  }
  append_timestamp(s, r);
  const auto lv = r.below(100);
  s += lv < 55 ? " INFO  " : lv < 72 ? " DEBUG " : lv < 88 ? " WARN  " : lv < 98 ? " ERROR " : " FATAL ";
  s += '[';
  s += r.pick(services);
  s += "] ";
  switch (kind) {
    case 0:
      s += "user ";
      append_email(s, r);
      s += " logged in from ";
      append_ipv4(s, r);
      break;
    case 1: {
      static constexpr std::array statuses{200, 200, 200, 201, 204, 304, 404, 500, 502, 503};
      s += r.chance(70) ? "\"GET " : "\"POST ";
      append_url(s, r);
      s += " HTTP/1.1\" ";
      append_num(s, static_cast<std::uint64_t>(r.pick(statuses)));
      s += ' ';
      append_num(s, r.between(120, 90000));
      break;
    }
    case 2:
      s += "request ";
      append_uuid(s, r);
      s += " took ";
      append_num(s, r.between(1, 5000));
      s += " ms on ";
      append_ipv4(s, r);
      break;
    case 3:
      s += "payment declined for card ";
      append_card(s, r);
      s += " user=";
      append_num(s, r.below(1'000'000));
      break;
    case 4:
      s += "token eyJ";
      append_base64url(s, r, static_cast<int>(r.between(20, 40)));
      s += '.';
      append_base64url(s, r, static_cast<int>(r.between(40, 90)));
      s += '.';
      append_base64url(s, r, 43);
      s += " rejected: signature mismatch";
      break;
    case 5:
      if (r.chance(30)) {
        s += "blocked query: SELECT * FROM users WHERE name = '";
        s += r.pick(first_names);
        s += r.chance(50) ? "' OR 1=1 --" : "' UNION SELECT password FROM accounts --";
      } else {
        s += "query: SELECT id, total FROM orders WHERE user_id = ";
        append_num(s, r.below(100000));
        s += " LIMIT 50";
      }
      break;
    case 6:
      s += "cache ratio=";
      append_num(s, r.below(100));
      s += " keys=";
      append_num(s, r.below(100000));
      s += " evicted=";
      append_num(s, r.below(1000));
      s += ' ';
      append_words(s, r, r.between(2, 8));
      break;
    default:
      append_words(s, r, r.between(5, 20));
      break;
  }
  return s;
}

/// `n` buffers of `bytes` random bytes each.
inline std::vector<buffer> make_buffers(std::size_t n, std::uint64_t seed,
                                        std::size_t bytes = sha256_hash::representative_bytes) {
  return generate(n, seed, [bytes](prng& r, std::size_t) {
    buffer b(bytes);
    for (std::size_t j = 0; j < bytes; j += 8) {
      const std::uint64_t v = r.next();
      for (std::size_t k = 0; k < 8 && j + k < bytes; ++k) b[j + k] = static_cast<std::uint8_t>(v >> (8 * k));
    }
    return b;
  });
}

/// `n` sessions (user i + 1 for item i) of mean_records / 2 to 3 x mean_records / 2 records:
/// times ascending, categories skewed towards the low ones, ~3% server errors, values
/// exponentially distributed (latency-like, mean 40).
inline std::vector<session> make_sessions(std::size_t n, std::uint64_t seed,
                                          std::size_t mean_records = session_analytics::representative_records) {
  return generate(n, seed, [mean_records](prng& r, std::size_t i) {
    const std::size_t lo = mean_records / 2, hi = mean_records + mean_records / 2;
    const auto count = static_cast<std::size_t>(r.between(lo, hi));
    std::int64_t t = 1'704'067'200'000 + static_cast<std::int64_t>(r.below(86'400'000));
    session s;
    s.reserve(count);
    for (std::size_t j = 0; j < count; ++j) {
      record rec;
      rec.id = (static_cast<std::uint64_t>(i) << 20) | j;
      rec.user = static_cast<std::uint32_t>(i + 1);
      const auto c = r.below(category_count * category_count);  // skewed: min of two draws
      rec.category = static_cast<std::uint16_t>(std::min(c / category_count, c % category_count));
      rec.status = r.chance(3) ? static_cast<std::uint16_t>(r.between(500, 504)) : std::uint16_t{200};
      t += static_cast<std::int64_t>(r.between(50, 30'000));
      rec.timestamp_ms = t;
      rec.value = -40.0 * std::log1p(-r.uniform(0, 1));
      s.push_back(rec);
    }
    return s;
  });
}

/// `n` texts of log lines joined by newlines, each at least `bytes` long (one line more).
inline std::vector<std::string> make_texts(std::size_t n, std::uint64_t seed, std::size_t bytes = 1024) {
  return generate(n, seed, [bytes](prng& r, std::size_t) {
    std::string text;
    text.reserve(bytes + 256);
    while (text.size() < bytes) {
      text += log_line(r);
      text += '\n';
    }
    return text;
  });
}

/// `n` single log lines, the legacy tokenizer's items.
inline std::vector<std::string> make_log_lines(std::size_t n, std::uint64_t seed) {
  return generate(n, seed, [](prng& r, std::size_t) { return log_line(r); });
}

/// Tokens and the verdict each should get from jwt_validate{secret, now}.
struct token_set {
  std::vector<std::string> tokens;
  std::vector<jwt_status> expected;
};

/// `n` HS256 tokens signed with `secret`: ~70% valid, 10% expired, 16% with a bad signature
/// (payload altered after signing, signature altered, or signed with another key), 2% with
/// alg "none", 2% malformed (the signature cut off).
inline token_set make_tokens(std::size_t n, std::uint64_t seed, std::string_view secret = jwt_demo_secret,
                             std::int64_t now = jwt_demo_now) {
  const hmac_sha256 key(secret);
  const hmac_sha256 other_key("not-the-key-the-validator-holds!!");
  token_set out;
  out.tokens.reserve(n);
  out.expected.reserve(n);
  for (std::size_t i = 0; i < n; ++i) {
    prng r(seed, i);
    const auto user = r.below(1'000'000);
    const auto roll = r.below(100);
    const std::int64_t iat = now - static_cast<std::int64_t>(r.below(1800));
    const std::int64_t exp = roll >= 70 && roll < 80 ? now - 1 - static_cast<std::int64_t>(r.below(86'400)) : iat + 3600;
    std::string claims = "{\"sub\":\"user-" + std::to_string(user) + "\",\"iat\":" + std::to_string(iat) +
                         ",\"exp\":" + std::to_string(exp) + ",\"scope\":\"read write\",\"jti\":\"";
    detail::append_uuid(claims, r);
    claims += "\"}";
    std::string token;
    jwt_status expected = jwt_status::valid;
    if (roll < 70) {
      token = make_jwt(key, claims);
    } else if (roll < 80) {
      token = make_jwt(key, claims);
      expected = jwt_status::expired;
    } else if (roll < 87) {  // privilege escalation: the payload is swapped, the signature kept
      token = make_jwt(key, claims);
      std::string forged = claims;
      forged.replace(forged.find("read write"), 10, "admin     ");
      const auto d1 = token.find('.'), d2 = token.rfind('.');
      token = token.substr(0, d1 + 1) + base64url_encode(forged) + token.substr(d2);
      expected = jwt_status::bad_signature;
    } else if (roll < 92) {  // one signature character changed (inside, so it stays canonical)
      token = make_jwt(key, claims);
      char& c = token[token.rfind('.') + 10];
      c = c == 'A' ? 'B' : 'A';
      expected = jwt_status::bad_signature;
    } else if (roll < 96) {
      token = make_jwt(other_key, claims);
      expected = jwt_status::bad_signature;
    } else if (roll < 98) {
      token = base64url_encode(std::string_view(R"({"alg":"none","typ":"JWT"})")) + '.' + base64url_encode(claims) +
              '.' + base64url_encode(std::string_view("unsigned-but-32-bytes-long-sig!!"));
      expected = jwt_status::unsupported_alg;
    } else {
      token = make_jwt(key, claims);
      token.erase(token.rfind('.'));
      expected = jwt_status::malformed;
    }
    out.tokens.push_back(std::move(token));
    out.expected.push_back(expected);
  }
  return out;
}

/// `n` integrals: alpha in [0, 2), upper in [5, 20), panels uniform in [mean / 5, 9 mean / 5]
/// (the cost spread), omega in [10, 200) but at most 0.25 x panels / upper, so each panel
/// spans a small fraction of a period and the quadrature stays accurate to ~1e-10.
inline std::vector<integral_params> make_integrals(std::size_t n, std::uint64_t seed,
                                                   std::uint32_t mean_panels = oscillatory_integral::representative_panels) {
  return generate(n, seed, [mean_panels](prng& r, std::size_t) {
    integral_params p;
    p.alpha = r.uniform(0, 2);
    p.upper = r.uniform(5, 20);
    const std::uint64_t lo = std::max<std::uint64_t>(mean_panels / 5, 1);
    p.panels = static_cast<std::uint32_t>(r.between(lo, std::max<std::uint64_t>(lo, 9ull * mean_panels / 5)));
    const double omega_cap = std::max(1.0, 0.25 * p.panels / p.upper);
    p.omega = r.uniform(std::min(10.0, omega_cap), std::min(200.0, omega_cap));
    return p;
  });
}

}  // namespace breakeven::examples
