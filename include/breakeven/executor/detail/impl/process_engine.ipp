// breakeven/executor/detail/impl/process_engine.ipp - process_engine's definitions.
// Included by its header, inline; with BREAKEVEN_SEPARATE_COMPILATION, compiled once
// through <breakeven/impl/src.hpp>.
#pragma once

#include <breakeven/executor/detail/process_engine.hpp>

namespace breakeven {
namespace detail {

BREAKEVEN_DECL process_engine::process_engine(const process_pool_options& o)
    : opt_(o), capacity_(ipc::duplex_mapping::round_capacity(o.ring_bytes)) {
  if (opt_.workers == 0) opt_.workers = std::max(1u, std::thread::hardware_concurrency());
  epoll_ = ipc::checked_fd(::epoll_create1(EPOLL_CLOEXEC), "epoll_create1");
  wake_ = ipc::checked_fd(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK), "eventfd");
  watch(wake_.get(), key(source::wake, 0));
  if (opt_.method == start_method::fork) link_ = ipc::start_private_server();
  else if (opt_.method == start_method::fork_server) link_ = ipc::server_link(ipc::connect_fork_server(), -1);
  if (link_) watch(link_.fd(), key(source::server, 0));
  if (opt_.pin_workers) cpus_ = pinning_cpus(opt_.workers);
  workers_.reserve(opt_.workers);
  for (unsigned i = 0; i < opt_.workers; ++i) workers_.push_back(std::make_unique<worker>(i));
  try {
    for (auto& w : workers_) start_worker(*w);
  } catch (...) {
    abandon_start();
    throw;
  }
  reactor_ = std::thread([this] { reactor_main(); });
  std::unique_lock lock(mu_);
  cv_.wait(lock, [&] { return broken_ || ready_count_locked() == workers_.size(); });
  if (broken_) {
    const std::exception_ptr e = broken_;
    lock.unlock();
    shutdown();
    std::rethrow_exception(e);
  }
}

BREAKEVEN_DECL void process_engine::submit(task_ptr t, std::chrono::nanoseconds eager) {
  bool poke = false;
  worker* direct = nullptr;
  std::uint64_t id = 0;
  // Announced before the task reaches a worker, so that a spinning reactor steps aside.
  const eager_mark mark(eager.count() > 0 ? &eager_ : nullptr);
  if (t->request.size() - sizeof(ipc::frame_header) > opt_.max_frame_bytes)
    throw std::length_error("breakeven: a task of " + std::to_string(t->request.size()) +
                            " bytes exceeds the pool's max_frame_bytes (" + std::to_string(opt_.max_frame_bytes) + ")");
  {
    std::lock_guard lock(mu_);
    if (broken_) std::rethrow_exception(broken_);
    if (closed_) throw pool_closed("breakeven: the process pool is closed");
    id = t->id = ++next_id_;
    ipc::set_frame_id(t->request, 0, t->id);
    ++outstanding_;
    if (!idle_.empty()) {
      worker& w = *workers_[idle_.back()];
      idle_.pop_back();
      dispatch_locked(w, std::move(t));
      poke = w.deadline != no_deadline || !w.sent_all;
      direct = &w;
    } else if (worker* w = prefetch_target_locked(*t)) {
      dispatch_locked(*w, std::move(t));  // queued in its ring: it starts as the current one ends
      poke = !w->sent_all;
    } else {
      pending_.push_back(std::move(t));
    }
  }
  if (poke) poke_reactor();
  if (direct != nullptr && eager.count() > 0 && warm(*direct)) await_answer(*direct, id, eager);
}

BREAKEVEN_DECL void process_engine::terminate() {
  std::deque<task_ptr> dropped;
  {
    std::lock_guard lock(mu_);
    closed_ = true;
    terminating_ = true;
    dropped.swap(pending_);
    for (auto& w : workers_)
      if (w->st == state::busy) kill_locked(*w);
  }
  for (task_ptr& t : dropped) finish_failed(*t, std::make_exception_ptr(pool_closed("breakeven: the process pool was terminated")));
}

BREAKEVEN_DECL void process_engine::shutdown() noexcept {
  std::unique_lock lock(mu_);
  if (stopped_) return;
  closed_ = true;
  cv_.wait(lock, [&] { return outstanding_ == 0; });
  stopping_ = true;
  cv_.wait(lock, [&] { return replacing_ == 0; });  // a worker being replaced is started, then told
  for (auto& w : workers_)
    if (w->st == state::idle || w->st == state::starting) send_shutdown_locked(*w);
  idle_.clear();
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(2);
  if (!cv_.wait_until(lock, give_up, [&] { return all_vacant_locked(); })) {
    for (auto& w : workers_)
      if (w->st != state::vacant) kill_locked(*w);
    cv_.wait(lock, [&] { return all_vacant_locked(); });
  }
  stopped_ = true;
  lock.unlock();
  if (reactor_.joinable()) {
    stop_reactor_.store(true);
    poke_reactor();
    reactor_.join();
  }
  link_.close();
}

BREAKEVEN_DECL void process_engine::wait_completion(std::uint64_t seen, std::chrono::milliseconds limit) {
  std::unique_lock lock(epoch_mu_);
  epoch_cv_.wait_for(lock, limit, [&] { return epoch_.load(std::memory_order_acquire) != seen; });
}

BREAKEVEN_DECL void process_engine::watch(int fd, std::uint64_t k) {
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.u64 = k;
  if (::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, fd, &ev) != 0) ipc::throw_errno("epoll_ctl");
}

