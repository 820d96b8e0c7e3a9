// The SQLite sink against real database files: WAL, one transaction per batch, a
// constraint-violating row isolated, upserts that make a re-run idempotent.
#include "../support.hpp"

#include <breakeven/pipeline.hpp>
#include <breakeven/sinks/sqlite.hpp>

#include <catch2/catch.hpp>

using namespace pipeline_test;
using sink_t = breakeven::sinks::sqlite_sink<row>;

namespace {

std::int64_t query_int(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
  sqlite3_stmt* st = nullptr;
  REQUIRE(sqlite3_prepare_v2(db, sql.c_str(), -1, &st, nullptr) == SQLITE_OK);
  REQUIRE(sqlite3_step(st) == SQLITE_ROW);
  const std::int64_t v = sqlite3_column_int64(st, 0);
  sqlite3_finalize(st);
  sqlite3_close(db);
  return v;
}

sink_t::options docs_table(const std::string& path, bool upsert, const std::string& check = "") {
  sink_t::options o;
  o.path = path;
  o.table = "docs";
  o.columns = {"id", "hash", "body"};
  o.create = "CREATE TABLE IF NOT EXISTS docs (id INTEGER PRIMARY KEY, hash INTEGER NOT NULL, body TEXT NOT NULL" +
             (check.empty() ? std::string() : ", CHECK (" + check + ")") + ")";
  if (upsert) o.key = {"id"};
  return o;
}

}  // namespace

TEST_CASE("sqlite: every row committed to a WAL database file", "[pipeline][sqlite]") {
  temp_dir dir;
  const auto path = (dir.path / "docs.db").string();
  const auto items = ids(20000);
  sink_t s(docs_table(path, false));
  char* mode = nullptr;
  sqlite3_stmt* st = nullptr;
  REQUIRE(sqlite3_prepare_v2(s.handle(), "PRAGMA journal_mode", -1, &st, nullptr) == SQLITE_OK);
  REQUIRE(sqlite3_step(st) == SQLITE_ROW);
  REQUIRE(std::string(reinterpret_cast<const char*>(sqlite3_column_text(st, 0))) == "wal");
  sqlite3_finalize(st);
  (void)mode;
  const auto r = breakeven::map_into(hash_doc{}, items, s);
  INFO(r.explain());
  REQUIRE(r.ok());
  REQUIRE((r.decision.terms.measured || r.decision.terms.inconclusive));  // timed at start-up
  REQUIRE(r.batches < items.size() / 10);  // batched, not a commit per row
  REQUIRE(query_int(path, "SELECT count(*) FROM docs") == 20000);
  REQUIRE(query_int(path, "SELECT count(DISTINCT id) FROM docs") == 20000);
  REQUIRE(query_int(path, "SELECT hash FROM docs WHERE id = 1234") == std::get<1>(hash_doc{}(1234)));
}

TEST_CASE("sqlite: a constraint-violating row is reported and its batch's other rows commit", "[pipeline][sqlite][faults]") {
  temp_dir dir;
  const auto path = (dir.path / "docs.db").string();
  const auto items = ids(4000);
  sink_t s(docs_table(path, false, "id <> 777"));
  breakeven::pipeline_options o;
  o.batch.forced = 1000;
  const auto r = breakeven::map_into(hash_doc{}, items, s, o);
  REQUIRE(r.failed.size() == 1);
  REQUIRE(r.failed[0].index == 777);
  REQUIRE(r.failed[0].reason.find("CHECK constraint failed") != std::string::npos);
  REQUIRE(r.committed == 3999);
  REQUIRE(query_int(path, "SELECT count(*) FROM docs") == 3999);
  REQUIRE(query_int(path, "SELECT count(*) FROM docs WHERE id = 777") == 0);
}

TEST_CASE("sqlite: a kernel throwing for 1% of the items; the rest commit", "[pipeline][sqlite][faults]") {
  temp_dir dir;
  const auto path = (dir.path / "docs.db").string();
  const auto items = ids(10000);
  sink_t s(docs_table(path, false));
  const auto r = breakeven::map_into(throws_one_percent{}, items, s);
  REQUIRE(r.failed.size() == 100);
  REQUIRE(r.committed == 9900);
  REQUIRE(query_int(path, "SELECT count(*) FROM docs") == 9900);
  REQUIRE(query_int(path, "SELECT count(*) FROM docs WHERE id % 100 = 0") == 0);
}

TEST_CASE("sqlite: with an upsert key, running the job again leaves each row once", "[pipeline][sqlite]") {
  temp_dir dir;
  const auto path = (dir.path / "docs.db").string();
  for (int run = 0; run < 2; ++run) {
    sink_t s(docs_table(path, true));
    const auto items = ids(run == 0 ? 3000 : 5000);  // the first run stopped part-way
    const auto r = breakeven::map_into(hash_doc{}, items, s);
    REQUIRE(r.ok());
  }
  REQUIRE(query_int(path, "SELECT count(*) FROM docs") == 5000);
}
