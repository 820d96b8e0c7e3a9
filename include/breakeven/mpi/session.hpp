// breakeven/mpi/session.hpp - one MPI job as breakeven sees it: rank 0 coordinates, the
// other ranks serve tasks until the coordinator ends the job.
//
//   int main(int argc, char** argv) {
//     breakeven::mpi::session job(argc, argv);   // first thing in main
//     if (!job.coordinator()) return job.serve();  // ranks 1..n-1: the worker loop
//     breakeven::mpi::cluster ex(job);             // rank 0: the cluster executor
//     ...
//   }
//
// A program not started under mpirun (no launcher in its environment) does not initialize
// MPI: it is one rank, the cluster executor runs everything with the local decision, and
// BREAKEVEN_DEBUG says so once.
//
// Open MPI 4.1 has no fault-tolerant MPI (ULFM): a rank that dies ends the whole job. The
// communicator returns errors instead of aborting at once, and before the job ends the
// coordinator prints which tasks were in flight on which rank (docs/cluster.md, "Faults").
#pragma once

#include <breakeven/cluster_policy.hpp>
#include <breakeven/config.hpp>
#include <breakeven/detail/json.hpp>
#include <breakeven/ipc/runtime.hpp>
#include <breakeven/mpi/engine.hpp>
#include <breakeven/mpi/rank.hpp>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <signal.h>
#include <time.h>

namespace breakeven::mpi {

class session;

namespace detail {
inline session*& current_session() noexcept {
  static session* s = nullptr;
  return s;
}

// When a rank dies, mpirun (Open MPI 4.1) sends every other process SIGTERM, sleeps up to a
// second, then sends SIGKILL; the first child that dies cuts that sleep short. A worker rank
// that died of the SIGTERM at once would have the coordinator killed before its handler
// printed the tasks in flight (seen here one run in twenty: 2 ms between the two signals).
// So a worker rank lingers for half a second first; the coordinator's death, once its report
// is out, is then what ends the sleep, and SIGKILL ends the lingering ranks. What it replaced
// is kept where the coordinator's handler keeps it (previous_term_action, engine.hpp): a
// process is one or the other.
extern "C" inline void linger_on_term(int sig) noexcept {
  timespec left{0, 500'000'000};
  while (::nanosleep(&left, &left) != 0 && errno == EINTR) {
  }
  ::sigaction(sig, &previous_term_action(), nullptr);
  ::raise(sig);
}

// Installs linger_on_term while a worker rank serves, and puts back what it replaced.
class linger_on_term_scope {
 public:
  linger_on_term_scope() noexcept {
    struct sigaction a {};
    a.sa_handler = &linger_on_term;
    sigemptyset(&a.sa_mask);
    ::sigaction(SIGTERM, &a, &previous_term_action());
  }
  ~linger_on_term_scope() { ::sigaction(SIGTERM, &previous_term_action(), nullptr); }
  linger_on_term_scope(const linger_on_term_scope&) = delete;
  linger_on_term_scope& operator=(const linger_on_term_scope&) = delete;
};
}  // namespace detail


/// The MPI job of this process: its rank, its size, its cores, and the worker loop.
class session {
 public:
  /// Starts breakeven's process runtime (the fork server, before MPI and before threads),
  /// then MPI when a launcher started the program.
  session(int& argc, char**& argv) {
    process_runtime::init(argc, argv);
    if (detail::current_session() != nullptr) throw std::logic_error("breakeven: one mpi::session per process");
    if (under_launcher()) {
      int provided = 0;
      detail::check(MPI_Init_thread(&argc, &argv, MPI_THREAD_SERIALIZED, &provided), "MPI_Init_thread");
      if (provided < MPI_THREAD_SERIALIZED) {
        MPI_Finalize();
        throw std::runtime_error("breakeven: the MPI library does not allow calls from a second thread (MPI_THREAD_SERIALIZED)");
      }
      initialized_ = true;
      detail::check(MPI_Comm_dup(MPI_COMM_WORLD, &comm_), "MPI_Comm_dup");
      // Errors come back as codes, so that the coordinator can say what was in flight.
      MPI_Comm_set_errhandler(comm_, MPI_ERRORS_RETURN);
      MPI_Comm_rank(comm_, &rank_);
      MPI_Comm_size(comm_, &size_);
      MPI_Comm node;
      MPI_Comm_split_type(comm_, MPI_COMM_TYPE_SHARED, rank_, MPI_INFO_NULL, &node);
      MPI_Comm_size(node, &node_ranks_);
      MPI_Comm_free(&node);
    } else if (debug_enabled()) {
      std::fprintf(stderr, "breakeven: not started under mpirun: one rank, the local decision runs everything\n");
    }
    const unsigned hw = std::max(1u, std::thread::hardware_concurrency());
    cores_ = std::max(1u, hw / static_cast<unsigned>(std::max(1, node_ranks_)));
    detail::current_session() = this;
  }
  session(const session&) = delete;
  session& operator=(const session&) = delete;
  /// On the coordinator: waits for the tasks in flight, ends the worker loops; then MPI_Finalize.
  ~session();

