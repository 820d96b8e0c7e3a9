// SHA-256 against the FIPS 180-4 / NIST examples, BLAKE2b against RFC 7693 and the BLAKE2
// reference vectors, and the hashing kernels built on them.
#include <kernels/hash.hpp>

#include <kernels/blake2b.hpp>
#include <kernels/encoding.hpp>
#include <kernels/sha256.hpp>

#include <catch2/catch.hpp>

#include <string>
#include <vector>

namespace ex = breakeven::examples;

namespace {
std::string sha256_hex(std::string_view m) { return ex::to_hex(ex::sha256::hash(m)); }

// The message fed in pieces of `step` bytes must hash as the whole.
template <class Hash>
std::string in_pieces(std::string_view m, std::size_t step) {
  Hash h;
  for (std::size_t i = 0; i < m.size(); i += step) h.update(m.substr(i, step));
  return ex::to_hex(h.finish());
}

constexpr std::string_view msg448 = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
constexpr std::string_view msg896 =
    "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu";
}  // namespace

TEST_CASE("SHA-256 of the NIST example messages", "[kernels][sha256]") {
  CHECK(sha256_hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  CHECK(sha256_hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  CHECK(sha256_hex(msg448) == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  CHECK(sha256_hex(msg896) == "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1");
}

TEST_CASE("SHA-256 of a million 'a's, in one piece and in odd pieces", "[kernels][sha256]") {
  const std::string million(1'000'000, 'a');
  constexpr std::string_view expected = "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0";
  CHECK(sha256_hex(million) == expected);
  CHECK(in_pieces<ex::sha256>(million, 1000) == expected);
  CHECK(in_pieces<ex::sha256>(million, 63) == expected);
  CHECK(in_pieces<ex::sha256>(million, 65) == expected);
}

TEST_CASE("SHA-256 pads messages on every side of the 55/56/64-byte boundaries", "[kernels][sha256]") {
  // Lengths around the padding boundaries, hashed whole and byte by byte, must agree; and a
  // change of length must change the digest (the length is in the padding).
  std::string previous;
  for (std::size_t n : {0u, 1u, 54u, 55u, 56u, 57u, 63u, 64u, 65u, 119u, 120u, 127u, 128u, 129u}) {
    const std::string m(n, 'x');
    const std::string whole = sha256_hex(m);
    CHECK(in_pieces<ex::sha256>(m, 1) == whole);
    CHECK(whole != previous);
    previous = whole;
  }
}

TEST_CASE("SHA-256 runs at compile time", "[kernels][sha256]") {
  constexpr ex::digest256 d = ex::sha256::hash(std::string_view("abc"));
  STATIC_REQUIRE(d[0] == 0xba);
  STATIC_REQUIRE(d[1] == 0x78);
  STATIC_REQUIRE(d[31] == 0xad);
}

TEST_CASE("BLAKE2b runs at compile time", "[kernels][blake2b]") {
  constexpr auto d = ex::blake2b_256::hash(std::string_view("abc"));
  STATIC_REQUIRE(d[0] == 0xbd);
  STATIC_REQUIRE(d[31] == 0x19);
}

TEST_CASE("BLAKE2b-512 of RFC 7693's example and of the empty string", "[kernels][blake2b]") {
  CHECK(ex::to_hex(ex::blake2b_512::hash(std::string_view("abc"))) ==
        "ba80a53f981c4d0d6a2797b69f12f6e94c212f14685ac4b74b12bb6fdbffa2d1"
        "7d87c5392aab792dc252d5de4533cc9518d38aa8dbf1925ab92386edd4009923");
  CHECK(ex::to_hex(ex::blake2b_512::hash(std::string_view(""))) ==
        "786a02f742015903c6c6fd852552d272912f4740e15847618a86e217f71f5419"
        "d25e1031afee585313896444934eb04b903a685b1448b755d56f701afe9be2ce");
}

TEST_CASE("BLAKE2b-256 is its own parameter set, not a truncated BLAKE2b-512", "[kernels][blake2b]") {
  CHECK(ex::to_hex(ex::blake2b_256::hash(std::string_view("abc"))) ==
        "bddd813c634239723171ef3fee98579b94964e3bb1cb3e427262c8c068d52319");
  CHECK(ex::to_hex(ex::blake2b_256::hash(std::string_view(""))) ==
        "0e5751c026e543b2e8ab2eb06099daa1d1e5df47778f7787faab45cdf12fe3a8");
  CHECK(ex::to_hex(ex::blake2b_256::hash(std::string_view("The quick brown fox jumps over the lazy dog"))) ==
        "01718cec35cd3d796dd00020e0bfecb473ad23457d063b75eff29c0ffa2e58a9");
}

TEST_CASE("BLAKE2b keyed, from the BLAKE2 reference vectors (key 00..3f)", "[kernels][blake2b]") {
  std::vector<std::uint8_t> key(64), message(256);
  for (std::size_t i = 0; i < key.size(); ++i) key[i] = static_cast<std::uint8_t>(i);
  for (std::size_t i = 0; i < message.size(); ++i) message[i] = static_cast<std::uint8_t>(i);
  CHECK(ex::to_hex(ex::blake2b_512(std::span<const std::uint8_t>(key)).finish()) ==
        "10ebb67700b1868efb4417987acf4690ae9d972fb7a590c2f02871799aaa4786"
        "b5e996e8f0f4eb981fc214b005f42d2ff4233499391653df7aefcbc13fc51568");
  CHECK(ex::to_hex(ex::blake2b_512(std::span<const std::uint8_t>(key)).update(std::span<const std::uint8_t>(message)).finish()) ==
        "b72071e096277edebb8ee5134dd3714996307ba3a55aa4733d412abbe28e909e"
        "10e57e6fbfb4ef53b3b960518294ff889a90829254412e2a60b85add07a3674f");
  key.push_back(0);
  CHECK_THROWS_WITH(ex::blake2b_512(std::span<const std::uint8_t>(key)), Catch::Contains("longer than 64 bytes"));
}

TEST_CASE("BLAKE2b fed in pieces across its 128-byte blocks hashes as the whole", "[kernels][blake2b]") {
  for (std::size_t n : {0u, 1u, 127u, 128u, 129u, 255u, 256u, 257u, 1000u}) {
    std::string m(n, '\0');
    for (std::size_t i = 0; i < n; ++i) m[i] = static_cast<char>(i * 7 + 3);
    const std::string whole = ex::to_hex(ex::blake2b_256::hash(m));
    CHECK(in_pieces<ex::blake2b_256>(m, 1) == whole);
    CHECK(in_pieces<ex::blake2b_256>(m, 128) == whole);
    CHECK(in_pieces<ex::blake2b_256>(m, 100) == whole);
  }
}

TEST_CASE("the hashing kernels hash their buffer", "[kernels][sha256][blake2b]") {
  const ex::buffer abc{'a', 'b', 'c'};
  CHECK(ex::to_hex(ex::sha256_hash{}(abc)) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  CHECK(ex::to_hex(ex::blake2b_hash{}(abc)) == "bddd813c634239723171ef3fee98579b94964e3bb1cb3e427262c8c068d52319");
  CHECK(ex::sha256_hash::bytes_in(ex::buffer(1000)) == 1000);
  CHECK(ex::blake2b_hash::bytes_in(ex::buffer()) == 0);
}

TEST_CASE("OpenSSL's SHA-256 kernel agrees with the compile-time SHA-256 on every size", "[kernels][sha256][openssl]") {
  // FIPS 180-4's two-block example through the kernel (OpenSSL's EVP_Digest)...
  const std::string_view two_blocks = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
  CHECK(ex::to_hex(ex::sha256_hash{}(ex::buffer(two_blocks.begin(), two_blocks.end()))) ==
        "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  // ...and buffers on both sides of every block boundary, against sha256.hpp's constexpr code.
  for (std::size_t n = 0; n < 200; ++n) {
    ex::buffer b(n);
    for (std::size_t i = 0; i < n; ++i) b[i] = static_cast<std::uint8_t>(i * 7 + n);
    INFO("n = " << n);
    CHECK(ex::sha256_hash{}(b) == ex::sha256::hash(std::span<const std::uint8_t>(b)));
  }
}
