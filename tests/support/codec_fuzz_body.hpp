// One fuzz input for the decoders of transported types (what a worker's result or a task's
// arguments hold): the first byte picks a type, the rest is its encoding. Bad bytes must
// end in decode_error, never in a crash, an overread or an allocation larger than the
// input allows; bytes that decode must encode back to exactly those bytes.
// Exceptions: a decoded record must rebuild to an exception, of its type where it is known.
#pragma once

#include <breakeven/ipc/codec.hpp>
#include <breakeven/ipc/exceptions.hpp>

#include <boost/hana/define_struct.hpp>

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <optional>
#include <span>
#include <string>
#include <tuple>
#include <utility>
#include <vector>


namespace breakeven_test::codec_fuzz {

struct point {
  static constexpr bool bitwise_transport = true;  // two numbers: their bytes mean the same anywhere
  double x = 0, y = 0;
};
struct record {
  BOOST_HANA_DEFINE_STRUCT(record, (std::string, name), (std::vector<std::int32_t>, values), (bool, flag),
                           (std::optional<point>, at));
};
struct outer {
  BOOST_HANA_DEFINE_STRUCT(outer, (std::vector<record>, records), (std::pair<std::u16string, std::int8_t>, tag));
};

[[noreturn]] inline void mismatch(const char* type) {
  std::fprintf(stderr, "fuzz: a %s does not survive encode(decode(bytes))\n", type);
  std::abort();
}

// Decodes a T from `r`; when it decodes, checks the round trip: the value encodes to exactly
// the bytes it was decoded from (bytes, not values, are compared: a NaN is not equal to
// itself, yet must travel unchanged).
template <class T>
void one(breakeven::ipc::reader& r, std::span<const std::byte> input, const char* type) {
  namespace ipc = breakeven::ipc;
  const std::size_t from = input.size() - r.remaining();
  T v = ipc::decode<T>(r);
  const std::size_t to = input.size() - r.remaining();
  std::vector<std::byte> bytes;
  {
    ipc::writer w(bytes);
    ipc::encode(w, v);
    w.finish();
  }
  const auto consumed = input.subspan(from, to - from);
  if (!std::equal(bytes.begin(), bytes.end(), consumed.begin(), consumed.end())) mismatch(type);
}

inline void rebuild(breakeven::ipc::reader& r) {
  namespace ipc = breakeven::ipc;
  const auto rec = ipc::decode<ipc::error_record>(r);
  const std::exception_ptr e = ipc::rebuild_exception(rec);
  if (!e) mismatch("error_record (no exception)");
  try {
    std::rethrow_exception(e);
  } catch (const std::exception& x) {
    (void)x.what();
  } catch (...) {
  }
}

}  // namespace breakeven_test::codec_fuzz

namespace breakeven_test {

/// Runs one input.
inline void fuzz_codec(std::span<const std::byte> data) {
  namespace ipc = breakeven::ipc;
  using namespace codec_fuzz;
  if (data.empty()) return;
  const auto input = data.subspan(1);
  ipc::reader r(input);
  try {
    switch (static_cast<unsigned>(data[0]) % 14) {
      case 0: one<std::string>(r, input, "string"); break;
      case 1: one<std::u32string>(r, input, "u32string"); break;
      case 2: one<std::vector<std::string>>(r, input, "vector<string>"); break;
      case 3: one<std::vector<bool>>(r, input, "vector<bool>"); break;
      case 4: one<std::vector<std::vector<std::int64_t>>>(r, input, "vector<vector<int64>>"); break;
      case 5: one<std::array<std::string, 3>>(r, input, "array<string, 3>"); break;
      case 6: one<std::optional<std::vector<std::string>>>(r, input, "optional<vector<string>>"); break;
      case 7: one<std::tuple<bool, std::string, std::optional<std::int32_t>>>(r, input, "tuple"); break;
      case 8: one<std::pair<std::vector<point>, std::array<bool, 4>>>(r, input, "pair"); break;
      case 9: one<record>(r, input, "Hana struct"); break;
      case 10: one<std::vector<outer>>(r, input, "vector of nested Hana structs"); break;
      case 11: one<ipc::error_record>(r, input, "error_record"); break;
      case 12: rebuild(r); break;
      default: {  // a result frame's payload: a count, then values
        const auto n = r.get<std::uint32_t>();
        for (std::uint32_t i = 0; i < n; ++i) one<std::vector<std::string>>(r, input, "result item");
        break;
      }
    }
  } catch (const breakeven::decode_error&) {
  }
}

}  // namespace breakeven_test
