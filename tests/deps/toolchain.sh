#!/bin/sh
# toolchain.sh - every compiler feature and library a stage of scripts/demo or scripts/test
# uses is present: a ThreadSanitizer and an AddressSanitizer program linked by clang++, and
# programs calling OpenSSL, libjwt and RE2 built with pkg-config's flags. Run after
# scripts/deps on a fresh machine; each missing piece is named. Exit 0 when all are there.
set -u
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
failed=0
check() {  # check NAME SOURCE-BODY COMPILE-COMMAND...
  name=$1; body=$2; shift 2
  printf '%s\n' "$body" >"$work/$name.cpp"
  if "$@" "$work/$name.cpp" -o "$work/$name" >"$work/$name.log" 2>&1 && "$work/$name" >>"$work/$name.log" 2>&1; then
    echo "ok: $name"
  else
    echo "MISSING: $name"; sed 's/^/  /' "$work/$name.log" | head -n 5; failed=1
  fi
}
check tsan '#include <thread>
int x; int main() { std::thread t([] { x = 1; }); t.join(); return x - 1; }' \
  clang++ -std=c++20 -fsanitize=thread -g
check asan_ubsan 'int main() { int a[2] = {0, 1}; return a[0]; }' \
  clang++ -std=c++20 -fsanitize=address,undefined
check openssl '#include <openssl/evp.h>
int main() { unsigned char d[32]; unsigned n = 0;
  return EVP_Digest("abc", 3, d, &n, EVP_sha256(), nullptr) == 1 && n == 32 && d[0] == 0xba ? 0 : 1; }' \
  sh -c 'g++ -std=c++20 "$@" $(pkg-config --cflags --libs libcrypto)' sh
check libjwt '#include <jwt.h>
int main() { jwt_t* j = nullptr; if (jwt_new(&j) != 0) return 1; jwt_free(j); return 0; }' \
  sh -c 'g++ -std=c++20 "$@" $(pkg-config --cflags --libs libjwt)' sh
check re2 '#include <re2/re2.h>
int main() { return RE2::FullMatch("abc123", "[a-z]+[0-9]+") ? 0 : 1; }' \
  sh -c 'g++ -std=c++20 "$@" $(pkg-config --cflags --libs re2)' sh
exit $failed
