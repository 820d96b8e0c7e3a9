// libFuzzer entry for the frame decoder (clang, -DBREAKEVEN_FUZZ=ON):
//   build/tests/frame_fuzzer -max_total_time=60
#include "../support/frame_fuzz_body.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  breakeven_test::fuzz_frames(std::span<const std::byte>(reinterpret_cast<const std::byte*>(data), size));
  return 0;
}
