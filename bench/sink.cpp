// Figures of the shared-sink pipeline (breakeven::map_into), each measured side by side in
// one run on the guide's job: documents tokenized and hashed into a database table.
//   sink_sqlite_rows_per_s          the pipeline into an SQLite file (WAL)
//   sink_sqlite_vs_naive            the pipeline / every worker with its own connection, one
//                                   commit per row (the same job, the same table)
//   sink_pg_rows_per_s              the pipeline into PostgreSQL (BREAKEVEN_BENCH_PG: a libpq
//                                   connection string; scripts/bench starts a throw-away server)
//   sink_pg_vs_row_inserts          the pipeline / one INSERT per row in autocommit
//   sink_backpressure_peak_rss_mib  peak RSS growth with producers ten times faster than a
//                                   throttled sink, beside the queue's capacity
//   sink_overhead_ratio             the pipeline's time / a hand-written loop (map, then one
//                                   writer committing batches of the same size)
// argv[1] (optional): a directory for sink_batch.dat, rows/s against the batch size for both
// databases, which docs/pipeline.gp plots.
#include <breakeven/pipeline.hpp>
#include <breakeven/sinks/sqlite.hpp>
#ifdef BREAKEVEN_BENCH_POSTGRES
#include <breakeven/sinks/postgres.hpp>
#endif
#include <kernels/documents.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <unistd.h>
#include <vector>

namespace {
using namespace breakeven::examples;
using row = document_row;
using clock_type = std::chrono::steady_clock;
namespace fs = std::filesystem;

double seconds_since(clock_type::time_point t0) { return std::chrono::duration<double>(clock_type::now() - t0).count(); }

breakeven::sinks::sqlite_sink<row>::options sqlite_options(const fs::path& file) {
  fs::remove(file);
  fs::remove(file.string() + "-wal");
  fs::remove(file.string() + "-shm");
  breakeven::sinks::sqlite_sink<row>::options o;
  o.path = file.string();
  return document_table(o);
}

// The naive version: every worker opens its own connection and commits each of its rows.
double naive_sqlite_rows_per_s(const fs::path& file, const std::vector<document>& docs) {
  { breakeven::sinks::sqlite_sink<row> init(sqlite_options(file)); init.close(); }
  const unsigned workers = std::max(2u, std::thread::hardware_concurrency());
  const auto t0 = clock_type::now();
  std::vector<std::thread> ts;
  for (unsigned w = 0; w < workers; ++w)
    ts.emplace_back([&, w] {
      sqlite3* db = nullptr;
      sqlite3_open(file.string().c_str(), &db);
      sqlite3_busy_timeout(db, 60000);
      sqlite3_exec(db, "PRAGMA synchronous=FULL", nullptr, nullptr, nullptr);  // as the sink commits
      sqlite3_stmt* st = nullptr;
      sqlite3_prepare_v2(db, "INSERT INTO docs (id, tokens, hash) VALUES (?, ?, ?) ON CONFLICT (id) DO UPDATE SET tokens = excluded.tokens, hash = excluded.hash", -1, &st, nullptr);
      for (std::size_t i = w; i < docs.size(); i += workers) {
        const row r = tokenize_hash{}(docs[i]);
        sqlite3_bind_int64(st, 1, std::get<0>(r));
        sqlite3_bind_int64(st, 2, std::get<1>(r));
        sqlite3_bind_int64(st, 3, std::get<2>(r));
        while (sqlite3_step(st) == SQLITE_BUSY) sqlite3_reset(st);
        sqlite3_reset(st);
      }
      sqlite3_finalize(st);
      sqlite3_close(db);
    });
  for (auto& t : ts) t.join();
  return static_cast<double>(docs.size()) / seconds_since(t0);
}

template <class S>
struct timed_run {
  double seconds = 0;
  breakeven::pipeline_report report;
};

template <class Make>
auto pipeline_run(Make make, const std::vector<document>& docs, const breakeven::pipeline_options& o = {}) {
  auto s = make();
  timed_run<decltype(s)> t;
  const auto t0 = clock_type::now();
  t.report = breakeven::map_into(tokenize_hash{}, docs, *s, o);
  t.seconds = seconds_since(t0);
  if (!t.report.ok()) std::fprintf(stderr, "pipeline run not clean: %s\n", t.report.explain().c_str());
  return t;
}

// Rows/s of the writer alone at batch size b: `rows` precomputed, committed b at a time;
// the median of `reps` runs (a shared disk's fsync times vary).
template <class S>
double writer_rows_per_s(S& s, const std::vector<row>& rows, std::size_t b, int reps = 1) {
  std::vector<double> r;
  for (int k = 0; k < reps; ++k) {
    const auto t0 = clock_type::now();
    for (std::size_t at = 0; at < rows.size(); at += b) s.write_batch(std::span<const row>(rows).subspan(at, std::min(b, rows.size() - at)));
    r.push_back(static_cast<double>(rows.size()) / seconds_since(t0));
  }
  std::sort(r.begin(), r.end());
  return r[r.size() / 2];
}

// Peak RSS growth (VmHWM after clear_refs) while running f, in MiB.
template <class F>
double peak_rss_growth_mib(F&& f) {
  const auto field = [](const char* key) {
    std::ifstream in("/proc/self/status");
    std::string line;
    while (std::getline(in, line))
      if (line.rfind(key, 0) == 0) return std::atof(line.c_str() + std::strlen(key)) / 1024.0;
    return 0.0;
  };
  { std::ofstream("/proc/self/clear_refs") << "5"; }  // resets the peak to the current RSS
  const double before = field("VmRSS:");
  f();
  return field("VmHWM:") - before;
}

// A sink that takes `pause` per batch and keeps nothing: the slow database of the backpressure figure.
struct throttled_sink {
  std::chrono::microseconds pause;
  std::size_t rows = 0;
  void write_batch(std::span<const std::tuple<std::int64_t, std::string>> b) {
    std::this_thread::sleep_for(pause);
    rows += b.size();
  }
  void flush() {}
  void close() {}
};

// A kernel with large rows (4 KiB each), for the backpressure figure.
struct fat_rows {
  using input_type = std::int64_t;
  using output_type = std::tuple<std::int64_t, std::string>;
  static constexpr auto cost = std::chrono::microseconds{1};
  output_type operator()(const std::int64_t& i) const { return {i, std::string(4096, static_cast<char>('a' + i % 26))}; }
};

}  // namespace

