// breakeven/sinks/postgres.hpp - a PostgreSQL sink through libpq: each batch is one
// transaction of prepared multi-row INSERTs (up to rows_per_statement rows each, parameters
// as text). With key columns the INSERT is an upsert (ON CONFLICT (key) DO UPDATE), so rows
// are idempotent: a batch retried after a lost connection, or a job run again after it was
// killed, leaves each row once. Without a key, a COMMIT whose answer was lost may be retried
// and commit twice: give a key where that matters.
//
// A lost connection (the server stopped, restarted, or unreachable) is transient: the next
// try reconnects. Constraint and data errors are the rows' fault (not transient).
// Header-only; links libpq (CMake: breakeven::postgres, Meson: breakeven_postgres_dep).
#pragma once

#include <breakeven/sink.hpp>
#include <breakeven/sinks/columns.hpp>

#include <libpq-fe.h>

#include <algorithm>
#include <cstring>
#include <map>
#include <span>
#include <string>
#include <vector>

namespace breakeven::sinks {

/// Commits rows of T to a PostgreSQL table, one transaction per batch.
template <class T>
class postgres_sink {
 public:
  struct options {
    std::string conninfo;              ///< libpq connection string ("host=/tmp port=5432 dbname=x")
    std::string table;
    std::vector<std::string> columns;  ///< one per column of a row
    std::string create;                ///< run once at open (e.g. CREATE TABLE IF NOT EXISTS ...)
    std::vector<std::string> key;      ///< upsert key columns (empty: plain INSERT)
    std::size_t rows_per_statement = 0;///< 0: as many as fit 1000 rows and 65535 parameters
  };

  explicit postgres_sink(options o) : o_(std::move(o)) {
    const std::size_t nc = std::max<std::size_t>(1, o_.columns.size());
    per_stmt_ = o_.rows_per_statement != 0 ? o_.rows_per_statement : std::min<std::size_t>(1000, 65535 / nc);
    connect();
    if (!o_.create.empty()) exec(o_.create);
  }
  postgres_sink(const postgres_sink&) = delete;
  postgres_sink& operator=(const postgres_sink&) = delete;
  ~postgres_sink() {
    if (conn_) PQfinish(conn_);
  }

  void write_batch(std::span<const T> rows) {
    if (closed_) throw sink_error("postgres sink: closed", false);
    if (!conn_ || PQstatus(conn_) != CONNECTION_OK) connect();
    exec("BEGIN");
    try {
      for (std::size_t at = 0; at < rows.size(); at += per_stmt_) insert(rows.subspan(at, std::min(per_stmt_, rows.size() - at)));
      exec("COMMIT");
    } catch (...) {
      if (conn_ && PQstatus(conn_) == CONNECTION_OK) PQclear(PQexec(conn_, "ROLLBACK"));
      throw;
    }
  }

  void flush() {}  // a committed transaction is durable on the server

  void close() {
    closed_ = true;
    if (conn_) PQfinish(conn_);
    conn_ = nullptr;
  }

  /// The connection (for the caller's own queries while the sink is open).
  PGconn* handle() const noexcept { return conn_; }

 private:
  void connect() {
    if (conn_) PQfinish(conn_);
    prepared_.clear();
    conn_ = PQconnectdb(o_.conninfo.c_str());
    if (PQstatus(conn_) != CONNECTION_OK) {
      const std::string why = PQerrorMessage(conn_);
      PQfinish(conn_);
      conn_ = nullptr;
      throw sink_error("postgres sink: cannot connect: " + why, true);
    }
    PQclear(PQexec(conn_, "SET client_min_messages = warning"));
  }

  [[noreturn]] void fail(PGresult* r, const std::string& what) {
    const char* state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : nullptr;
    std::string why = r ? PQresultErrorMessage(r) : "";
    if (why.empty() && conn_) why = PQerrorMessage(conn_);
    while (!why.empty() && (why.back() == '\n' || why.back() == ' ')) why.pop_back();
    bool transient = !conn_ || PQstatus(conn_) != CONNECTION_OK || state == nullptr;
    if (state) {
      const std::string cls(state, 2);
      transient = transient || cls == "08" || cls == "40" || cls == "53" || cls == "57";
      why = std::string(state) + " " + why;
    }
    if (r) PQclear(r);
    throw sink_error("postgres sink: " + what + ": " + why, transient);
  }

  void exec(const std::string& sql) {
    PGresult* r = PQexec(conn_, sql.c_str());
    const auto st = PQresultStatus(r);
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) fail(r, sql.substr(0, 40));
    PQclear(r);
  }

  const std::string& statement_for(std::size_t k) {
    auto it = prepared_.find(k);
    if (it != prepared_.end()) return it->second;
    const std::size_t nc = o_.columns.size();
    std::string sql = "INSERT INTO " + o_.table + " (";
    for (std::size_t i = 0; i < nc; ++i) sql += (i ? ", " : "") + o_.columns[i];
    sql += ") VALUES ";
    std::size_t p = 0;
    for (std::size_t r = 0; r < k; ++r) {
      sql += r ? ",(" : "(";
      for (std::size_t i = 0; i < nc; ++i) sql += (i ? ",$" : "$") + std::to_string(++p);
      sql += ")";
    }
    if (!o_.key.empty()) {
      sql += " ON CONFLICT (";
      for (std::size_t i = 0; i < o_.key.size(); ++i) sql += (i ? ", " : "") + o_.key[i];
      sql += ") DO ";
      std::string set;
      for (const auto& c : o_.columns)
        if (std::find(o_.key.begin(), o_.key.end(), c) == o_.key.end()) set += (set.empty() ? "" : ", ") + c + " = EXCLUDED." + c;
      sql += set.empty() ? "NOTHING" : "UPDATE SET " + set;
    }
    const std::string name = "breakeven_insert_" + std::to_string(k);
    PGresult* r = PQprepare(conn_, name.c_str(), sql.c_str(), 0, nullptr);
    if (PQresultStatus(r) != PGRES_COMMAND_OK) fail(r, "prepare");
    PQclear(r);
    return prepared_.emplace(k, name).first->second;
  }

  void insert(std::span<const T> rows) {
    const std::string& name = statement_for(rows.size());
    text_.clear();
    null_.clear();
    for (const T& row : rows)
      for_each_column(row, [&](const auto& c) {
        text_.emplace_back();
        null_.push_back(!column_text(c, text_.back()));
      });
    values_.resize(text_.size());
    for (std::size_t i = 0; i < text_.size(); ++i) values_[i] = null_[i] ? nullptr : text_[i].c_str();
    PGresult* r = PQexecPrepared(conn_, name.c_str(), static_cast<int>(values_.size()), values_.data(), nullptr, nullptr, 0);
    if (PQresultStatus(r) != PGRES_COMMAND_OK) fail(r, "insert");
    PQclear(r);
  }

  options o_;
  PGconn* conn_ = nullptr;
  bool closed_ = false;
  std::size_t per_stmt_ = 1000;
  std::map<std::size_t, std::string> prepared_;
  std::vector<std::string> text_;
  std::vector<char> null_;
  std::vector<const char*> values_;
};

}  // namespace breakeven::sinks
