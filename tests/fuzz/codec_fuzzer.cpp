// libFuzzer entry for the decoders of transported types (clang, -DBREAKEVEN_FUZZ=ON): the
// first byte picks the type (strings, containers, Hana structs, exception records).
//   build/tests/codec_fuzzer tests/fuzz/corpus/codec -max_total_time=60
#include "../support/codec_fuzz_body.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  breakeven_test::fuzz_codec(std::span<const std::byte>(reinterpret_cast<const std::byte*>(data), size));
  return 0;
}