int main(int argc, char** argv) {
  const fs::path dir = fs::temp_directory_path() / ("breakeven-bench-sink-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const fs::path db = dir / "docs.db";
  const std::vector<document> docs = make_documents(200000);

  // SQLite: the pipeline (the batch measured and decided), then the naive version.
  const auto sq = pipeline_run([&] { return std::make_unique<breakeven::sinks::sqlite_sink<row>>(sqlite_options(db)); }, docs);
  const double sq_rate = static_cast<double>(docs.size()) / sq.seconds;
  const std::vector<document> few(docs.begin(), docs.begin() + 1000);  // one fsync each: slow
  const double naive = naive_sqlite_rows_per_s(db, few);
  std::printf("sink_sqlite_rows_per_s: %.0f rows/s (batch %zu)\n", sq_rate, sq.report.decision.batch);
  std::printf("sink_sqlite_vs_naive: %.1f x (naive %.0f rows/s, %u workers each committing its own rows)\n", sq_rate / naive,
              naive, std::max(2u, std::thread::hardware_concurrency()));

  // The pipeline against a hand-written loop with the same batch: map all, then commit batches.
  {
    const std::size_t b = sq.report.decision.batch;
    breakeven::pipeline_options o;
    o.batch.forced = b;
    std::vector<double> ratios;
    for (int rep = 0; rep < 3; ++rep) {
      const auto p = pipeline_run([&] { return std::make_unique<breakeven::sinks::sqlite_sink<row>>(sqlite_options(db)); }, docs, o);
      breakeven::sinks::sqlite_sink<row> s(sqlite_options(db));
      const auto t0 = clock_type::now();
      const std::vector<row> rows = breakeven::map(breakeven::examples::tokenize_hash_plain{}, docs);
      for (std::size_t at = 0; at < rows.size(); at += b) s.write_batch(std::span<const row>(rows).subspan(at, std::min(b, rows.size() - at)));
      s.flush();
      s.close();
      ratios.push_back(p.seconds / seconds_since(t0));
    }
    std::sort(ratios.begin(), ratios.end());
    std::printf("sink_overhead_ratio: %.2f (pipeline / hand-written map-then-write loop, SQLite, batch %zu, median of 3)\n", ratios[1], b);
  }

  // Backpressure: producers ten times faster than the sink.
  {
    const std::size_t n = 40000;
    std::vector<std::int64_t> ids(n);
    for (std::size_t i = 0; i < n; ++i) ids[i] = static_cast<std::int64_t>(i);
    const auto t0 = clock_type::now();
    (void)breakeven::map(fat_rows{}, std::vector<std::int64_t>(ids.begin(), ids.begin() + 4000));
    const double produce_per_s = 4000 / seconds_since(t0);
    breakeven::pipeline_options o;
    o.queue_items = 4096;
    o.queue_bytes = 16u << 20;
    o.batch.forced = 256;
    throttled_sink s{std::chrono::microseconds(static_cast<std::int64_t>(256 / (produce_per_s / 10) * 1e6))};
    breakeven::pipeline_report r;
    const double mib = peak_rss_growth_mib([&] { r = breakeven::map_into(fat_rows{}, ids, s, o); });
    std::printf("sink_backpressure_peak_rss_mib: %.1f MiB (queue capacity %.0f MiB, %zu rows; queue peak %.1f MiB; all rows "
                "unqueued would be %.0f MiB; sink %.0f rows/s, producers %.0f rows/s)\n",
                mib, static_cast<double>(o.queue_bytes) / 1048576.0, o.queue_items,
                static_cast<double>(r.peak_bytes) / 1048576.0, static_cast<double>(n) * 4160 / 1048576.0,
                static_cast<double>(n) / 1.0 / std::max(1e-9, static_cast<double>(s.pause.count()) * 1e-6 * static_cast<double>(n) / 256),
                produce_per_s);
  }

  // Rows/s against the batch size, for the plot.
  std::vector<std::size_t> sizes{1, 4, 16, 64, 256, 1024, 4096, 16384};
  std::vector<row> rows = breakeven::map(breakeven::examples::tokenize_hash_plain{}, std::vector<document>(docs.begin(), docs.begin() + 65536));
  std::vector<double> sq_curve, pg_curve;
  {
    breakeven::sinks::sqlite_sink<row> s(sqlite_options(db));
    for (auto b : sizes) {
      const std::size_t k = std::min<std::size_t>(rows.size(), std::max<std::size_t>(200, b * 16));
      sq_curve.push_back(writer_rows_per_s(s, std::vector<row>(rows.begin(), rows.begin() + static_cast<std::ptrdiff_t>(k)), b, 3));
    }
  }
  std::size_t pg_batch = 0;
#ifdef BREAKEVEN_BENCH_POSTGRES
  if (const char* pg = std::getenv("BREAKEVEN_BENCH_PG")) {
    const auto pg_options = [&] {
      breakeven::sinks::postgres_sink<row>::options o;
      o.conninfo = pg;
      PGconn* c = PQconnectdb(pg);
      PQclear(PQexec(c, "SET client_min_messages = warning"));
      PQclear(PQexec(c, "DROP TABLE IF EXISTS docs"));
      PQfinish(c);
      return document_table(o);
    };
    const auto pr = pipeline_run([&] { return std::make_unique<breakeven::sinks::postgres_sink<row>>(pg_options()); }, docs);
    const double pg_rate = static_cast<double>(docs.size()) / pr.seconds;
    pg_batch = pr.report.decision.batch;
    // One INSERT per row in autocommit, one connection.
    breakeven::sinks::postgres_sink<row> single(pg_options());
    const std::vector<row> some(rows.begin(), rows.begin() + 1000);
    const double row_inserts = writer_rows_per_s(single, some, 1);
    std::printf("sink_pg_rows_per_s: %.0f rows/s (batch %zu)\n", pg_rate, pg_batch);
    std::printf("sink_pg_vs_row_inserts: %.1f x (one INSERT per row in autocommit: %.0f rows/s)\n", pg_rate / row_inserts, row_inserts);
    for (auto b : sizes) {
      const std::size_t k = std::min<std::size_t>(rows.size(), std::max<std::size_t>(200, b * 8));
      pg_curve.push_back(writer_rows_per_s(single, std::vector<row>(rows.begin(), rows.begin() + static_cast<std::ptrdiff_t>(k)), b, 3));
    }
  } else
#endif
  {
    std::printf("sink_pg_rows_per_s: skipped (no BREAKEVEN_BENCH_PG connection string)\n");
  }
  if (argc > 1) {
    std::ofstream out(fs::path(argv[1]) / "sink_batch.dat");
    out << "# rows/s against the writer's batch size (scripts/bench sink)\n";
    out << "# chosen: sqlite " << sq.report.decision.batch << " postgres " << pg_batch << "\n";
    out << "# batch sqlite_rows_per_s postgres_rows_per_s\n";
    for (std::size_t i = 0; i < sizes.size(); ++i) out << sizes[i] << ' ' << sq_curve[i] << ' ' << (pg_curve.empty() ? 0.0 : pg_curve[i]) << '\n';
  }
  fs::remove_all(dir);
}
