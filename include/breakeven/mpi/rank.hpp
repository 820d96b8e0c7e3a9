// breakeven/mpi/rank.hpp - what a rank does with one task of the cluster executor: find the
// kernel by its stable registered name, decode the chunk with the Transportable codec, run
// it with the local decision for the cores the rank has (sequential, its thread pool, its
// process pool), and encode the outputs or the error.
//
// This is glue (it reads the policy to run the mechanism): the hierarchical decision of
// docs/cluster.md, one decision across ranks on the coordinator and one per chunk here.
// A kernel that requires isolation runs in the rank's local process pool, so a crashing
// item kills a local worker process (worker_lost), not the rank. A task with a timeout runs
// its items in that process pool under the limit, so that a late item is killed
// (task_timeout) and the rank goes on.
//
// MPI-free: the same code runs a task on rank 0 when the program has only one rank.
#pragma once

#include <breakeven/decide.hpp>
#include <breakeven/executor/process_pool.hpp>
#include <breakeven/executor/thread_pool.hpp>
#include <breakeven/ipc/codec.hpp>
#include <breakeven/ipc/entry.hpp>
#include <breakeven/ipc/errors.hpp>
#include <breakeven/ipc/exceptions.hpp>
#include <breakeven/ipc/posix.hpp>
#include <breakeven/ipc/registry.hpp>
#include <breakeven/operation.hpp>
#include <breakeven/profile.hpp>

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <exception>
#include <future>
#include <iterator>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <type_traits>
#include <vector>

namespace breakeven::mpi {

/// The cores, profile and local pools a rank runs its tasks with (pools start at first use
/// and stay warm for the job).
class rank_context {
 public:
  explicit rank_context(unsigned cores) : cores_(cores == 0 ? 1 : cores), profile_(default_profile::value) {
    profile_.cores = cores_;
  }
  rank_context(const rank_context&) = delete;
  rank_context& operator=(const rank_context&) = delete;

  unsigned cores() const noexcept { return cores_; }
  /// The build's profile with this rank's cores.
  const machine_profile& profile() const noexcept { return profile_; }
  /// The local decision's options: this rank's cores, and which pools are already warm.
  call_options options() const noexcept {
    call_options o;
    o.max_workers = cores_;
    o.threads_warm = threads_.has_value();
    o.processes_warm = processes_.has_value();
    return o;
  }
  thread_pool& threads() {
    if (!threads_) threads_.emplace(cores_);
    return *threads_;
  }
  /// The local process pool: at least two workers, so that one lost worker never serializes the rest.
  process_pool& processes() {
    if (!processes_) processes_.emplace(cores_ < 2 ? 2u : cores_);
    return *processes_;
  }

  /// What the local decision chose for a chunk: the executor and its schedule.
  struct choice {
    executor_kind kind = executor_kind::sequential;
    breakeven::schedule schedule{};
  };

  /// The local decision for `n` items of `Op`. decide() is a pure function of the kernel,
  /// the count, the profile and the options, so the last answer per kernel is kept: a
  /// stream of equal chunks (a round trip of one item at a time) decides once.
  template <class Op>
  choice choose(std::size_t n) {
    const call_options o = options();
    const void* key = &op_key<Op>;
    memo& m = memo_[(reinterpret_cast<std::uintptr_t>(key) >> 4) % memo_.size()];
    if (m.key != key || m.n != n || m.threads_warm != o.threads_warm || m.processes_warm != o.processes_warm) {
      const plan p = decide(describe<Op>(), n, profile_, o);
      m = memo{key, n, o.threads_warm, o.processes_warm, {p.kind, p.schedule()}};
    }
    return m.chosen;
  }

