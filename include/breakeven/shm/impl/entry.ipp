// breakeven/shm/impl/entry.ipp - the worker's mapping of the segment.
// Included by its header, inline; with BREAKEVEN_SEPARATE_COMPILATION, compiled once
// through <breakeven/impl/src.hpp>.
#pragma once

#include <breakeven/shm/entry.hpp>

namespace breakeven::shm::detail {

BREAKEVEN_DECL worker_mapping& worker_map(std::uint32_t index) {
  static std::vector<worker_mapping> maps;
  if (index >= ipc::max_fds_per_message)
    throw decode_error("breakeven: a shared-memory task names descriptor " + std::to_string(index));
  if (index >= maps.size()) maps.resize(index + 1);
  return maps[index];
}

BREAKEVEN_DECL std::byte* map_segment(std::uint32_t index, std::uint64_t bytes) {
  worker_mapping& m = worker_map(index);
  if (bytes <= m.size) return m.base;
  const int fd = ipc::worker_descriptor(index);
  if (fd < 0)
    throw process_error("breakeven: a shared-memory task reached a worker without a shared segment (a task of a "
                        "shared_memory_pool sent to another pool's worker)");
  struct stat st {};
  if (::fstat(fd, &st) != 0) ipc::throw_errno("fstat(shared segment)");
  if (static_cast<std::uint64_t>(st.st_size) < bytes)
    throw decode_error("breakeven: a shared-memory task names " + std::to_string(bytes) + " bytes of a segment of " +
                       std::to_string(st.st_size));
  // Not populated: a worker touches only the pages its tasks name, which the pool's arena
  // allocated (after its insufficient_memory check) before sending them. Populating the
  // whole mapping would allocate every page the segment gave back (trim, retain_bytes)
  // again, past that check and out of its statistics.
  void* p = m.base == nullptr ? ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0)
                              : ::mremap(m.base, m.size, bytes, MREMAP_MAYMOVE);
  if (p == MAP_FAILED) ipc::throw_errno("mapping the shared segment in a worker");
  m.base = static_cast<std::byte*>(p);
  m.size = bytes;
  return m.base;
}

}  // namespace breakeven::shm::detail
