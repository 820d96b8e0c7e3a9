// Test support for the pipeline: kernels and an in-memory sink that fails on demand.
#pragma once

#include <breakeven/sink.hpp>

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <mutex>
#include <span>
#include <stdexcept>
#include <string>
#include <thread>
#include <tuple>
#include <unistd.h>
#include <vector>

namespace pipeline_test {

/// A row: the item's id, a hash of its text, the text's length.
using row = std::tuple<std::int64_t, std::int64_t, std::string>;

/// Tokenizes and hashes a document: the guide's CPU stage.
struct hash_doc {
  using input_type = std::int64_t;
  using output_type = row;
  static constexpr auto cost = std::chrono::microseconds{5};
  row operator()(const std::int64_t& id) const {
    std::uint64_t h = 1469598103934665603ull ^ static_cast<std::uint64_t>(id);
    for (int i = 0; i < 200; ++i) h = (h ^ static_cast<std::uint64_t>(i)) * 1099511628211ull;
    return {id, static_cast<std::int64_t>(h >> 1), "doc-" + std::to_string(id)};
  }
};

/// Throws for every item divisible by 100 (1% of them).
struct throws_one_percent {
  using input_type = std::int64_t;
  using output_type = row;
  static constexpr auto cost = std::chrono::microseconds{5};
  row operator()(const std::int64_t& id) const {
    if (id % 100 == 0) throw std::runtime_error("bad document " + std::to_string(id));
    return hash_doc{}(id);
  }
};

/// Rows that a sink checks: rejects any row whose id is in `bad` (the data's fault), fails
/// the first `transient_failures` batches as a lost connection would, sleeps per batch.
struct memory_sink {
  std::vector<row> rows;
  std::vector<std::int64_t> bad;
  int transient_failures = 0;
  std::chrono::microseconds per_batch{0};
  bool fail_close = false;
  std::size_t batches = 0, flushes = 0, closes = 0;

  void write_batch(std::span<const row> b) {
    if (per_batch.count() != 0) std::this_thread::sleep_for(per_batch);
    if (transient_failures > 0) {
      --transient_failures;
      throw breakeven::sink_error("connection lost", true);
    }
    for (const row& r : b)
      for (auto id : bad)
        if (std::get<0>(r) == id) throw breakeven::sink_error("violates check constraint on id " + std::to_string(id), false);
    rows.insert(rows.end(), b.begin(), b.end());
    ++batches;
  }
  void flush() { ++flushes; }
  void close() {
    ++closes;
    if (fail_close) throw std::runtime_error("disk full at close");
  }
};

inline std::vector<std::int64_t> ids(std::int64_t n) {
  std::vector<std::int64_t> v(static_cast<std::size_t>(n));
  for (std::int64_t i = 0; i < n; ++i) v[static_cast<std::size_t>(i)] = i;
  return v;
}

/// A directory of its own under the system's temporary directory, removed at the end.
struct temp_dir {
  std::filesystem::path path;
  temp_dir() {
    std::string t = (std::filesystem::temp_directory_path() / "breakeven-pipeline-XXXXXX").string();
    if (!::mkdtemp(t.data())) throw std::runtime_error("mkdtemp failed");
    path = t;
  }
  ~temp_dir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
};

}  // namespace pipeline_test