BREAKEVEN_DECL void process_engine::start_worker(worker& w) {
  auto ends = ipc::socket_pair(SOCK_STREAM);
  ipc::unique_fd mine = std::move(ends.first), theirs = std::move(ends.second);
  ipc::unique_fd memfd;
  ipc::duplex_mapping map = ipc::duplex_mapping::create(capacity_, memfd);
  ipc::worker_config cfg;
  cfg.ring_capacity = capacity_;
  cfg.spin_ns = static_cast<std::uint32_t>(std::chrono::nanoseconds(opt_.spin).count());
  cfg.max_tasks = opt_.max_tasks_per_child;
  cfg.max_payload = opt_.max_frame_bytes;
  cfg.cpu = cpus_.empty() ? -1 : cpus_[w.index % cpus_.size()];
  cfg.init_hash = opt_.initializer.hash;
  cfg.init_address = opt_.initializer.address;
  cfg.init_args = opt_.initializer.args;
  const ipc::start_message m = ipc::start_message::for_entry(ipc::worker_registration, [&](ipc::writer& wr) {
    ipc::encode(wr, cfg);
    wr.put(wr.attach_fd(theirs.get()));
    wr.put(wr.attach_fd(memfd.get()));
    wr.put(static_cast<std::uint32_t>(opt_.worker_fds.size()));
    for (const int fd : opt_.worker_fds) wr.put(wr.attach_fd(fd));
  });
  ipc::started_child c = start_child(m);
  theirs.reset();
  memfd.reset();
  ::fcntl(mine.get(), F_SETFL, O_NONBLOCK);
  {
    std::lock_guard lock(mu_);
    w.pid = c.pid;
    w.pidfd = std::move(c.pidfd);
    w.sock = std::move(mine);
    w.map = std::move(map);
    w.req = w.map.request();
    w.resp = w.map.response();
    w.decoder = std::make_unique<ipc::frame_decoder>(
        ipc::frame_types({ipc::frame_type::hello, ipc::frame_type::result, ipc::frame_type::error, ipc::frame_type::fatal}),
        opt_.max_frame_bytes);
    w.st = state::starting;
    w.done = 0;
    w.assigned = 0;
    w.timed_out = false;
    w.doomed = false;
    w.fault = nullptr;
    w.live = true;
    w.corrupt = false;
    w.sock_eof = false;
    ++stats_.workers_started;
  }
  watch(w.sock.get(), key(source::sock, w.index));
  if (opt_.method == start_method::spawn && w.pidfd) watch(w.pidfd.get(), key(source::pidfd, w.index));
}