  /// This process's rank (0 without MPI).
  int rank() const noexcept { return rank_; }
  /// Ranks in the job (1 without MPI).
  int size() const noexcept { return size_; }
  /// True on rank 0, which coordinates.
  bool coordinator() const noexcept { return rank_ == 0; }
  /// True when MPI was initialized (the program runs under a launcher).
  bool distributed() const noexcept { return initialized_; }
  /// Ranks sharing this node.
  int ranks_on_node() const noexcept { return node_ranks_; }
  /// The cores each rank of this node may use: the hardware threads over the ranks here.
  unsigned cores_per_rank() const noexcept { return cores_; }
  /// The job's communicator (a duplicate of MPI_COMM_WORLD; MPI_COMM_NULL without MPI).
  MPI_Comm comm() const noexcept { return comm_; }

  /// The network terms: measured ones from the file BREAKEVEN_NETWORK names (written by
  /// breakeven-mpi-calibrate), with this job's ranks and cores; otherwise a loopback
  /// estimate for ranks on one machine.
  network_profile network() const;

  /// On a worker rank: runs tasks until the coordinator ends the job. Returns 0 (the exit
  /// status for main). On the coordinator it returns at once.
  int serve();

  /// The session of this process, or nullptr.
  static session* current() noexcept { return detail::current_session(); }

  /// The coordinator's engine, started at first use (nullptr with one rank).
  std::shared_ptr<cluster_engine> engine();

