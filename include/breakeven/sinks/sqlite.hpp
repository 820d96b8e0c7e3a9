// breakeven/sinks/sqlite.hpp - the embedded default sink: SQLite in WAL mode, one prepared
// INSERT, one transaction per batch (BEGIN IMMEDIATE ... COMMIT; ROLLBACK on any failure, so
// a batch commits whole or not at all). With key columns the INSERT is an upsert
// (ON CONFLICT(key) DO UPDATE), so a job run again commits each row once.
// Header-only; links the SQLite client library (-lsqlite3; CMake: breakeven::sqlite,
// Meson: breakeven_sqlite_dep).
#pragma once

#include <breakeven/sink.hpp>
#include <breakeven/sinks/columns.hpp>

#include <sqlite3.h>

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <type_traits>
#include <vector>

namespace breakeven::sinks {

/// Commits rows of T to a table of an SQLite database file.
template <class T>
class sqlite_sink {
 public:
  struct options {
    std::string path;                  ///< the database file (created if missing)
    std::string table;                 ///< the table the rows go to
    std::vector<std::string> columns;  ///< its columns, one per column of a row
    std::string create;                ///< run once at open (e.g. CREATE TABLE IF NOT EXISTS ...)
    std::vector<std::string> key;      ///< upsert key columns (empty: plain INSERT)
    /// PRAGMA synchronous: FULL (the default) syncs the WAL at each commit, so a committed
    /// batch survives a power loss; NORMAL survives a killed program but not a crash of the OS.
    std::string synchronous = "FULL";
    int busy_timeout_ms = 5000;
    /// Binds one row to the statement (default: the row's columns, breakeven/sinks/columns.hpp).
    std::function<void(sqlite3_stmt*, const T&)> bind;
  };

  explicit sqlite_sink(options o) : o_(std::move(o)) {
    if (sqlite3_open_v2(o_.path.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr) != SQLITE_OK) {
      const std::string why = db_ ? sqlite3_errmsg(db_) : "out of memory";
      sqlite3_close(db_);
      db_ = nullptr;
      throw sink_error("sqlite sink: cannot open " + o_.path + ": " + why, false);
    }
    sqlite3_busy_timeout(db_, o_.busy_timeout_ms);
    exec("PRAGMA journal_mode=WAL");
    exec("PRAGMA synchronous=" + o_.synchronous);
    if (!o_.create.empty()) exec(o_.create);
    std::string sql = "INSERT INTO " + o_.table + " (";
    std::string marks;
    for (std::size_t i = 0; i < o_.columns.size(); ++i) {
      sql += (i ? ", " : "") + o_.columns[i];
      marks += i ? ", ?" : "?";
    }
    sql += ") VALUES (" + marks + ")";
    if (!o_.key.empty()) {
      sql += " ON CONFLICT (";
      for (std::size_t i = 0; i < o_.key.size(); ++i) sql += (i ? ", " : "") + o_.key[i];
      sql += ") DO ";
      std::string set;
      for (const auto& c : o_.columns) {
        bool is_key = false;
        for (const auto& k : o_.key) is_key = is_key || k == c;
        if (!is_key) set += (set.empty() ? "" : ", ") + c + " = excluded." + c;
      }
      sql += set.empty() ? "NOTHING" : "UPDATE SET " + set;
    }
    if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &insert_, nullptr) != SQLITE_OK) {
      const std::string why = sqlite3_errmsg(db_);
      sqlite3_close(db_);
      db_ = nullptr;
      throw sink_error("sqlite sink: cannot prepare '" + sql + "': " + why, false);
    }
  }
  sqlite_sink(const sqlite_sink&) = delete;
  sqlite_sink& operator=(const sqlite_sink&) = delete;
  ~sqlite_sink() {
    sqlite3_finalize(insert_);
    sqlite3_close(db_);
  }

  void write_batch(std::span<const T> rows) {
    if (!db_) throw sink_error("sqlite sink: closed", false);
    exec("BEGIN IMMEDIATE");
    for (const T& r : rows) {
      sqlite3_reset(insert_);
      sqlite3_clear_bindings(insert_);
      if (o_.bind) o_.bind(insert_, r);
      else bind_columns(r);
      const int rc = sqlite3_step(insert_);
      if (rc != SQLITE_DONE) {
        const std::string why = sqlite3_errmsg(db_);
        sqlite3_reset(insert_);
        rollback();
        throw sink_error("sqlite sink: " + why, transient(rc));
      }
    }
    sqlite3_reset(insert_);
    const int rc = sqlite3_exec(db_, "COMMIT", nullptr, nullptr, nullptr);
    if (rc != SQLITE_OK) {
      const std::string why = sqlite3_errmsg(db_);
      rollback();
      throw sink_error("sqlite sink: commit: " + why, transient(rc));
    }
  }

  /// Moves the WAL's committed pages into the database file.
  void flush() {
    if (db_) exec("PRAGMA wal_checkpoint(PASSIVE)");
  }

  void close() {
    if (!db_) return;
    sqlite3_finalize(insert_);
    insert_ = nullptr;
    const int rc = sqlite3_close(db_);
    if (rc != SQLITE_OK) throw sink_error(std::string("sqlite sink: close: ") + sqlite3_errstr(rc), false);
    db_ = nullptr;
  }

  /// The connection (for the caller's own queries while the sink is open).
  sqlite3* handle() const noexcept { return db_; }

 private:
  static bool transient(int rc) {
    const int primary = rc & 0xff;
    return primary == SQLITE_BUSY || primary == SQLITE_LOCKED || primary == SQLITE_IOERR || primary == SQLITE_FULL;
  }
  void rollback() { sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr); }
  void exec(const std::string& sql) {
    char* err = nullptr;
    const int rc = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &err);
    if (rc != SQLITE_OK) {
      const std::string why = err ? err : sqlite3_errstr(rc);
      sqlite3_free(err);
      throw sink_error("sqlite sink: " + sql + ": " + why, transient(rc));
    }
  }
  void bind_columns(const T& row) {
    int i = 0;
    for_each_column(row, [&](const auto& c) { bind_one(++i, c); });
  }
  template <class C>
  void bind_one(int i, const C& c) {
    if constexpr (detail::is_optional<C>::value) {
      if (c) bind_one(i, *c);
      else sqlite3_bind_null(insert_, i);
    } else if constexpr (std::is_integral_v<C>) {
      sqlite3_bind_int64(insert_, i, static_cast<sqlite3_int64>(c));
    } else if constexpr (std::is_floating_point_v<C>) {
      sqlite3_bind_double(insert_, i, static_cast<double>(c));
    } else {
      const std::string_view s(c);
      sqlite3_bind_text(insert_, i, s.data(), static_cast<int>(s.size()), SQLITE_STATIC);
    }
  }

  options o_;
  sqlite3* db_ = nullptr;
  sqlite3_stmt* insert_ = nullptr;
};

}  // namespace breakeven::sinks
