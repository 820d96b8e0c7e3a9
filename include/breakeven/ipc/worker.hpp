// breakeven/ipc/worker.hpp - the worker process: reads task frames from its request ring,
// runs them, writes result or error frames to its response ring, and exits when told to,
// after its maximum number of tasks, or when the pool's end of its socket closes.
//
// Waiting: a worker spins on the ring for a bounded time after each task (so back-to-back
// tasks cost no sleep and wake-up), then parks on a futex; the pool wakes it with
// FUTEX_WAKE. While parked it looks at its socket every 100 ms: end of stream there means
// the pool is gone, and the worker exits. When the pool sleeps, the worker wakes it by
// writing one byte to that socket.
#pragma once

#include <breakeven/detail/decl.hpp>
#include <breakeven/ipc/codec.hpp>
#include <breakeven/ipc/entry.hpp>
#include <breakeven/ipc/exceptions.hpp>
#include <breakeven/ipc/frame.hpp>
#include <breakeven/ipc/registry.hpp>
#include <breakeven/ipc/ring.hpp>

#include <chrono>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include <poll.h>
#include <sched.h>
#include <sys/socket.h>
#include <unistd.h>

namespace breakeven::ipc {

/// What a worker is told at start.
struct worker_config {
  std::uint32_t ring_capacity = 0;
  std::uint32_t spin_ns = 0;
  std::uint64_t max_tasks = 0;       ///< 0: no limit
  std::uint64_t max_payload = default_max_payload;
  std::int32_t cpu = -1;             ///< the CPU to run on (-1: wherever the scheduler likes)
  std::uint64_t init_hash = 0;       ///< the initializer entry (0: none)
  std::uint64_t init_address = 0;
  std::vector<std::byte> init_args;
};

}  // namespace breakeven::ipc

namespace breakeven {
template <>
struct transport<ipc::worker_config> {
  static void encode(ipc::writer& w, const ipc::worker_config& c) {
    w.put(c.ring_capacity);
    w.put(c.spin_ns);
    w.put(c.max_tasks);
    w.put(c.max_payload);
    w.put(c.cpu);
    w.put(c.init_hash);
    w.put(c.init_address);
    ipc::encode(w, c.init_args);
  }
  static ipc::worker_config decode(ipc::reader& r) {
    ipc::worker_config c;
    c.ring_capacity = r.get<std::uint32_t>();
    c.spin_ns = r.get<std::uint32_t>();
    c.max_tasks = r.get<std::uint64_t>();
    c.max_payload = r.get<std::uint64_t>();
    c.cpu = r.get<std::int32_t>();
    c.init_hash = r.get<std::uint64_t>();
    c.init_address = r.get<std::uint64_t>();
    c.init_args = ipc::decode<std::vector<std::byte>>(r);
    return c;
  }
};
}  // namespace breakeven

namespace breakeven::ipc {

/// The record a worker sends when a task names a kernel its program does not have.
inline constexpr const char* unregistered_kernel_type = "breakeven::unregistered_kernel";

namespace detail {
BREAKEVEN_DECL std::vector<int>& worker_fds();
}  // namespace detail

/// In a worker: the i-th descriptor of its pool's `process_pool_options::worker_fds`, open
/// for the worker's life; -1 when there is none (or outside a worker).
BREAKEVEN_DECL int worker_descriptor(std::uint32_t i) noexcept;

/// The worker entry: arguments are its config, two descriptors (socket, shared memory),
/// and the pool's extra descriptors for kernels (a count, then each).
BREAKEVEN_DECL int worker_main(reader& args);

/// The worker entry's registration, found by name in every child.
inline const registration worker_registration{"breakeven::ipc::worker_main", &worker_main};

// The library's own error types travel with their types.
inline const exception_registration& process_error_registration = exception_entry<process_error>::reg;
inline const exception_registration& protocol_error_registration = exception_entry<protocol_error>::reg;
inline const exception_registration& decode_error_registration = exception_entry<decode_error>::reg;
inline const exception_registration& pool_closed_registration = exception_entry<pool_closed>::reg;

}  // namespace breakeven::ipc

#if !defined(BREAKEVEN_SEPARATE_COMPILATION)
#include <breakeven/ipc/impl/worker.ipp>
#endif
