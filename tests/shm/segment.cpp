// The shared segment on its own: blocks handed out and reused, growth in place, pages given
// back beyond the retained amount, and a size beyond the memory available refused up front.
#include "../support/shm_hygiene.hpp"

#include <breakeven/shm/arena.hpp>
#include <breakeven/shm/buffer.hpp>

#include <catch2/catch.hpp>

#include <cstring>
#include <memory>
#include <vector>

namespace be = breakeven;

TEST_CASE("the memory available is read from the system", "[shm][segment]") {
  const std::size_t avail = be::shm::available_memory();
  const std::size_t total = be::shm::detail::meminfo_bytes("MemTotal:");
  CHECK(avail > 0);
  CHECK(avail <= total);
  CHECK(be::shm::describe_bytes(1536) == "1.5 KiB");
  CHECK(be::shm::describe_bytes(3u << 30) == "3.0 GiB");
  CHECK(be::shm::detail::leading_number(" 123 kB") == 123);
  CHECK(be::shm::detail::leading_number("max\n") == SIZE_MAX);
}

TEST_CASE("blocks are page-aligned, disjoint, and reused once released", "[shm][segment]") {
  be::shm::arena a;
  const std::size_t page = a.page_size();
  const auto b1 = a.allocate(1);
  const auto b2 = a.allocate(3 * page + 1);
  CHECK(b1.size == page);
  CHECK(b2.size == 4 * page);
  CHECK(b1.offset % page == 0);
  CHECK(b2.offset % page == 0);
  CHECK((b1.offset + b1.size <= b2.offset || b2.offset + b2.size <= b1.offset));
  CHECK(a.contains(a.at(b2.offset), b2.size));
  CHECK_FALSE(a.contains(a.at(0), a.size() + 1));
  CHECK_FALSE(a.contains(&page, 1));

  std::memset(a.at(b2.offset), 0x5a, b2.size);  // the memory is really there, and writable
  const auto grows = a.stats().grows;
  a.release(b2);
  CHECK(a.has_retained(4 * page));
  const auto b3 = a.allocate(2 * page);  // fits in what b2 left: no growth, counted as reuse
  CHECK(a.stats().grows == grows);
  CHECK(a.stats().reuses >= 1);
  CHECK(static_cast<unsigned char>(*a.at(b3.offset)) == 0x5a);  // the very same pages
  a.release(b3);
  a.release(b1);
  CHECK(a.stats().in_use_bytes == 0);
}

TEST_CASE("the segment grows in place: earlier pointers stay valid", "[shm][segment]") {
  be::shm::arena a({.grow_bytes = std::size_t{1} << 20});
  const auto first = a.allocate(4096);
  int* p = reinterpret_cast<int*>(a.at(first.offset));
  *p = 42;
  std::vector<be::shm::block> more;
  for (int i = 0; i < 8; ++i) more.push_back(a.allocate(std::size_t{1} << 20));  // forces growth
  CHECK(a.stats().grows >= 8);
  CHECK(*p == 42);
  CHECK(a.at(first.offset) == reinterpret_cast<std::byte*>(p));
  const auto m = breakeven_test::shared_segment_mappings();
  CHECK(m.size_kb * 1024 >= a.size());
  for (auto& b : more) a.release(b);
  a.release(first);
}

TEST_CASE("free memory beyond retain_bytes goes back to the system, and comes back on reuse", "[shm][segment]") {
  be::shm::arena a({.retain_bytes = std::size_t{1} << 20});
  const auto big = a.allocate(std::size_t{8} << 20);
  std::memset(a.at(big.offset), 1, big.size);
  const std::size_t rss_before = breakeven_test::shared_segment_mappings().rss_kb;
  a.release(big);  // 8 MiB free > 1 MiB retained: its pages are punched out
  const auto s = a.stats();
  CHECK(s.trims >= 1);
  CHECK(s.retained_bytes <= std::size_t{2} << 20);
  CHECK(breakeven_test::shared_segment_mappings().rss_kb + 6 * 1024 < rss_before);
  CHECK_FALSE(a.has_retained(std::size_t{8} << 20));
  const auto again = a.allocate(std::size_t{8} << 20);  // allocated again, zeroed by the system
  CHECK(*a.at(again.offset + 4096) == std::byte{0});
  std::memset(a.at(again.offset), 2, again.size);
  a.release(again);
  a.trim();
  CHECK(a.stats().retained_bytes == 0);
}

TEST_CASE("a segment larger than the memory available is refused before anything is allocated",
          "[shm][segment][memory]") {
  be::shm::arena a;
  const std::size_t too_much = be::shm::available_memory() + (std::size_t{1} << 30);
  try {
    (void)a.allocate(too_much);
    FAIL("allocate did not throw");
  } catch (const be::insufficient_memory& e) {
    CHECK(e.requested() >= too_much);
    CHECK(e.available() < e.requested());
    CHECK(std::string(e.what()).find("of memory is available") != std::string::npos);
  }
  CHECK(a.size() == 0);  // nothing was truncated or mapped
  CHECK_THROWS_AS(be::shared_buffer<double>(std::make_shared<be::shm::arena>(), too_much / sizeof(double)),
                  std::bad_alloc);
  const auto fine = a.allocate(4096);  // and the segment still works
  CHECK(fine.size == 4096);
  a.release(fine);
}

TEST_CASE("a shared buffer is an array in the segment, given back when it ends", "[shm][segment]") {
  auto seg = std::make_shared<be::shm::arena>();
  {
    be::shared_buffer<int> b(seg, 1000);
    CHECK(b.size() == 1000);
    CHECK(seg->contains(b.data(), b.size_bytes()));
    for (int i = 0; i < 1000; ++i) b[static_cast<std::size_t>(i)] = i;
    be::shared_buffer<int> moved = std::move(b);
    CHECK(b.empty());
    CHECK(moved[999] == 999);
    const auto rows = moved.rows(10);
    CHECK(rows.size() == 100);
    CHECK(rows[3][4] == 34);
    CHECK(seg->stats().in_use_bytes > 0);
  }
  CHECK(seg->stats().in_use_bytes == 0);
}