BREAKEVEN_DECL ipc::started_child process_engine::start_child(const ipc::start_message& m) {
  if (opt_.method == start_method::spawn) return ipc::spawn_child(m);
  try {
    return link_.fork(m);
  } catch (const std::exception&) {
    if (opt_.method != start_method::fork_server) throw;
    // The shared server went away: connect again (which starts a new one) and retry once.
    unwatch(link_.fd());
    link_ = ipc::server_link(ipc::connect_fork_server(), -1);
    watch(link_.fd(), key(source::server, 0));
    return link_.fork(m);
  }
}

BREAKEVEN_DECL std::vector<int> process_engine::pinning_cpus(unsigned workers) {
  cpu_set_t allowed;
  CPU_ZERO(&allowed);
  if (::sched_getaffinity(0, sizeof allowed, &allowed) != 0) return {};
  std::vector<int> cpus;
  for (int c = 0; c < CPU_SETSIZE; ++c)
    if (CPU_ISSET(static_cast<std::size_t>(c), &allowed)) cpus.push_back(c);
  if (cpus.empty() || workers < cpus.size()) return {};
  static std::atomic<unsigned> next{0};
  std::rotate(cpus.begin(), cpus.begin() + static_cast<std::ptrdiff_t>(next.fetch_add(workers) % cpus.size()), cpus.end());
  return cpus;
}

BREAKEVEN_DECL void process_engine::abandon_start() noexcept {
  for (auto& w : workers_) {
    if (!w->live) continue;
    if (w->pidfd) ipc::signal_pidfd(w->pidfd.get(), SIGKILL);
    else if (w->pid > 0) ::kill(w->pid, SIGKILL);
    if (opt_.method == start_method::spawn) {
      ipc::exit_status s;
      ipc::reap_pidfd(w->pidfd.get(), s, true);
    } else {
      (void)link_.wait_exit(w->pid);
    }
    w->live = false;
  }
  link_.close();
}

BREAKEVEN_DECL void process_engine::send_shutdown_locked(worker& w) {
  std::vector<std::byte> f;
  const std::size_t at = ipc::begin_frame(f, ipc::frame_type::shutdown, 0);
  ipc::finish_frame(f, at);
  if (w.st == state::idle && w.req.writable() >= f.size()) {
    w.req.write_some(f);
    if (w.req.consumer_needs_wake()) ipc::futex_wake(&w.req.control().head);
    w.st = state::exiting;
  } else if (w.st == state::starting) {
    w.st = state::exiting;  // told at hello
  } else {
    kill_locked(w);
  }
}

BREAKEVEN_DECL bool process_engine::can_take_locked(const worker& w, const process_task& t) const noexcept {
  if (w.st != state::idle && w.st != state::busy) return false;
  if (w.doomed || !w.sent_all || w.tasks.size() > opt_.prefetch) return false;
  if (opt_.max_tasks_per_child != 0 && w.assigned >= opt_.max_tasks_per_child) return false;
  if (w.tasks.empty()) return true;
  // Queue behind running work only when neither could hold the other up for long.
  if (!t.steady) return false;
  for (const task_ptr& q : w.tasks)
    if (!q->steady) return false;
  return true;
}

BREAKEVEN_DECL process_engine::worker* process_engine::prefetch_target_locked(const process_task& t) {
  worker* best = nullptr;
  for (auto& w : workers_)
    if (w->st == state::busy && can_take_locked(*w, t) && (best == nullptr || w->started < best->started)) best = w.get();
  return best;
}

BREAKEVEN_DECL void process_engine::start_front_locked(worker& w) {
  w.started = clock::now();
  const process_task& f = *w.tasks.front();
  w.limit = f.timeout.count() != 0 ? f.timeout : opt_.task_timeout;
  w.deadline = w.limit.count() != 0 ? w.started + w.limit : no_deadline;
  if (w.deadline != no_deadline) ++deadlines_;
}

BREAKEVEN_DECL void process_engine::dispatch_locked(worker& w, task_ptr t) {
  w.tasks.push_back(std::move(t));
  ++w.assigned;
  w.st = state::busy;
  w.sent = 0;
  w.sent_all = false;
  ++in_flight_;
  if (w.tasks.size() == 1) start_front_locked(w);
  write_locked(w);
}

