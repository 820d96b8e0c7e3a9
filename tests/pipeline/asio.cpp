// async_map_into: the pipeline as an Asio operation, with a callback on an io_context and
// with asio::use_future.
#include "support.hpp"

#include <breakeven/asio/pipeline.hpp>

#include <boost/asio/bind_executor.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

#include <catch2/catch.hpp>

#include <future>
#include <optional>

using namespace pipeline_test;

TEST_CASE("async_map_into with a plain callback completes off the initiating call", "[pipeline][asio]") {
  memory_sink s;
  std::promise<breakeven::pipeline_report> done;
  std::thread::id handler_thread;
  breakeven::async_map_into(hash_doc{}, ids(2000), s, [&](std::exception_ptr e, breakeven::pipeline_report r) {
    handler_thread = std::this_thread::get_id();
    if (e) done.set_exception(e);
    else done.set_value(std::move(r));
  });
  const auto r = done.get_future().get();
  REQUIRE(handler_thread != std::this_thread::get_id());  // not on the initiating thread's stack
  REQUIRE(r.ok());
  REQUIRE(s.rows.size() == 2000);
}

TEST_CASE("async_map_into with a handler bound to the io_context", "[pipeline][asio]") {
  boost::asio::io_context io;
  memory_sink s;
  s.bad = {42};
  std::optional<breakeven::pipeline_report> got;
  std::thread::id ran_on;
  breakeven::async_map_into(hash_doc{}, ids(5000), s,
                            boost::asio::bind_executor(io, [&](std::exception_ptr e, breakeven::pipeline_report r) {
                              REQUIRE(!e);
                              ran_on = std::this_thread::get_id();
                              got = std::move(r);
                            }));
  REQUIRE(!got);
  io.run();
  REQUIRE(got.has_value());
  REQUIRE(ran_on == std::this_thread::get_id());
  REQUIRE(got->committed == 4999);
  REQUIRE(got->failed.size() == 1);
  REQUIRE(got->failed[0].index == 42);
  REQUIRE(s.rows.size() == 4999);
}

TEST_CASE("async_map_into with use_future", "[pipeline][asio]") {
  memory_sink s;
  breakeven::pipeline_options o;
  o.batch.forced = 100;
  auto f = breakeven::async_map_into(hash_doc{}, ids(3000), s, o, boost::asio::use_future);
  const breakeven::pipeline_report r = f.get();
  REQUIRE(r.ok());
  REQUIRE(r.batches == 30);
  REQUIRE(s.rows.size() == 3000);
}
