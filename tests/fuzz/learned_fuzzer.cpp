// libFuzzer entry for the learned-costs reader (clang, -DBREAKEVEN_FUZZ=ON): the input is
// the "learned" member of a valid profile, then the "corrections" member (feedback.hpp).
//   build/tests/learned_fuzzer tests/fuzz/corpus/learned -max_total_time=60
#include "../support/profile_fuzz_body.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  breakeven_test::fuzz_learned(text);
  breakeven_test::fuzz_corrections(text);
  return 0;
}
