#!/bin/sh
# check.sh COMPILER CASE.cpp [FLAGS...] - a compile-fail case passes when
#   1. its twin (-DBREAKEVEN_TWIN) compiles, so the case cannot fail for the wrong reason, and
#   2. the case itself fails, and the first "error:" line matches its `// build error: REGEX`,
#   3. and stops there: one error and at most 40 lines of diagnostics (no cascade after the
#      error that names the fault), unless the case says `// max errors: N` / `// max lines: N`.
set -u
cxx=$1; case_file=$2; shift 2
expect=$(sed -n 's|^// build error: ||p' "$case_file" | head -n 1)
max_errors=$(sed -n 's|^// max errors: ||p' "$case_file" | head -n 1); max_errors=${max_errors:-1}
max_lines=$(sed -n 's|^// max lines: ||p' "$case_file" | head -n 1); max_lines=${max_lines:-40}
[ -n "$expect" ] || { echo "no '// build error:' line in $case_file"; exit 1; }
out=$(mktemp); trap 'rm -f "$out"' EXIT
if ! "$cxx" -std=c++20 -fsyntax-only -DBREAKEVEN_TWIN "$@" "$case_file" >"$out" 2>&1; then
  echo "FAIL: the twin of $case_file does not compile:"; cat "$out"; exit 1
fi
if "$cxx" -std=c++20 -fsyntax-only "$@" "$case_file" >"$out" 2>&1; then
  echo "FAIL: $case_file compiled, expected an error matching: $expect"; exit 1
fi
first=$(grep -m 1 'error:' "$out")
if ! printf '%s\n' "$first" | grep -Eq -- "$expect"; then
  echo "FAIL: first error of $case_file does not match '$expect':"; echo "$first"; exit 1
fi
errors=$(grep -c 'error:' "$out"); lines=$(wc -l <"$out")
if [ "$errors" -gt "$max_errors" ] || [ "$lines" -gt "$max_lines" ]; then
  echo "FAIL: $case_file: $errors errors in $lines lines (at most $max_errors in $max_lines): a cascade after the first:"
  cat "$out"; exit 1
fi
echo "ok ($errors error, $lines lines): $first"
