// breakeven/sink.hpp - a shared sink (a database table, a file): what the pipeline's one
// writer needs of it. Standard library only.
//
// A sink commits a batch atomically: write_batch(rows) either commits every row of the span
// or throws and commits none. The writer retries a batch that throws, splits one that keeps
// failing to find the rows at fault, and reports those with the exception's message. A sink
// says whether a failure may pass by itself (a lost connection, a busy database: retried
// with backoff) or is the data's fault (a constraint: split at once) by throwing a
// breakeven::sink_error; any other exception is treated as possibly transient.
#pragma once

#include <concepts>
#include <span>
#include <stdexcept>
#include <string>

namespace breakeven {

/// A sink's failure, with whether retrying the same batch later may succeed.
class sink_error : public std::runtime_error {
 public:
  sink_error(const std::string& what, bool transient) : std::runtime_error(what), transient_(transient) {}
  /// True when the same rows may commit later (connection lost, database busy).
  bool transient() const noexcept { return transient_; }

 private:
  bool transient_;
};

/// A sink of rows of type T: write_batch commits a span of rows atomically (or throws and
/// commits none), flush makes committed rows durable, close flushes and releases the sink
/// (a failure there throws).
template <class S, class T>
concept sink = requires(S& s, std::span<const T> rows) {
  s.write_batch(rows);
  s.flush();
  s.close();
};

}  // namespace breakeven
