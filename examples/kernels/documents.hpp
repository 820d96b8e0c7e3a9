// kernels/documents.hpp - the guide's shared-sink job: documents tokenized and hashed on CPU
// workers, one row per document for a database (the pipeline's "CPU -> DB writer" lab).
#pragma once

#include <breakeven/traits.hpp>

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

namespace breakeven::examples {

/// A document: its id and its text.
using document = std::pair<std::int64_t, std::string>;
/// A document's row: id (the upsert key), token count, 64-bit FNV-1a hash of its tokens.
using document_row = std::tuple<std::int64_t, std::int64_t, std::int64_t>;

/// Splits a document into lower-cased words and hashes them; its rows go to one shared sink.
struct tokenize_hash {
  using input_type = document;
  using output_type = document_row;
  static constexpr auto cost = std::chrono::microseconds{2};
  static constexpr bool shared_sink = true;
  static constexpr std::string_view name = "tokenize_hash";

  document_row operator()(const document& d) const noexcept {
    std::uint64_t h = 0xcbf29ce484222325ull;
    std::int64_t tokens = 0;
    bool in_word = false;
    for (const char raw : d.second) {
      const char c = (raw >= 'A' && raw <= 'Z') ? static_cast<char>(raw - 'A' + 'a') : raw;
      const bool word = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
      if (word) {
        h = (h ^ static_cast<unsigned char>(c)) * 0x100000001b3ull;
      } else if (in_word) {
        h = (h ^ 0x20u) * 0x100000001b3ull;  // a token boundary
        ++tokens;
      }
      in_word = word;
    }
    if (in_word) ++tokens;
    return {d.first, tokens, static_cast<std::int64_t>(h >> 1)};
  }
};

/// The same work without the shared_sink trait: for code that handles the rows itself (the
/// benchmark's hand-written writer loop), which plain breakeven::map accepts.
struct tokenize_hash_plain : tokenize_hash {
  static constexpr bool shared_sink = false;
  static constexpr std::string_view name = "tokenize_hash_plain";
};

/// The table document rows go to, upserted by id (a re-run leaves each row once): fills the
/// table, columns, CREATE and key of a database sink's options.
template <class Options>
Options document_table(Options o) {
  o.table = "docs";
  o.columns = {"id", "tokens", "hash"};
  o.create = "CREATE TABLE IF NOT EXISTS docs (id BIGINT PRIMARY KEY, tokens BIGINT NOT NULL, hash BIGINT NOT NULL)";
  o.key = {"id"};
  return o;
}

/// `n` synthetic documents of about `words` words each, ids from 0.
inline std::vector<document> make_documents(std::size_t n, std::size_t words = 48) {
  static constexpr const char* vocabulary[] = {"break", "even", "point", "worker", "queue", "batch", "commit",
                                               "writer", "sink", "latency", "process", "thread", "Pool", "row",
                                               "Database", "shared", "memory", "transaction", "fsync", "cost"};
  std::vector<document> docs;
  docs.reserve(n);
  std::uint64_t x = 88172645463325252ull;
  for (std::size_t i = 0; i < n; ++i) {
    std::string text;
    for (std::size_t w = 0; w < words; ++w) {
      x ^= x << 13, x ^= x >> 7, x ^= x << 17;
      if (w) text += (x & 7) == 0 ? ", " : " ";
      text += vocabulary[x % 20];
    }
    docs.emplace_back(static_cast<std::int64_t>(i), std::move(text));
  }
  return docs;
}

}  // namespace breakeven::examples