BREAKEVEN_DECL void process_engine::write_locked(worker& w) {
  const std::vector<std::byte>& r = w.tasks.back()->request;
  w.sent += w.req.write_some(std::span<const std::byte>(r).subspan(w.sent));
  if (w.req.consumer_needs_wake()) ipc::futex_wake(&w.req.control().head);
  if (w.sent == r.size()) {
    w.sent_all = true;
  } else {
    // Ask the worker for a byte on the socket once it makes room, in case we sleep.
    w.req.control().producer_parked.store(1, std::memory_order_seq_cst);
    ++partial_;
  }
}

BREAKEVEN_DECL bool process_engine::flush_partial_writes() {
  if (partial_.load(std::memory_order_relaxed) == 0) return false;
  bool progressed = false;
  std::lock_guard lock(mu_);
  for (auto& wp : workers_) {
    worker& w = *wp;
    if (w.st != state::busy || w.sent_all) continue;
    const std::size_t before = w.sent;
    --partial_;
    write_locked(w);
    progressed = progressed || w.sent != before;
  }
  return progressed;
}

BREAKEVEN_DECL void process_engine::await_answer(worker& w, std::uint64_t id, std::chrono::nanoseconds limit) {
  // The reactor stops polling once it sees the eager mark: wait out its current pass.
  const auto until = clock::now() + limit;
  std::unique_lock pl(poll_mu_, std::try_to_lock);
  unsigned spins = 0;
  while (!pl && clock::now() < until) {
    ipc::spin_step(spins);  // yields at times: the holder may be waiting for this CPU
    pl.try_lock();
  }
  if (!pl || !w.live || w.corrupt) return;
  w.resp.unpark_consumer();  // no wake-up byte for an answer read here
  while (w.last_done.load(std::memory_order_acquire) < id) {
    if (partial_.load(std::memory_order_relaxed) != 0) flush_partial_writes();  // a large item
    if (!drain(w) && clock::now() >= until) break;
    if (!w.live || w.corrupt) return;
    ipc::spin_step(spins);
  }
  // A sleeping reactor relies on the wake-up byte: ask for it again (and read what came
  // in between, which that byte would otherwise have announced).
  while (reactor_parked_.load(std::memory_order_seq_cst) && w.live && !w.corrupt && !w.resp.park_consumer()) drain(w);
}

BREAKEVEN_DECL void process_engine::reactor_main() noexcept {
  ipc::detail::own_threads.fetch_add(1, std::memory_order_relaxed);
  ::pthread_setname_np(::pthread_self(), "breakeven-pool");
  {
    std::lock_guard pl(poll_mu_);
    take_server_exits();  // notices that arrived while the constructor started workers
  }
  auto active = clock::now();
  unsigned spins = 0;
  while (!stop_reactor_.load(std::memory_order_relaxed)) {
    // While a submitter reads its own answer, stay off the rings and off its CPU: nothing
    // here is due, and spinning beside it would make a third thread on the caller's and its
    // worker's CPUs; whenever the scheduler let it run, the worker would be switched out and
    // sleep (the spin rule).
    if (eager_.load(std::memory_order_acquire) != 0) {
      std::this_thread::sleep_for(std::chrono::microseconds(50));
      continue;
    }
    if (std::unique_lock pl(poll_mu_, std::try_to_lock); pl) {
      bool progressed = false;
      for (auto& w : workers_)
        if (w->live && !w->corrupt) progressed |= drain(*w);
      progressed |= flush_partial_writes();
      if (deadlines_.load(std::memory_order_relaxed) != 0) enforce_deadlines();
      if (progressed) {
        active = clock::now();
        continue;
      }
    }
    if (clock::now() - active < opt_.spin) {  // an answer or the next task is likely soon
      ipc::spin_step(spins);
      continue;
    }
    std::unique_lock pl(poll_mu_);
    park(pl);
    active = clock::now();
  }
  ipc::detail::own_threads.fetch_sub(1, std::memory_order_relaxed);
}