 private:
  template <class Op>
  static constexpr char op_key = 0;
  struct memo {
    const void* key = nullptr;
    std::size_t n = 0;
    bool threads_warm = false, processes_warm = false;
    choice chosen;
  };
  std::array<memo, 8> memo_{};
  unsigned cores_;
  machine_profile profile_;
  std::optional<thread_pool> threads_;
  std::optional<process_pool> processes_;
};

/// How a task ended, first byte of a reply after the task id.
enum class reply_status : std::uint8_t { value, error, worker_lost, task_timeout };

/// Runs one chunk on a rank: reads the kernel object and items after the name, writes the
/// count and outputs, and says which local executor ran it.
using rank_fn = void (*)(ipc::reader& in, ipc::writer& out, rank_context& ctx, std::chrono::milliseconds timeout,
                         executor_kind& ran_on);

/// One kernel the ranks can run, found by the hash of its stable name (a rank is another
/// run of the same binary: addresses differ, names do not).
struct rank_registration {
  rank_registration(std::string_view n, rank_fn f) noexcept : name(n), hash(ipc::name_hash(n)), fn(f) {
    const rank_registration* h = head().load(std::memory_order_relaxed);
    do next = h;
    while (!head().compare_exchange_weak(h, this, std::memory_order_release, std::memory_order_relaxed));
  }
  rank_registration(const rank_registration&) = delete;
  rank_registration& operator=(const rank_registration&) = delete;

  std::string_view name;
  std::uint64_t hash;
  rank_fn fn;
  const rank_registration* next = nullptr;

  /// The registration of `hash`; nullptr with the reason in `why` when none or ambiguous.
  static const rank_registration* find(std::uint64_t hash, std::string& why) {
    const rank_registration* found = nullptr;
    for (const rank_registration* r = head().load(std::memory_order_acquire); r != nullptr; r = r->next) {
      if (r->hash != hash) continue;
      if (found != nullptr && found->fn != r->fn) {
        why = "two kernels share the name '" + std::string(r->name) + "' (give the kernel a distinct type)";
        return nullptr;
      }
      found = r;
    }
    if (found == nullptr) why = "no kernel with this name is registered in the rank's program";
    return found;
  }

