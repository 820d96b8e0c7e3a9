// The wire format: frames reassemble from any split, hostile headers are rejected before
// their payload is read, and a bounded deterministic mutation fuzzer finds no crash.
#include "../support/frame_fuzz_body.hpp"

#include <breakeven/ipc/codec.hpp>
#include <breakeven/ipc/exceptions.hpp>
#include <breakeven/ipc/frame.hpp>

#include <catch2/catch.hpp>

#include <chrono>
#include <cstring>
#include <random>
#include <string>
#include <vector>

namespace be = breakeven;
namespace ipc = breakeven::ipc;

namespace {

std::vector<std::byte> result_frame(std::uint64_t id, const std::vector<std::string>& values) {
  std::vector<std::byte> f;
  const std::size_t at = ipc::begin_frame(f, ipc::frame_type::result, id);
  {
    ipc::writer w(f);
    w.put(static_cast<std::uint32_t>(1));
    ipc::encode(w, values);
  }
  ipc::finish_frame(f, at);
  return f;
}

std::vector<std::byte> error_frame(std::uint64_t id) {
  std::vector<std::byte> f;
  const std::size_t at = ipc::begin_frame(f, ipc::frame_type::error, id);
  {
    ipc::writer w(f);
    w.put(std::uint32_t{0});
    ipc::error_record rec;
    rec.from = ipc::error_record::origin::standard;
    rec.type = "std::invalid_argument";
    rec.what = "bad";
    ipc::encode(w, rec);
  }
  ipc::finish_frame(f, at);
  return f;
}

const std::uint32_t pool_side = ipc::frame_types({ipc::frame_type::hello, ipc::frame_type::result,
                                                  ipc::frame_type::error, ipc::frame_type::fatal});

}  // namespace

TEST_CASE("frames reassemble from pieces of any size", "[process][frame]") {
  std::vector<std::byte> stream;
  for (std::uint64_t i = 0; i < 5; ++i) {
    const auto f = result_frame(i, {std::string(i * 37, 'x'), "y"});
    stream.insert(stream.end(), f.begin(), f.end());
  }
  for (std::size_t piece : {1u, 2u, 3u, 15u, 16u, 17u, 100u, 4096u}) {
    ipc::frame_decoder dec(pool_side);
    std::uint64_t expect = 0;
    for (std::size_t at = 0; at < stream.size();) {
      const std::size_t n = std::min(piece, stream.size() - at);
      std::size_t used = 0;
      while (used < n) {
        used += dec.feed(std::span<const std::byte>(stream.data() + at + used, n - used));
        if (dec.ready()) {
          CHECK(dec.header().id == expect);
          ipc::reader r(dec.payload());
          CHECK(r.get<std::uint32_t>() == 1);
          const auto v = ipc::decode<std::vector<std::string>>(r);
          CHECK(v.at(0).size() == expect * 37);
          ++expect;
          dec.next();
        }
      }
      at += n;
    }
    CHECK(expect == 5);
  }
}

