// breakeven/limits.hpp - the executors' sizes that the decision prices: one home, read by
// the policy (decide) and by the executors' option defaults, so the two cannot drift.
// Standard library only: no OS headers, no executor.
#pragma once

#include <cstddef>

namespace breakeven::limits {

/// Each direction's shared ring per worker process (process_pool_options::ring_bytes).
inline constexpr std::size_t process_ring_bytes = std::size_t{256} << 10;

/// The payload (in and out) a process-pool plan aims to put in one task: a quarter of the
/// ring (a pool with another ring size cuts its default chunks at the same fraction). Larger tasks stream through the ring in many turns and leave the caller encoding
/// while the workers wait; with more, smaller tasks, encoding, transfer and work overlap
/// (100,000 log lines on 2 workers: 44 - 64 ms in two tasks, 29 - 33 ms in twenty).
inline constexpr std::size_t process_task_ring_fraction = 4;
inline constexpr std::size_t process_task_payload_bytes = process_ring_bytes / process_task_ring_fraction;

/// Free memory the shared-memory pool keeps mapped for reuse (shm::arena_options::retain_bytes).
/// A call whose payload reaches it hands its pages back when it ends and faults them in
/// again on the next call: the decision adds that re-fault to every such call.
inline constexpr std::size_t shm_retain_bytes = std::size_t{256} << 20;

/// The work (ns) of one chunk of an asynchronous call: chunks are claimed one at a time, so
/// a cancellation is seen within about this long per lane.
inline constexpr double async_chunk_ns = 1'000'000;

/// The work (ns) of one piece of a sequential batch that an asynchronous call runs on one
/// worker, off the caller's thread (a cancellation is seen within about this long).
inline constexpr double async_lane_piece_ns = 100'000;

}  // namespace breakeven::limits