 private:
  bool initialized_ = false;
  MPI_Comm comm_ = MPI_COMM_NULL;
  int rank_ = 0;
  int size_ = 1;
  int node_ranks_ = 1;
  unsigned cores_ = 1;
  std::shared_ptr<cluster_engine> engine_;
};

inline session::~session() {
  if (engine_) {
    engine_->shutdown();
    engine_.reset();
  }
  if (initialized_) {
    if (coordinator())
      for (int r = 1; r < size_; ++r) MPI_Send(nullptr, 0, MPI_BYTE, r, stop_tag, comm_);
    MPI_Comm_free(&comm_);
    MPI_Finalize();
  }
  detail::current_session() = nullptr;
}

inline std::shared_ptr<cluster_engine> session::engine() {
  if (!initialized_ || size_ < 2 || !coordinator()) return nullptr;
  if (!engine_) engine_ = std::make_shared<cluster_engine>(comm_, size_);
  return engine_;
}

inline network_profile session::network() const {
  // Loopback between ranks of one machine, as this project's 2-core test machine measures
  // it (docs/cluster.md): a few microseconds per message, shared-memory bandwidth; with more
  // ranks than cores there, 2.4 ms per call to reach napping ranks and hand replies back
  // (mpi_call_us), none measured otherwise.
  const bool oversubscribed = static_cast<unsigned>(node_ranks_) > std::max(1u, std::thread::hardware_concurrency());
  network_profile n{.name = "loopback (default)", .ranks = static_cast<unsigned>(size_), .cores_per_rank = cores_,
                    .latency_ns = 2'000, .ns_per_byte = 0.25, .task_ns = 5'000, .call_ns = oversubscribed ? 2'000'000.0 : 0.0};
  if (const char* path = std::getenv("BREAKEVEN_NETWORK"); path != nullptr && *path != 0) {
    std::FILE* f = std::fopen(path, "rb");
    if (f == nullptr) throw std::runtime_error(std::string("breakeven: cannot open BREAKEVEN_NETWORK file ") + path);
    std::string text;
    char chunk[4096];
    for (std::size_t got; (got = std::fread(chunk, 1, sizeof chunk, f)) > 0;) text.append(chunk, got);
    std::fclose(f);
    const auto doc = breakeven::detail::json::parse(text);
    const auto* net = doc.find("network");
    if (net == nullptr || !net->is(breakeven::detail::json::value::type::object))
      throw std::runtime_error(std::string("breakeven: ") + path + ": no \"network\" object (write it with breakeven-mpi-calibrate)");
    const auto number = [&](const char* key) {
      const auto* v = net->find(key);
      if (v == nullptr || !v->is(breakeven::detail::json::value::type::number) || !(v->num >= 0))
        throw std::runtime_error(std::string("breakeven: ") + path + ": network." + key + " must be a number >= 0");
      return v->num;
    };
    n.name = "measured";
    n.latency_ns = number("latency_ns");
    n.ns_per_byte = number("ns_per_byte");
    n.task_ns = number("task_ns");
    n.call_ns = net->find("call_ns") != nullptr ? number("call_ns") : 0;  // files written before the term
  }
  return n;
}

inline int session::serve() {
  if (coordinator() || !initialized_) return 0;
  using clock = std::chrono::steady_clock;
  const detail::linger_on_term_scope linger;
  rank_context ctx(cores_);
  std::vector<std::byte> msg, reply;
  auto last = clock::now();
  long backoff_us = 20;
  for (;;) {
    int flag = 0;
    MPI_Status st;
    int rc = MPI_Iprobe(0, MPI_ANY_TAG, comm_, &flag, &st);
    if (rc != MPI_SUCCESS) {
      std::fprintf(stderr, "%s\n", mpi_error("rank waiting for tasks", rc).what());
      MPI_Abort(comm_, 3);
    }
    if (flag == 0) {
      // Spin briefly after a task (the next one usually follows), then sleep in growing naps.
      if (clock::now() - last < detail::rank_spin) continue;
      detail::nap(backoff_us);
      backoff_us = std::min<long>(backoff_us * 2, 1000);
      continue;
    }
    backoff_us = 20;
    int count = 0;
    MPI_Get_count(&st, MPI_BYTE, &count);
    msg.resize(static_cast<std::size_t>(count));
    rc = MPI_Recv(msg.data(), count, MPI_BYTE, 0, st.MPI_TAG, comm_, MPI_STATUS_IGNORE);
    if (rc != MPI_SUCCESS) {
      std::fprintf(stderr, "%s\n", mpi_error("rank receiving a task", rc).what());
      MPI_Abort(comm_, 3);
    }
    if (st.MPI_TAG == stop_tag) break;
    if (st.MPI_TAG == echo_tag) {
      rc = MPI_Send(msg.data(), count, MPI_BYTE, 0, echo_tag, comm_);
      if (rc != MPI_SUCCESS) {
        std::fprintf(stderr, "%s\n", mpi_error("rank sending an echo", rc).what());
        MPI_Abort(comm_, 3);
      }
      last = clock::now();
      continue;
    }
    if (st.MPI_TAG != task_tag) continue;
    reply.clear();
    try {
      ipc::reader r(msg);
      const auto id = r.get<std::uint64_t>();
      const auto timeout = std::chrono::milliseconds(r.get<std::int64_t>());
      {
        ipc::writer w(reply);
        w.put(id);
      }
      run_task(r, reply, ctx, timeout);
    } catch (const std::exception& e) {
      // Too short to name its task: nothing can be answered.
      std::fprintf(stderr, "breakeven: rank %d dropped a malformed task message: %s\n", rank_, e.what());
      continue;
    }
    rc = MPI_Send(reply.data(), static_cast<int>(reply.size()), MPI_BYTE, 0, reply_tag, comm_);
    if (rc != MPI_SUCCESS) {
      std::fprintf(stderr, "%s\n", mpi_error("rank sending a reply", rc).what());
      MPI_Abort(comm_, 3);
    }
    last = clock::now();
  }
  return 0;
}

}  // namespace breakeven::mpi
