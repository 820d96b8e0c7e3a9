// The PostgreSQL sink against a real server, started for these tests by pg_fixture.sh
// (BREAKEVEN_TEST_PG: its connection string; BREAKEVEN_TEST_PG_STOP and _START: commands
// that stop the server and start it again).
#include "../support.hpp"

#include <breakeven/pipeline.hpp>
#include <breakeven/sinks/postgres.hpp>

#include <catch2/catch.hpp>

#include <atomic>
#include <cstdlib>

using namespace pipeline_test;
using sink_t = breakeven::sinks::postgres_sink<row>;

namespace {

std::string conninfo() {
  const char* c = std::getenv("BREAKEVEN_TEST_PG");
  if (!c) FAIL("BREAKEVEN_TEST_PG is not set: run this test through tests/pipeline/db/pg_fixture.sh");
  return c;
}

std::int64_t query_int(const std::string& sql) {
  PGconn* c = PQconnectdb(conninfo().c_str());
  REQUIRE(PQstatus(c) == CONNECTION_OK);
  PGresult* r = PQexec(c, sql.c_str());
  REQUIRE(PQresultStatus(r) == PGRES_TUPLES_OK);
  const std::int64_t v = std::atoll(PQgetvalue(r, 0, 0));
  PQclear(r);
  PQfinish(c);
  return v;
}

void exec(const std::string& sql) {
  PGconn* c = PQconnectdb(conninfo().c_str());
  REQUIRE(PQstatus(c) == CONNECTION_OK);
  PQclear(PQexec(c, "SET client_min_messages = warning"));
  PGresult* r = PQexec(c, sql.c_str());
  REQUIRE(PQresultStatus(r) == PGRES_COMMAND_OK);
  PQclear(r);
  PQfinish(c);
}

sink_t::options docs_table(const std::string& table, bool upsert, const std::string& check = "") {
  exec("DROP TABLE IF EXISTS " + table);
  sink_t::options o;
  o.conninfo = conninfo();
  o.table = table;
  o.columns = {"id", "hash", "body"};
  o.create = "CREATE TABLE IF NOT EXISTS " + table + " (id BIGINT PRIMARY KEY, hash BIGINT NOT NULL, body TEXT NOT NULL" +
             (check.empty() ? std::string() : ", CHECK (" + check + ")") + ")";
  if (upsert) o.key = {"id"};
  return o;
}

}  // namespace

TEST_CASE("postgres: every row committed, batched", "[pipeline][postgres]") {
  const auto items = ids(20000);
  sink_t s(docs_table("docs_all", false));
  const auto r = breakeven::map_into(hash_doc{}, items, s);
  INFO(r.explain());
  REQUIRE(r.ok());
  REQUIRE(r.batches < items.size() / 10);
  REQUIRE(query_int("SELECT count(*) FROM docs_all") == 20000);
  REQUIRE(query_int("SELECT hash FROM docs_all WHERE id = 4321") == std::get<1>(hash_doc{}(4321)));
}

TEST_CASE("postgres: a constraint-violating row is reported and the rest of its batch commits", "[pipeline][postgres][faults]") {
  const auto items = ids(4000);
  sink_t s(docs_table("docs_check", false, "id <> 777"));
  breakeven::pipeline_options o;
  o.batch.forced = 1000;
  const auto r = breakeven::map_into(hash_doc{}, items, s, o);
  REQUIRE(r.failed.size() == 1);
  REQUIRE(r.failed[0].index == 777);
  REQUIRE(r.failed[0].reason.find("23514") != std::string::npos);  // check_violation
  REQUIRE(r.committed == 3999);
  REQUIRE(query_int("SELECT count(*) FROM docs_check") == 3999);
}

TEST_CASE("postgres: a kernel throwing for 1% of the items; the rest commit", "[pipeline][postgres][faults]") {
  const auto items = ids(10000);
  sink_t s(docs_table("docs_throw", false));
  const auto r = breakeven::map_into(throws_one_percent{}, items, s);
  REQUIRE(r.failed.size() == 100);
  REQUIRE(query_int("SELECT count(*) FROM docs_throw") == 9900);
}

TEST_CASE("postgres: with an upsert key, running the job again leaves each row once", "[pipeline][postgres]") {
  auto o = docs_table("docs_upsert", true);
  for (int run = 0; run < 2; ++run) {
    sink_t s(o);
    const auto r = breakeven::map_into(hash_doc{}, ids(run == 0 ? 3000 : 5000), s);
    REQUIRE(r.ok());
  }
  REQUIRE(query_int("SELECT count(*) FROM docs_upsert") == 5000);
}

TEST_CASE("postgres: the server stopped and restarted mid-run; no row lost", "[pipeline][postgres][faults]") {
  const char* stop = std::getenv("BREAKEVEN_TEST_PG_STOP");
  const char* start = std::getenv("BREAKEVEN_TEST_PG_START");
  REQUIRE(stop != nullptr);
  REQUIRE(start != nullptr);
  const auto items = ids(30000);
  auto opts = docs_table("docs_restart", true);
  sink_t s(opts);
  // After 20 batches the sink waits until the server is down, so that the writer meets it
  // stopped whatever the machine's speed; the server comes back a second later.
  struct stopped_midway {
    sink_t& s;
    std::atomic<std::size_t> batches{0};
    std::atomic<bool> server_down{false};
    void write_batch(std::span<const row> b) {
      while (batches >= 20 && !server_down) std::this_thread::sleep_for(std::chrono::milliseconds(1));
      s.write_batch(b);
      ++batches;
    }
    void flush() { s.flush(); }
    void close() { s.close(); }
  } midway{s};
  breakeven::pipeline_options o;
  o.batch.forced = 100;
  int stopped = -1, started = -1;
  std::thread chaos([&] {
    while (midway.batches < 20) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    stopped = std::system(stop);
    midway.server_down = true;
    std::this_thread::sleep_for(std::chrono::seconds(1));
    started = std::system(start);
  });
  const auto r = breakeven::map_into(hash_doc{}, items, midway, o);
  chaos.join();
  INFO(r.explain());
  REQUIRE(stopped == 0);
  REQUIRE(started == 0);
  REQUIRE(r.retries > 0);  // the writer did meet the stopped server
  REQUIRE(r.committed + r.failed.size() == items.size());
  REQUIRE(r.failed.empty());
  REQUIRE(query_int("SELECT count(*) FROM docs_restart") == static_cast<std::int64_t>(items.size()));
}