TEST_CASE("hostile frames are rejected with an error", "[process][frame]") {
  auto header = [](std::uint32_t len, std::uint16_t type, std::uint16_t magic) {
    ipc::frame_header h{len, type, magic, 1};
    std::vector<std::byte> b(sizeof h);
    std::memcpy(b.data(), &h, sizeof h);
    return b;
  };
  SECTION("unknown type id") {
    ipc::frame_decoder dec(pool_side);
    CHECK_THROWS_WITH(dec.feed(header(0, 77, ipc::frame_magic)), Catch::Contains("unknown frame type 77"));
    // The stream is lost: the next feed fails too rather than resynchronising on junk.
    CHECK_THROWS_AS(dec.feed(result_frame(2, {"ok"})), be::protocol_error);
  }
  SECTION("a type this side never receives") {
    ipc::frame_decoder dec(pool_side);
    CHECK_THROWS_AS(dec.feed(header(0, static_cast<std::uint16_t>(ipc::frame_type::task), ipc::frame_magic)),
                    be::protocol_error);
  }
  SECTION("oversized length, rejected before any payload arrives") {
    ipc::frame_decoder dec(pool_side, 1 << 20);
    CHECK_THROWS_WITH(dec.feed(header(0xFFFFFFF0u, 3, ipc::frame_magic)), Catch::Contains("exceeds the limit"));
  }
  SECTION("bad magic") {
    ipc::frame_decoder dec(pool_side);
    CHECK_THROWS_WITH(dec.feed(header(4, 3, 0x1234)), Catch::Contains("bad magic"));
  }
  SECTION("truncated: the decoder waits, it never reads past what it was given") {
    const auto f = result_frame(9, {"truncated"});
    ipc::frame_decoder dec(pool_side);
    CHECK(dec.feed(std::span<const std::byte>(f.data(), f.size() - 1)) == f.size() - 1);
    CHECK_FALSE(dec.ready());
  }
  SECTION("a payload that lies about its contents is a decode error") {
    auto f = result_frame(3, {"abc"});
    // Overwrite the string's length prefix with a huge value.
    const std::uint64_t huge = 1ull << 40;
    std::memcpy(f.data() + sizeof(ipc::frame_header) + 4 + 8, &huge, sizeof huge);
    ipc::frame_decoder dec(pool_side);
    dec.feed(f);
    REQUIRE(dec.ready());
    ipc::reader r(dec.payload());
    r.get<std::uint32_t>();
    CHECK_THROWS_AS(ipc::decode<std::vector<std::string>>(r), be::decode_error);
  }
}

TEST_CASE("fuzz: mutated frame streams never crash the decoder", "[process][frame][fuzz]") {
  std::vector<std::vector<std::byte>> seeds;
  for (std::uint64_t i = 0; i < 4; ++i) {
    std::vector<std::byte> s;
    for (std::uint64_t k = 0; k < 3; ++k) {
      const auto f = k % 2 == 0 ? result_frame(k, {std::string(k * 11 + i, 'q'), "z"}) : error_frame(k);
      s.insert(s.end(), f.begin(), f.end());
    }
    seeds.push_back(s);
  }
  std::mt19937_64 rng(20240607);  // deterministic: a failure reproduces
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(2);
  std::size_t runs = 0, whole = 0;
  while (std::chrono::steady_clock::now() < until) {
    std::vector<std::byte> in = seeds[rng() % seeds.size()];
    const int mutations = 1 + static_cast<int>(rng() % 4);
    for (int m = 0; m < mutations && !in.empty(); ++m) {
      const std::size_t at = rng() % in.size();
      switch (rng() % 6) {
        case 0: in[at] ^= std::byte{static_cast<unsigned char>(1u << (rng() % 8))}; break;
        case 1: in[at] = std::byte{static_cast<unsigned char>(rng())}; break;
        case 2: in.resize(at); break;  // truncate
        case 3: in.insert(in.begin() + static_cast<std::ptrdiff_t>(at), std::byte{static_cast<unsigned char>(rng())}); break;
        case 4: {  // a length or count field set to something extreme
          const std::uint32_t v = rng() % 2 ? 0xFFFFFFFFu : static_cast<std::uint32_t>(rng() % 100);
          if (at + 4 <= in.size()) std::memcpy(in.data() + at, &v, 4);
          break;
        }
        default: {  // a type field set to anything
          const std::uint16_t t = static_cast<std::uint16_t>(rng() % 40);
          if (at + 2 <= in.size()) std::memcpy(in.data() + at, &t, 2);
          break;
        }
      }
    }
    whole += breakeven_test::fuzz_frames(in);
    ++runs;
  }
  INFO("runs " << runs << ", whole frames " << whole);
  CHECK(runs > 1000);
  CHECK(whole > 0);  // the mutations leave some frames intact: the decoder was exercised
}