 private:
  static std::atomic<const rank_registration*>& head() noexcept {
    static std::atomic<const rank_registration*> h{nullptr};
    return h;
  }
};

/// Runs `op` over `items` with the local decision; appends the outputs to `out`.
template <class Op>
executor_kind run_local(const Op& op, const std::vector<input_t<Op>>& items, ipc::writer& out, rank_context& ctx,
                        std::chrono::milliseconds timeout) {
  using Out = output_t<Op>;
  const std::size_t n = items.size();
  if (timeout.count() > 0) {
    // A task with a limit must be killable: each item in a local worker process.
    std::vector<std::future<Out>> fs;
    fs.reserve(n);
    for (const auto& x : items) fs.push_back(ctx.processes().submit(op, x, timeout));
    std::exception_ptr first;
    for (auto& f : fs) {
      try {
        if constexpr (std::is_void_v<Out>) {
          f.get();
        } else {
          Out y = f.get();
          if (!first) ipc::encode(out, y);
        }
      } catch (...) {
        if (!first) first = std::current_exception();
      }
    }
    if (first) std::rethrow_exception(first);
    return executor_kind::process_pool;
  }
  const rank_context::choice p = ctx.choose<Op>(n);
  constexpr bool into_array = std::is_void_v<Out> || std::default_initializable<Out>;
  if (p.kind == executor_kind::thread_pool) {
    if constexpr (thread_pool::admits<Op> && into_array) {
      if constexpr (std::is_void_v<Out>) {
        ctx.threads().bulk_for_each(op, items, p.schedule);
      } else {
        std::vector<Out> r(n);
        ctx.threads().bulk_map(op, items, r.data(), p.schedule);
        for (const Out& y : r) ipc::encode(out, y);
      }
      return executor_kind::thread_pool;
    }
  }
  if (p.kind == executor_kind::process_pool || p.kind == executor_kind::shared_memory) {
    // The shared-memory pool is one machine's answer to large payloads; a rank's chunk has
    // already crossed the network as bytes, so the pipe pool runs it.
    if constexpr (std::is_void_v<Out>) {
      ctx.processes().bulk_for_each(op, items, p.schedule);
    } else {
      std::vector<Out> r;
      r.reserve(n);
      ctx.processes().bulk_map(op, items, std::back_inserter(r), p.schedule);
      for (const Out& y : r) ipc::encode(out, y);
    }
    return executor_kind::process_pool;
  }
  for (const auto& x : items) {
    if constexpr (std::is_void_v<Out>) op(x);
    else ipc::encode(out, static_cast<const Out&>(op(x)));
  }
  return executor_kind::sequential;
}

/// The rank side of kernel `Op`.
template <class Op>
struct rank_entry {
  static void run(ipc::reader& in, ipc::writer& out, rank_context& ctx, std::chrono::milliseconds timeout,
                  executor_kind& ran_on) {
    const Op op = ipc::kernel_entry<Op>::read_kernel(in);
    const auto n = in.get<std::uint32_t>();
    std::vector<input_t<Op>> items;
    items.reserve(n);
    for (std::uint32_t i = 0; i < n; ++i) items.push_back(ipc::decode<input_t<Op>>(in));
    if (in.remaining() != 0) in.fail("trailing bytes after the chunk's items", 0);
    out.put(n);
    ran_on = run_local(op, items, out, ctx, timeout);
  }
  static inline const rank_registration reg{kernel_traits<Op>::name, &run};
};

/// Runs one task message (after its id and timeout) and writes the reply body: status,
/// then the executor that ran it and the outputs, or the error.
inline void run_task(ipc::reader& in, std::vector<std::byte>& reply, rank_context& ctx, std::chrono::milliseconds timeout) {
  const std::size_t at = reply.size();
  try {
    const auto hash = in.get<std::uint64_t>();
    (void)in.get<std::uint64_t>();  // the sender's address of the kernel: another image's
    std::string why;
    const rank_registration* r = rank_registration::find(hash, why);
    if (r == nullptr) throw remote_error(ipc::unregistered_kernel_type, why);
    executor_kind ran_on = executor_kind::sequential;
    {
      ipc::writer w(reply);
      w.put(reply_status::value);
      w.put(ran_on);  // a place for it: written below, once the chunk has run
      r->fn(in, w, ctx, timeout, ran_on);
    }
    static_assert(sizeof(executor_kind) == 1 && sizeof(reply_status) == 1);
    std::memcpy(reply.data() + at + 1, &ran_on, 1);
  } catch (const worker_lost& e) {
    reply.resize(at);
    ipc::writer w(reply);
    w.put(reply_status::worker_lost);
    w.put(static_cast<std::int64_t>(e.pid()));
    w.put(e.status());
  } catch (const task_timeout& e) {
    reply.resize(at);
    ipc::writer w(reply);
    w.put(reply_status::task_timeout);
    w.put(static_cast<std::int64_t>(e.pid()));
    w.put(static_cast<std::int64_t>(e.limit().count()));
  } catch (...) {
    const ipc::error_record rec = ipc::capture_current_exception();
    reply.resize(at);
    ipc::writer w(reply);
    w.put(reply_status::error);
    ipc::encode(w, rec);
  }
}

/// The exception a failed reply stands for, with its type (the rest of `r` after the status).
inline std::exception_ptr reply_error(reply_status s, ipc::reader& r) {
  switch (s) {
    case reply_status::worker_lost: {
      const auto pid = static_cast<pid_t>(r.get<std::int64_t>());
      return std::make_exception_ptr(worker_lost(pid, r.get<ipc::exit_status>()));
    }
    case reply_status::task_timeout: {
      const auto pid = static_cast<pid_t>(r.get<std::int64_t>());
      return std::make_exception_ptr(task_timeout(pid, std::chrono::milliseconds(r.get<std::int64_t>())));
    }
    case reply_status::error: return ipc::rebuild_exception(ipc::decode<ipc::error_record>(r));
    case reply_status::value: break;
  }
  return std::make_exception_ptr(protocol_error("breakeven: a rank's reply has no error where one was announced"));
}

}  // namespace breakeven::mpi
