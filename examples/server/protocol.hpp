// examples/server/protocol.hpp - the hash server's wire format and its work.
//
// Every message is a 5-byte header, kind (1 byte) and payload length (4 bytes,
// little-endian), then the payload. Requests:
//   'P' ping     payload echoed back (at most 1 KiB)
//   'H' hash     payload: the body; reply: its 32-byte page-tree SHA-256 (below)
//   'S' stats    reply: text, the server's counters
//   'Q' quit     reply: "bye"; the server then shuts down cleanly
// Replies carry kind 'K' (ok) or 'E' (error, payload: the message). A request the server
// cannot frame (unknown kind, oversized payload) gets an 'E' reply and the connection closes.
//
// The page-tree hash: the body cut into 4 KiB pages (the last may be shorter), each page's
// SHA-256 a leaf, the root the SHA-256 of the leaves in order. The leaves are independent:
// the server maps them with breakeven (inline for small bodies, on the pool for large).
#pragma once

#include <kernels/sha256.hpp>

#include <breakeven/traits.hpp>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace hash_server {

/// A SHA-256 digest (the example kernels' SHA-256).
using digest = breakeven::examples::digest256;
using breakeven::examples::sha256;

inline constexpr std::size_t page_bytes = 4096;
inline constexpr std::size_t header_bytes = 5;
inline constexpr std::size_t max_ping_bytes = 1024;

enum kind : std::uint8_t { ping = 'P', hash = 'H', stats = 'S', quit = 'Q', ok = 'K', error = 'E' };

/// One page of a body: raw bytes (opted in to travel as such), so that any executor, a
/// process pool's included, can take it.
struct page {
  static constexpr bool bitwise_transport = true;
  std::uint32_t size;
  std::array<std::uint8_t, page_bytes> bytes;
  page() noexcept {}  // no zero-filling: the body is read into the bytes
};

/// The kernel: one page -> its SHA-256.
struct page_hash {
  using input_type = page;
  using output_type = digest;
  // SHA-256 of 4 KiB, measured on the 2-vCPU reference VM (Release): ~13.5 us.
  static constexpr auto cost = std::chrono::microseconds{14};
  static constexpr std::string_view name = "page_hash";
  digest operator()(const page& p) const noexcept { return sha256::hash(std::span<const std::uint8_t>(p.bytes.data(), p.size)); }
};

/// The pages of a body of `n` bytes (sizes set, bytes to be filled).
inline std::vector<page> pages_for(std::size_t n) {
  std::vector<page> pages((n + page_bytes - 1) / page_bytes);
  for (std::size_t i = 0; i < pages.size(); ++i)
    pages[i].size = static_cast<std::uint32_t>(std::min(page_bytes, n - i * page_bytes));
  return pages;
}

/// A body cut into pages.
inline std::vector<page> paginate(std::span<const std::uint8_t> body) {
  auto pages = pages_for(body.size());
  for (std::size_t i = 0; i < pages.size(); ++i)
    std::memcpy(pages[i].bytes.data(), body.data() + i * page_bytes, pages[i].size);
  return pages;
}

/// The root over the leaves, in order.
inline digest root_of(const std::vector<digest>& leaves) {
  sha256 s;
  for (const auto& d : leaves) s.update(std::span<const std::uint8_t>(d));
  return s.finish();
}

/// The page-tree hash of a body, computed here (the client's reference).
inline digest tree_hash(std::span<const std::uint8_t> body) {
  std::vector<digest> leaves;
  for (std::size_t off = 0; off < body.size(); off += page_bytes)
    leaves.push_back(sha256::hash(body.subspan(off, std::min(page_bytes, body.size() - off))));
  return root_of(leaves);
}

/// A header: kind and payload length.
inline std::array<std::uint8_t, header_bytes> header(std::uint8_t k, std::uint32_t length) {
  return {k, static_cast<std::uint8_t>(length), static_cast<std::uint8_t>(length >> 8),
          static_cast<std::uint8_t>(length >> 16), static_cast<std::uint8_t>(length >> 24)};
}

/// The payload length of a header.
inline std::uint32_t length_of(const std::array<std::uint8_t, header_bytes>& h) {
  return std::uint32_t{h[1]} | std::uint32_t{h[2]} << 8 | std::uint32_t{h[3]} << 16 | std::uint32_t{h[4]} << 24;
}

/// A digest as 64 hex digits.
inline std::string hex(const digest& d) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string s;
  for (auto b : d) {
    s += digits[b >> 4];
    s += digits[b & 15];
  }
  return s;
}

}  // namespace hash_server
