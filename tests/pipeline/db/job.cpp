// pipeline_job: the guide's pipeline as a program, for the kill -9 test and the demo.
//   pipeline_job sqlite PATH N        documents 0..N-1 hashed into PATH's table docs
//   pipeline_job postgres CONNINFO N  the same into PostgreSQL
//   N may be "count" (prints the table's rows and distinct ids) or "drop" (drops the table);
//   a fourth argument slows the sink by that many microseconds per batch.
// Rows are upserted by id, so a run after a killed one leaves each row once. Prints the
// report; exit status 0 when every row committed.
#include "../support.hpp"

#include <breakeven/ipc/runtime.hpp>
#include <breakeven/pipeline.hpp>
#include <breakeven/sinks/sqlite.hpp>
#ifdef BREAKEVEN_TEST_POSTGRES
#include <breakeven/sinks/postgres.hpp>
#endif

#include <cstdio>
#include <cstring>

using namespace pipeline_test;

namespace {
// A slower document: the run lasts long enough to be killed part-way.
struct slow_doc {
  using input_type = std::int64_t;
  using output_type = row;
  static constexpr auto cost = std::chrono::microseconds{50};
  row operator()(const std::int64_t& id) const {
    row r = hash_doc{}(id);
    for (int i = 0; i < 8; ++i) std::get<1>(r) = std::get<1>(hash_doc{}(std::get<1>(r)));
    return r;
  }
};

// The table rows go to, upserted by id: fills either database sink's options.
template <class Options>
Options docs_table(Options o) {
  o.table = "docs";
  o.columns = {"id", "hash", "body"};
  o.create = "CREATE TABLE IF NOT EXISTS docs (id BIGINT PRIMARY KEY, hash BIGINT NOT NULL, body TEXT NOT NULL)";
  o.key = {"id"};
  return o;
}

template <class S>
struct throttled {
  S& s;
  std::chrono::microseconds pause;
  void write_batch(std::span<const row> b) {
    std::this_thread::sleep_for(pause);
    s.write_batch(b);
  }
  void flush() { s.flush(); }
  void close() { s.close(); }
};

template <class S>
int run(S& sink, std::int64_t n, std::chrono::microseconds pause) {
  breakeven::pipeline_options o;
  o.batch.forced = 200;  // many commits: a kill lands between some of them
  throttled<S> t{sink, pause};
  const auto r = breakeven::map_into(slow_doc{}, ids(n), t, o);
  std::printf("%s\n", r.explain().c_str());
  return r.ok() ? 0 : 1;
}
}  // namespace

int main(int argc, char** argv) {
  breakeven::process_runtime::init(argc, argv);
  if (argc != 4 && argc != 5) {
    std::fprintf(stderr, "usage: %s sqlite PATH N|count|drop [US] | postgres CONNINFO N|count|drop [US]\n", argv[0]);
    return 2;
  }
  const std::string what = argv[3];
  const std::int64_t n = std::atoll(argv[3]);
  const std::chrono::microseconds pause(argc == 5 ? std::atoll(argv[4]) : 0);
  if (std::strcmp(argv[1], "sqlite") == 0) {
    if (what == "count" || what == "drop") {
      sqlite3* db = nullptr;
      if (sqlite3_open(argv[2], &db) != SQLITE_OK) return 1;
      sqlite3_stmt* st = nullptr;
      const char* sql = what == "drop" ? "DROP TABLE IF EXISTS docs" : "SELECT count(*), count(DISTINCT id) FROM docs";
      if (sqlite3_prepare_v2(db, sql, -1, &st, nullptr) != SQLITE_OK) {
        std::printf("0 0\n");  // no table yet
      } else if (sqlite3_step(st) == SQLITE_ROW) {
        std::printf("%lld %lld\n", static_cast<long long>(sqlite3_column_int64(st, 0)), static_cast<long long>(sqlite3_column_int64(st, 1)));
      }
      sqlite3_finalize(st);
      sqlite3_close(db);
      return 0;
    }
    breakeven::sinks::sqlite_sink<row>::options so;
    so.path = argv[2];
    breakeven::sinks::sqlite_sink<row> s(docs_table(so));
    return run(s, n, pause);
  }
#ifdef BREAKEVEN_TEST_POSTGRES
  if (std::strcmp(argv[1], "postgres") == 0) {
    if (what == "count" || what == "drop") {
      PGconn* c = PQconnectdb(argv[2]);
      if (PQstatus(c) != CONNECTION_OK) return 1;
      PQclear(PQexec(c, "SET client_min_messages = warning"));
      PGresult* r = PQexec(c, what == "drop" ? "DROP TABLE IF EXISTS docs" : "SELECT count(*), count(DISTINCT id) FROM docs");
      if (PQresultStatus(r) == PGRES_TUPLES_OK) std::printf("%s %s\n", PQgetvalue(r, 0, 0), PQgetvalue(r, 0, 1));
      else if (what == "count") std::printf("0 0\n");
      PQclear(r);
      PQfinish(c);
      return 0;
    }
    breakeven::sinks::postgres_sink<row>::options po;
    po.conninfo = argv[2];
    breakeven::sinks::postgres_sink<row> s(docs_table(po));
    return run(s, n, pause);
  }
#endif
  std::fprintf(stderr, "unknown sink '%s'\n", argv[1]);
  return 2;
}
