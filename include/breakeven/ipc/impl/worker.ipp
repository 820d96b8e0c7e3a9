// breakeven/ipc/impl/worker.ipp - the worker's loop, the definitions of worker.hpp.
// Included by its header, inline; with BREAKEVEN_SEPARATE_COMPILATION, compiled once
// through <breakeven/impl/src.hpp>.
#pragma once

#include <breakeven/ipc/worker.hpp>

namespace breakeven::ipc {

/// The worker's loop, run in the child.
class worker_loop {
 public:
  worker_loop(int sock, duplex_mapping map, const worker_config& cfg)
      : sock_(sock), map_(std::move(map)), req_(map_.request()), resp_(map_.response()), cfg_(cfg),
        decoder_(frame_types({frame_type::task, frame_type::shutdown}), cfg.max_payload) {}

  /// Serves until told to stop; returns the process's exit status.
  int run() {
    if (!run_initializer()) return 3;
    {
      const std::size_t at = begin_frame(out_, frame_type::hello, 0);
      writer w(out_);
      w.put(static_cast<std::uint32_t>(::getpid()));
      w.finish();
      finish_frame(out_, at);
      if (!write_all(out_)) return 0;
    }
    std::uint64_t done = 0;
    for (;;) {
      try {
        if (!read_frame()) return 0;  // the pool is gone
      } catch (const protocol_error& e) {
        send_fatal(e.what());
        return 4;
      }
      if (decoder_.type() == frame_type::shutdown) return 0;
      run_task();
      decoder_.next();
      if (!write_all(out_)) return 0;
      if (cfg_.max_tasks != 0 && ++done >= cfg_.max_tasks) return 0;
    }
  }

 private:
  using clock = std::chrono::steady_clock;

  bool run_initializer() {
    if (cfg_.init_hash == 0) return true;
    try {
      std::string why;
      const registration* e = registration::find(cfg_.init_hash, registration::kind::entry, cfg_.init_address, why);
      if (e == nullptr) throw std::runtime_error("breakeven: worker initializer not found: " + why);
      reader r(cfg_.init_args);
      const int rc = e->entry(r);
      if (rc != 0) throw std::runtime_error("breakeven: worker initializer returned " + std::to_string(rc));
      return true;
    } catch (...) {
      send_fatal_current();
      return false;
    }
  }

  void send_fatal(const char* what) {
    try {
      throw protocol_error(what);
    } catch (...) {
      send_fatal_current();
    }
  }
  void send_fatal_current() {
    const error_record rec = capture_current_exception();
    out_.clear();
    const std::size_t at = begin_frame(out_, frame_type::fatal, 0);
    {
      writer w(out_);
      encode(w, rec);
    }
    finish_frame(out_, at);
    write_all(out_);
  }

  void run_task() {
    const std::uint64_t id = decoder_.header().id;
    reader in(decoder_.payload());
    out_.clear();
    std::size_t at = begin_frame(out_, frame_type::result, id);
    std::uint32_t item = 0;
    try {
      writer w(out_);
      const auto hash = in.get<std::uint64_t>();
      const auto address = in.get<std::uint64_t>();
      std::string why;
      const registration* k = registration::find(hash, registration::kind::kernel, address, why);
      if (k == nullptr) throw remote_error(unregistered_kernel_type, why);
      k->kernel(in, w, item);
      w.finish();
      finish_frame(out_, at);
    } catch (...) {
      error_record rec;
      try {
        throw;
      } catch (const remote_error& e) {
        rec.type = e.type_name();
        rec.what = e.message();
      } catch (...) {
        rec = capture_current_exception();
      }
      out_.clear();
      at = begin_frame(out_, frame_type::error, id);
      {
        writer w(out_);
        w.put(item);
        encode(w, rec);
      }
      finish_frame(out_, at);
    }
  }

  void kick() noexcept {
    const char b = 'k';
    (void)::send(sock_, &b, 1, MSG_NOSIGNAL | MSG_DONTWAIT);
  }

  // The pool never writes to the socket: anything readable there is its end closing.
  bool pool_gone() const noexcept {
    pollfd p{sock_, POLLIN, 0};
    return ::poll(&p, 1, 0) > 0;
  }

