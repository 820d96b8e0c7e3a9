// breakeven/executor/impl/shared_memory.ipp - the definitions of shared_memory.hpp.
// Included by its header, inline; with BREAKEVEN_SEPARATE_COMPILATION, compiled once
// through <breakeven/impl/src.hpp>.
#pragma once

#include <breakeven/executor/shared_memory.hpp>

namespace breakeven::detail {

BREAKEVEN_DECL void shm_call::lost(std::size_t i, std::exception_ptr e) {
  const shm::progress_words& w = progress_[i];
  const std::uint32_t done = std::atomic_ref<const std::uint32_t>(w.finished).load(std::memory_order_acquire);
  const std::uint32_t bad = std::atomic_ref<const std::uint32_t>(w.failed).load(std::memory_order_relaxed);
  std::vector<bulk_report::failure> f;
  if (bad == 0 && done <= count(i)) {
    if (done < count(i)) f.push_back({first(i) + done, count(i) - done, e});
  } else {
    f.push_back({first(i), count(i), e});
  }
  ended(i, std::move(f));
}

BREAKEVEN_DECL bulk_report shm_call::report() const {
  std::lock_guard lock(m_);
  bulk_report r;
  for (const auto& fs : failures_)
    for (const auto& f : fs) r.add(f);
  return r;
}

BREAKEVEN_DECL std::vector<bulk_report::failure> read_failures(ipc::reader& r, std::size_t first, std::size_t count) {
  if (r.get<std::uint32_t>() != count) r.fail("a shared-memory task answered with another count of items", 0);
  const auto n = r.get<std::uint32_t>();
  if (n > count) r.fail("more failures than items", n);
  std::vector<bulk_report::failure> out;
  for (std::uint32_t k = 0; k < n; ++k) {
    const auto index = r.get<std::uint32_t>();
    if (index >= count) r.fail("a failure names an item outside its task", index);
    out.push_back({first + index, 1, ipc::rebuild_exception(ipc::decode<ipc::error_record>(r))});
  }
  return out;
}

}  // namespace breakeven::detail

namespace breakeven {

BREAKEVEN_DECL shared_memory_pool::shared_memory_pool(const shared_memory_options& o)
    : arena_(std::make_shared<shm::arena>(o.segment)),
      fd_index_(static_cast<std::uint32_t>(o.processes.worker_fds.size())),
      pool_(with_segment(o.processes, arena_->fd())) {}

}  // namespace breakeven