BREAKEVEN_DECL void process_engine::park(std::unique_lock<std::mutex>& pl) {
  bool ready = false;
  for (auto& w : workers_)
    if (w->live && !w->corrupt && !w->resp.park_consumer()) ready = true;
  if (!ready) {
    int timeout = -1;
    if (deadlines_.load(std::memory_order_relaxed) != 0) {
      std::lock_guard lock(mu_);
      auto first = no_deadline;
      for (auto& w : workers_)
        if (w->st == state::busy) first = std::min(first, w->deadline);
      if (first != no_deadline) {
        const auto ms = std::chrono::ceil<std::chrono::milliseconds>(first - clock::now()).count();
        timeout = static_cast<int>(std::clamp<long long>(ms, 0, 60'000));
      }
    }
    reactor_parked_.store(true, std::memory_order_seq_cst);
    pl.unlock();
    epoll_event ev[16];
    const int n = ::epoll_wait(epoll_.get(), ev, 16, timeout);
    pl.lock();
    reactor_parked_.store(false, std::memory_order_seq_cst);
    for (int i = 0; i < n; ++i) on_event(ev[i].data.u64);
  }
  for (auto& w : workers_)
    if (w->live) w->resp.unpark_consumer();
}

BREAKEVEN_DECL void process_engine::on_event(std::uint64_t k) {
  const auto src = static_cast<source>(k >> 32);
  const auto index = static_cast<std::uint32_t>(k);
  if (src == source::wake) {
    std::uint64_t v;
    (void)::read(wake_.get(), &v, sizeof v);
  } else if (src == source::server) {
    take_server_exits();
  } else if (index < workers_.size()) {
    worker& w = *workers_[index];
    if (!w.live) return;
    if (src == source::sock) {
      char buf[256];
      ssize_t r;
      while ((r = ::recv(w.sock.get(), buf, sizeof buf, MSG_DONTWAIT)) > 0) {
      }
      if (r == 0) {
        w.sock_eof = true;
        unwatch(w.sock.get());
        // Without the fork server's notice there will be no status: the process is gone.
        if (server_gone_) on_exit(w, ipc::exit_status{});
      }
    } else if (src == source::pidfd) {
      ipc::exit_status st;
      if (ipc::reap_pidfd(w.pidfd.get(), st, false)) on_exit(w, st);
    }
  }
}

BREAKEVEN_DECL void process_engine::take_server_exits() {
  if (!link_ || server_gone_) return;
  for (;;) {
    std::vector<std::pair<pid_t, ipc::exit_status>> exits;
    if (!link_.take_exits(exits)) {
      unwatch(link_.fd());
      server_gone_ = true;
      // No notice will come any more: a worker whose socket already closed has ended.
      for (auto& w : workers_)
        if (w->live && w->sock_eof) exits.emplace_back(w->pid, ipc::exit_status{});
    }
    for (auto& [pid, st] : exits)
      for (auto& w : workers_)
        if (w->live && w->pid == pid) on_exit(*w, st);
    if (server_gone_) {
      // A worker whose socket ended before the server went (the server killed it at the
      // program's exit) gets no notice any more: it is gone.
      for (auto& w : workers_)
        if (w->live && w->sock_eof) on_exit(*w, ipc::exit_status{});
      return;
    }
    if (exits.empty()) return;
  }
}

BREAKEVEN_DECL bool process_engine::drain(worker& w) {
  bool any = false;
  for (;;) {
    std::size_t used = 0;
    try {
      used = w.resp.read_with([&](std::span<const std::byte> s) { return w.decoder->feed(s); });
    } catch (const protocol_error&) {
      std::lock_guard lock(mu_);
      w.fault = std::current_exception();
      kill_locked(w);
      w.corrupt = true;
      return any;
    }
    if (used != 0) {
      any = true;
      if (w.resp.producer_needs_wake()) ipc::futex_wake(&w.resp.control().tail);
    }
    if (w.decoder->ready()) {
      on_frame(w);
      w.decoder->next();
      continue;
    }
    if (used == 0) return any;
  }
}

BREAKEVEN_DECL void process_engine::on_frame(worker& w) {
  const ipc::frame_header& h = w.decoder->header();
  ipc::reader payload(w.decoder->payload());
  switch (w.decoder->type()) {
    case ipc::frame_type::hello: {
      w.last_active.store(now_ns(), std::memory_order_relaxed);
      std::lock_guard lock(mu_);
      start_failures_ = 0;
      if (w.st == state::exiting || (w.st == state::starting && stopping_)) {
        w.st = state::idle;
        send_shutdown_locked(w);
      } else if (w.st == state::starting) {
        w.st = state::idle;
        give_work_locked(w);
      }
      cv_.notify_all();
      return;
    }
    case ipc::frame_type::fatal: {
      std::exception_ptr e;
      try {
        e = ipc::rebuild_exception(ipc::decode<ipc::error_record>(payload));
      } catch (...) {
        e = std::current_exception();
      }
      bool starting;
      {
        std::lock_guard lock(mu_);
        starting = w.st == state::starting;
        if (!starting) w.fault = e;  // it could not read its task: the task fails with why
      }
      if (starting) break_pool(e);  // its initializer failed: so would every worker's
      return;
    }
    case ipc::frame_type::result:
    case ipc::frame_type::error: break;
    default: return;  // the decoder admits no other type
  }
  task_ptr t;
  {
    std::lock_guard lock(mu_);
    if (w.st != state::busy || w.tasks.empty() || w.tasks.front()->id != h.id) {
      w.fault = std::make_exception_ptr(protocol_error("breakeven: a worker answered a task it was not given"));
      kill_locked(w);
      return;
    }
    t = std::move(w.tasks.front());
    w.tasks.pop_front();
    if (w.deadline != no_deadline) --deadlines_;
    w.deadline = no_deadline;
    --in_flight_;
    w.last_active.store(now_ns(), std::memory_order_relaxed);
    ++w.done;
    if (!w.tasks.empty()) start_front_locked(w);  // the worker went straight on to it
    if (opt_.max_tasks_per_child != 0 && w.done >= opt_.max_tasks_per_child) {
      w.st = state::retiring;  // it exits by itself after this answer
    } else if (w.doomed) {
      w.st = state::exiting;  // killed (its timeout passed as it answered): gone soon
    } else {
      if (w.tasks.empty()) w.st = state::idle;
      give_work_locked(w);
    }
  }
  const std::uint64_t id = t->id;
  if (h.type == static_cast<std::uint16_t>(ipc::frame_type::result)) {
    bool decoded = false;
    try {
      t->complete(payload);
      decoded = true;
    } catch (...) {
      finish_failed(*t, std::current_exception());
    }
    if (decoded) finish_done(*t);
  } else {
    std::exception_ptr e;
    try {
      const auto item = payload.get<std::uint32_t>();
      (void)item;
      const ipc::error_record rec = ipc::decode<ipc::error_record>(payload);
      if (rec.type == ipc::unregistered_kernel_type)
        e = std::make_exception_ptr(process_error("breakeven: kernel '" + std::string(t->kernel_name) + "': " + rec.what +
                                                  " (with the spawn start method, a kernel must be used with a "
                                                  "process executor somewhere in the program, or named with "
                                                  "BREAKEVEN_REGISTER_KERNEL)"));
      else
        e = ipc::rebuild_exception(rec);
    } catch (...) {
      e = std::current_exception();
    }
    finish_failed(*t, e);
  }
  w.last_done.store(id, std::memory_order_release);
}

BREAKEVEN_DECL void process_engine::give_work_locked(worker& w) {
  while (!stopping_ && !pending_.empty() && can_take_locked(w, *pending_.front())) {
    task_ptr t = std::move(pending_.front());
    pending_.pop_front();
    dispatch_locked(w, std::move(t));
  }
  if (w.st == state::idle) idle_.push_back(w.index);
}

BREAKEVEN_DECL void process_engine::enforce_deadlines() {
  std::lock_guard lock(mu_);
  const auto now = clock::now();
  for (auto& w : workers_) {
    if (w->st != state::busy || w->deadline > now || w->timed_out) continue;
    w->timed_out = true;
    kill_locked(*w);
  }
}

BREAKEVEN_DECL void process_engine::on_exit(worker& w, ipc::exit_status st) {
  if (!w.corrupt) drain(w);  // answers it wrote before it ended still count
  task_ptr t;
  std::deque<task_ptr> unstarted;
  std::exception_ptr why;
  bool replace = false;
  {
    std::lock_guard lock(mu_);
    std::erase(idle_, w.index);
    const state was = w.st;
    if (!w.tasks.empty()) {
      t = std::move(w.tasks.front());
      w.tasks.pop_front();
      unstarted.swap(w.tasks);  // it runs tasks in order: these never began
    }
    if (!w.sent_all) --partial_;
    w.sent_all = true;
    if (t) {
      if (w.deadline != no_deadline) --deadlines_;
      in_flight_ -= static_cast<int>(1 + unstarted.size());
      if (w.fault) why = w.fault;
      else if (w.timed_out) why = std::make_exception_ptr(task_timeout(w.pid, w.limit));
      else if (terminating_) why = std::make_exception_ptr(pool_closed("breakeven: the process pool was terminated"));
      else why = std::make_exception_ptr(worker_lost(w.pid, st));
      if (w.timed_out) ++stats_.timeouts;
    }
    if (was == state::retiring && st.success()) ++stats_.workers_recycled;
    else if (was != state::exiting || w.doomed) ++stats_.workers_lost;
    if (was == state::starting && !stopping_ && ++start_failures_ >= max_start_failures && !broken_) {
      broken_ = std::make_exception_ptr(pool_closed("breakeven: worker processes fail to start: the last one " + st.describe()));
    }
    w.st = state::vacant;
    w.live = false;
    w.deadline = no_deadline;
    unwatch(w.sock.get());
    if (opt_.method == start_method::spawn) unwatch(w.pidfd.get());
    w.sock.reset();
    w.pidfd.reset();
    w.map = ipc::duplex_mapping();
    w.pid = -1;
    replace = !stopping_ && !terminating_ && !broken_;
    if (replace) ++replacing_;
    cv_.notify_all();
  }
  if (t) {
    finish_failed(*t, why);
    w.last_done.store(t->id, std::memory_order_release);
  }
  if (!unstarted.empty()) {
    std::lock_guard lock(mu_);
    stats_.tasks_requeued += unstarted.size();
    for (auto it = unstarted.rbegin(); it != unstarted.rend(); ++it) pending_.push_front(std::move(*it));
    for (auto& other : workers_)
      if (other.get() != &w && other->st == state::idle) {
        std::erase(idle_, other->index);
        give_work_locked(*other);
      }
  }
  if (broken_ || terminating_) fail_pending(broken_ ? broken_ : std::make_exception_ptr(pool_closed("breakeven: the process pool was terminated")));
  if (replace) {
    // A shutdown that begins meanwhile waits for this start: the new worker is told to exit
    // at its hello (it is `starting` while the pool is stopping) and is reaped like the rest.
    std::exception_ptr failed;
    try {
      start_worker(w);
    } catch (...) {
      failed = std::current_exception();
    }
    {
      std::lock_guard lock(mu_);
      --replacing_;
      cv_.notify_all();
    }
    if (failed) break_pool(failed);
  }
}

BREAKEVEN_DECL void process_engine::break_pool(std::exception_ptr e) {
  {
    std::lock_guard lock(mu_);
    if (!broken_) broken_ = e;
    cv_.notify_all();
  }
  fail_pending(e);
}

BREAKEVEN_DECL void process_engine::fail_pending(std::exception_ptr e) {
  std::deque<task_ptr> dropped;
  {
    std::lock_guard lock(mu_);
    dropped.swap(pending_);
  }
  for (task_ptr& t : dropped) finish_failed(*t, e);
}

BREAKEVEN_DECL void process_engine::finish_done(process_task& t) {
  {
    std::lock_guard lock(mu_);
    ++stats_.tasks_completed;
  }
  t.publish();
  ended();
}

BREAKEVEN_DECL void process_engine::finish_failed(process_task& t, std::exception_ptr e) noexcept {
  {
    std::lock_guard lock(mu_);
    ++stats_.tasks_failed;
  }
  t.fail(e);
  ended();
}

BREAKEVEN_DECL void process_engine::ended() {
  {
    std::lock_guard lock(epoch_mu_);
    epoch_.fetch_add(1, std::memory_order_release);
  }
  epoch_cv_.notify_all();
  std::lock_guard lock(mu_);
  if (--outstanding_ == 0) cv_.notify_all();
}

}  // namespace detail
}  // namespace breakeven
