// examples/server/args.hpp - the few command-line options the server and the client read.
#pragma once

#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

namespace hash_server {

/// Reads `--name value` options and `--flag` switches; reports what it cannot read.
class args {
 public:
  args(int argc, char** argv) : argc_(argc), argv_(argv) {}

  /// The value after `--name` read as a number into `out`; false (and a message) if unreadable.
  template <class T>
  bool number(std::string_view name, T& out) {
    for (int i = 1; i + 1 < argc_; ++i) {
      if (name != argv_[i]) continue;
      const std::string_view v(argv_[i + 1]);
      const auto r = std::from_chars(v.data(), v.data() + v.size(), out);
      if (r.ec != std::errc{} || r.ptr != v.data() + v.size()) {
        std::fprintf(stderr, "%s: %.*s needs a number, not '%s'\n", argv_[0], static_cast<int>(name.size()), name.data(),
                     argv_[i + 1]);
        ok_ = false;
        return false;
      }
      known_ += 2;
      return true;
    }
    return false;
  }

  /// True when `--name` is given.
  bool flag(std::string_view name) {
    for (int i = 1; i < argc_; ++i)
      if (name == argv_[i]) {
        ++known_;
        return true;
      }
    return false;
  }

  /// True when every argument was read; otherwise prints `usage`.
  bool complete(const char* usage) const {
    if (ok_ && known_ == argc_ - 1) return true;
    if (ok_) std::fprintf(stderr, "%s: unknown argument\n", argv_[0]);
    std::fprintf(stderr, "usage: %s %s\n", argv_[0], usage);
    return false;
  }

 private:
  int argc_;
  char** argv_;
  int known_ = 0;
  bool ok_ = true;
};

}  // namespace hash_server
