// libFuzzer entry for the run-time profile reader (clang, -DBREAKEVEN_FUZZ=ON):
//   build/tests/profile_fuzzer tests/fuzz/corpus/profile -max_total_time=60
#include "../support/profile_fuzz_body.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  breakeven_test::fuzz_profile(std::string_view(reinterpret_cast<const char*>(data), size));
  return 0;
}
