// What an executor that runs ptest::thrower in another process (a pool's worker, an MPI
// rank) must give back: each exception with its exact type and message, a registered user
// type as itself, an unregistered one (or a non-std::exception) as remote_error naming its
// type. `raise(which)` submits thrower{} with `which` and returns the future (or an
// `applied` call).
#pragma once
#include "kernels.hpp"

#include <breakeven/ipc/exceptions.hpp>

#include <catch2/catch.hpp>

#include <new>
#include <stdexcept>
#include <string>
#include <system_error>

namespace ptest {

/// A call that waits in place (apply), in the shape check_errors_keep_types reads: get() runs it.
template <class F>
struct applied {
  F call;
  auto get() { return call(); }
};
template <class F>
applied(F) -> applied<F>;

template <class Raise>
void check_errors_keep_types(Raise&& raise) {
  namespace be = breakeven;
  CHECK_THROWS_MATCHES(raise(1).get(), std::runtime_error, Catch::Message("runtime"));
  CHECK_THROWS_MATCHES(raise(2).get(), std::logic_error, Catch::Message("logic"));
  CHECK_THROWS_AS(raise(3).get(), std::invalid_argument);
  CHECK_THROWS_AS(raise(4).get(), std::out_of_range);
  CHECK_THROWS_AS(raise(5).get(), std::domain_error);
  CHECK_THROWS_AS(raise(6).get(), std::length_error);
  CHECK_THROWS_AS(raise(7).get(), std::range_error);
  CHECK_THROWS_AS(raise(8).get(), std::overflow_error);
  CHECK_THROWS_AS(raise(9).get(), std::bad_alloc);
  CHECK_THROWS_AS(raise(13).get(), std::underflow_error);
  CHECK_THROWS_MATCHES(raise(10).get(), ptest::parse_error, Catch::Message("bad token at 7"));
  try {
    raise(14).get();
    FAIL("no exception");
  } catch (const std::system_error& e) {
    CHECK(e.code() == std::errc::no_such_file_or_directory);
    CHECK(std::string(e.what()).find("open config") == 0);
  }

  // The exact type, not a base: a runtime_error is not reported as its subclasses and back.
  try {
    raise(1).get();
  } catch (const be::remote_error&) {
    FAIL("a std::runtime_error came back as a remote_error");
  } catch (const std::runtime_error&) {
  }
  // Unregistered types come back as remote_error naming the type.
  try {
    raise(11).get();
    FAIL("no exception");
  } catch (const be::remote_error& e) {
    CHECK(e.type_name() == "ptest::unregistered_error");
    CHECK(e.message() == "nobody knows me");
  }
  try {
    raise(12).get();
    FAIL("no exception");
  } catch (const be::remote_error& e) {
    CHECK(e.type_name() == "int");
  }
  CHECK(raise(0).get() == 0);
}

}  // namespace ptest
