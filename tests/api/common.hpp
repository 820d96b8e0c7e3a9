// What the API's tests share: a guard that restores the settings, a batch 0..n-1.
#pragma once

#include <breakeven/config.hpp>

#include <cstddef>
#include <vector>

namespace api_test {

struct settings_guard {
  breakeven::settings saved = breakeven::current_settings();
  ~settings_guard() { breakeven::set_settings(saved); }
};

inline std::vector<int> iota_vec(int n) {
  std::vector<int> v(static_cast<std::size_t>(n));
  for (int i = 0; i < n; ++i) v[static_cast<std::size_t>(i)] = i;
  return v;
}

}  // namespace api_test
