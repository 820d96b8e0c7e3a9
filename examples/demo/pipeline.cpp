// breakeven-demo-pipeline: the guide's shared-sink pipeline. Documents are tokenized and
// hashed on CPU workers (the executor the plan picks) and their rows go through a bounded
// queue to one batched writer: into SQLite (a file, by default under build/), or into
// PostgreSQL when BREAKEVEN_DEMO_PG holds a libpq connection string. Beside it, the naive
// version of the same job: every worker opens its own connection and commits its own rows
// (on the first 500 documents: each commit waits for the disk).
//   breakeven-demo-pipeline [DATABASE_FILE] [DOCUMENTS]
#include <breakeven/ipc/runtime.hpp>
#include <breakeven/pipeline.hpp>
#include <breakeven/sinks/sqlite.hpp>
#ifdef BREAKEVEN_DEMO_POSTGRES
#include <breakeven/sinks/postgres.hpp>
#endif
#include <kernels/documents.hpp>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

namespace {
using namespace breakeven::examples;
using row = document_row;
using clock_type = std::chrono::steady_clock;

const std::string upsert_sql =
    "INSERT INTO docs (id, tokens, hash) VALUES ($1, $2, $3) ON CONFLICT (id) DO UPDATE SET tokens = excluded.tokens, hash = excluded.hash";

double since(clock_type::time_point t0) { return std::chrono::duration<double>(clock_type::now() - t0).count(); }

// The naive version: `workers` threads, each with its own connection, one commit per row.
template <class Open, class Insert, class Close>
double naive_rows_per_s(const std::vector<document>& docs, unsigned workers, Open open, Insert insert, Close close) {
  const auto t0 = clock_type::now();
  std::vector<std::thread> ts;
  for (unsigned w = 0; w < workers; ++w)
    ts.emplace_back([&, w] {
      auto c = open();
      for (std::size_t i = w; i < docs.size(); i += workers) insert(c, tokenize_hash{}(docs[i]));
      close(c);
    });
  for (auto& t : ts) t.join();
  return static_cast<double>(docs.size()) / since(t0);
}

template <class S>
double pipeline_rows_per_s(S& sink, const std::vector<document>& docs, breakeven::pipeline_report& r) {
  const auto t0 = clock_type::now();
  r = breakeven::map_into(tokenize_hash{}, docs, sink);
  return static_cast<double>(docs.size()) / since(t0);
}

void print(const char* db, double pipeline, double naive, unsigned workers, const breakeven::pipeline_report& r) {
  std::printf("\n%s: %zu documents tokenized and hashed, one row each\n", db, r.items);
  std::printf("  pipeline (CPU workers -> bounded queue -> one batched writer): %10.0f rows/s\n", pipeline);
  std::printf("  naive (%u workers, each its own connection, one commit per row): %7.0f rows/s\n", workers, naive);
  std::printf("  -> %.1fx; %s\n", pipeline / naive, r.ok() ? "every row committed" : "NOT every row committed");
  std::printf("  %s\n", r.explain().c_str());
}
}  // namespace

int main(int argc, char** argv) {
  breakeven::process_runtime::init(argc, argv);
  const std::string file = argc > 1 ? argv[1] : "build/demo-pipeline.db";
  const std::size_t n = argc > 2 ? std::strtoull(argv[2], nullptr, 10) : 100000;
  const unsigned workers = std::max(2u, std::thread::hardware_concurrency());
  const std::vector<document> docs = make_documents(n);
  const std::vector<document> few(docs.begin(), docs.begin() + static_cast<std::ptrdiff_t>(std::min<std::size_t>(n, 500)));
  int status = 0;

  {
    std::filesystem::remove(file);
    breakeven::sinks::sqlite_sink<row>::options o;
    o.path = file;
    o = document_table(o);
    breakeven::pipeline_report r;
    double pipeline = 0;
    {
      breakeven::sinks::sqlite_sink<row> s(o);
      pipeline = pipeline_rows_per_s(s, docs, r);
    }
    const double naive = naive_rows_per_s(
        few, workers,
        [&] {
          sqlite3* db = nullptr;
          sqlite3_open(file.c_str(), &db);
          sqlite3_busy_timeout(db, 60000);
          sqlite3_exec(db, "PRAGMA synchronous=FULL", nullptr, nullptr, nullptr);  // as the sink commits
          sqlite3_stmt* st = nullptr;
          std::string sql = upsert_sql;
          for (char d = '1'; d <= '3'; ++d) sql.replace(sql.find(std::string("$") + d), 2, "?");
          sqlite3_prepare_v2(db, sql.c_str(), -1, &st, nullptr);
          return std::pair{db, st};
        },
        [](auto& c, const row& x) {
          sqlite3_bind_int64(c.second, 1, std::get<0>(x));
          sqlite3_bind_int64(c.second, 2, std::get<1>(x));
          sqlite3_bind_int64(c.second, 3, std::get<2>(x));
          while (sqlite3_step(c.second) == SQLITE_BUSY) sqlite3_reset(c.second);
          sqlite3_reset(c.second);
        },
        [](auto& c) {
          sqlite3_finalize(c.second);
          sqlite3_close(c.first);
        });
    print(("SQLite (" + file + ")").c_str(), pipeline, naive, workers, r);
    status |= r.ok() ? 0 : 1;
  }

#ifdef BREAKEVEN_DEMO_POSTGRES
  if (const char* pg = std::getenv("BREAKEVEN_DEMO_PG")) {
    breakeven::sinks::postgres_sink<row>::options o;
    o.conninfo = pg;
    o = document_table(o);
    breakeven::pipeline_report r;
    double pipeline = 0;
    {
      breakeven::sinks::postgres_sink<row> s(o);
      PQclear(PQexec(s.handle(), "TRUNCATE docs"));
      pipeline = pipeline_rows_per_s(s, docs, r);
    }
    const double naive = naive_rows_per_s(
        few, workers,
        [&] {
          PGconn* c = PQconnectdb(pg);
          PQclear(PQprepare(c, "up", upsert_sql.c_str(), 3, nullptr));
          return c;
        },
        [](PGconn* c, const row& x) {
          const std::string a = std::to_string(std::get<0>(x)), b = std::to_string(std::get<1>(x)), d = std::to_string(std::get<2>(x));
          const char* v[3] = {a.c_str(), b.c_str(), d.c_str()};
          PQclear(PQexecPrepared(c, "up", 3, v, nullptr, nullptr, 0));
        },
        [](PGconn* c) { PQfinish(c); });
    print("PostgreSQL (BREAKEVEN_DEMO_PG)", pipeline, naive, workers, r);
    status |= r.ok() ? 0 : 1;
  } else {
    std::printf("\nPostgreSQL: set BREAKEVEN_DEMO_PG to a connection string to run the same job into PostgreSQL\n");
  }
#endif
  return status;
}