  // Repeats `progress` (true when bytes moved) until `done`. After the spin budget without
  // progress, parks on the ring word `word` (`park` announces it and says whether to sleep;
  // `unpark` withdraws), looking at the socket every 100 ms. False when the pool is gone.
  template <class Progress, class Done, class Park, class Unpark>
  bool until(Progress progress, Done done, const std::atomic<std::uint32_t>& word, Park park, Unpark unpark) {
    const auto spin = std::chrono::nanoseconds(cfg_.spin_ns);
    auto since = clock::now();
    unsigned idle = 0;
    while (!done()) {
      if (progress()) {
        since = clock::now();
        idle = 0;
        continue;
      }
      // Spins within its budget, unless it has waited for its CPU behind another thread
      // (the caller it just answered may be waiting for this one).
      if ((idle & 63) != 0 || (clock::now() - since < spin && !breakeven::detail::cpus_oversubscribed())) {
        spin_step(idle);
        continue;
      }
      const std::uint32_t seen = word.load(std::memory_order_relaxed);
      if (park()) {
        futex_wait(&word, seen, 100'000'000);
        unpark();
        if (word.load(std::memory_order_relaxed) == seen && pool_gone()) return false;
      }
      since = clock::now();
      idle = 0;
    }
    return true;
  }

  // Blocks until a whole frame is buffered; false when the pool is gone.
  bool read_frame() {
    return until(
        [&] {
          const std::size_t used = req_.read_with([&](std::span<const std::byte> s) { return decoder_.feed(s); });
          if (used != 0 && req_.producer_needs_wake()) kick();
          return used != 0;
        },
        [&] { return decoder_.ready(); }, req_.control().head, [&] { return req_.park_consumer(); },
        [&] { req_.unpark_consumer(); });
  }

  // Writes all of `bytes` to the response ring; false when the pool is gone.
  bool write_all(std::span<const std::byte> bytes) {
    std::size_t off = 0;
    return until(
        [&] {
          const std::size_t n = resp_.write_some(bytes.subspan(off));
          off += n;
          if (n != 0 && resp_.consumer_needs_wake()) kick();
          return n != 0;
        },
        [&] { return off == bytes.size(); }, resp_.control().tail,
        [&] { return resp_.park_producer(static_cast<std::uint32_t>(std::min<std::size_t>(bytes.size() - off, resp_.capacity()))); },
        [&] { resp_.unpark_producer(); });
  }

  int sock_;
  duplex_mapping map_;
  ring req_, resp_;
  worker_config cfg_;
  frame_decoder decoder_;
  std::vector<std::byte> out_;
};

}  // namespace breakeven::ipc

namespace breakeven::ipc::detail {

BREAKEVEN_DECL std::vector<int>& worker_fds() {
  static std::vector<int> fds;
  return fds;
}

}  // namespace breakeven::ipc::detail

namespace breakeven::ipc {

BREAKEVEN_DECL int worker_descriptor(std::uint32_t i) noexcept {
  const std::vector<int>& fds = detail::worker_fds();
  return i < fds.size() ? fds[i] : -1;
}

BREAKEVEN_DECL int worker_main(reader& args) {
  const auto cfg = decode<worker_config>(args);
  const int sock = args.fd(args.get<std::uint32_t>());
  const int memfd = args.fd(args.get<std::uint32_t>());
  const auto extra = args.get<std::uint32_t>();
  for (std::uint32_t i = 0; i < extra; ++i) detail::worker_fds().push_back(args.fd(args.get<std::uint32_t>()));
  if (cfg.cpu >= 0 && cfg.cpu < CPU_SETSIZE) {
    cpu_set_t one;
    CPU_ZERO(&one);
    CPU_SET(static_cast<std::size_t>(cfg.cpu), &one);
    (void)::sched_setaffinity(0, sizeof one, &one);  // best effort: a refusal only costs placement
  }
  duplex_mapping map = duplex_mapping::attach(memfd, cfg.ring_capacity);
  ::close(memfd);
  return worker_loop(sock, std::move(map), cfg).run();
}

}  // namespace breakeven::ipc
