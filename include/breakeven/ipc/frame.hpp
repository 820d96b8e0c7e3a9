// breakeven/ipc/frame.hpp - the wire format between processes: length-prefixed frames
// with a type and a task id, and an incremental decoder that validates every header.
//
//   offset 0  u32 length   payload bytes that follow the 16-byte header
//          4  u16 type     a frame_type
//          6  u16 magic    0xBE01 (format and version)
//          8  u64 id       the task (or message) the frame belongs to
//
// A decoder is told which types it accepts and the largest payload it will buffer; a
// header outside those bounds is a protocol_error before a byte of payload is read, so a
// hostile or corrupt peer can neither crash the reader nor make it allocate at will.
#pragma once

#include <breakeven/ipc/errors.hpp>

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <vector>

namespace breakeven::ipc {

/// What a frame carries.
enum class frame_type : std::uint16_t {
  hello = 1,     ///< worker -> pool: ready (payload: pid)
  task = 2,      ///< pool -> worker: a chunk of items for one kernel
  result = 3,    ///< worker -> pool: the chunk's outputs
  error = 4,     ///< worker -> pool: the chunk failed (payload: item index, exception record)
  fatal = 5,     ///< worker -> pool: the worker cannot serve (initializer threw), then exits
  shutdown = 6,  ///< pool -> worker: exit cleanly
  message = 7,   ///< a typed channel's value
};

/// Bit mask of accepted frame types, for a decoder.
constexpr std::uint32_t frame_types(std::initializer_list<frame_type> ts) noexcept {
  std::uint32_t m = 0;
  for (frame_type t : ts) m |= std::uint32_t{1} << static_cast<unsigned>(t);
  return m;
}

/// The frame format's magic number; a different one is another format or version.
inline constexpr std::uint16_t frame_magic = 0xBE01;

/// The 16-byte header every frame starts with.
struct frame_header {
  std::uint32_t length = 0;
  std::uint16_t type = 0;
  std::uint16_t magic = frame_magic;
  std::uint64_t id = 0;
};
static_assert(sizeof(frame_header) == 16);

/// The largest payload a decoder accepts unless told otherwise (1 GiB).
inline constexpr std::size_t default_max_payload = std::size_t{1} << 30;

/// Starts a frame at the end of `buf`; returns where it starts (for finish_frame).
inline std::size_t begin_frame(std::vector<std::byte>& buf, frame_type t, std::uint64_t id) {
  const std::size_t at = buf.size();
  frame_header h{0, static_cast<std::uint16_t>(t), frame_magic, id};
  buf.resize(at + sizeof h);
  std::memcpy(buf.data() + at, &h, sizeof h);
  return at;
}

/// Writes the payload length of the frame started at `at`, once its payload is appended.
inline void finish_frame(std::vector<std::byte>& buf, std::size_t at) {
  const std::size_t len = buf.size() - at - sizeof(frame_header);
  if (len > UINT32_MAX) throw std::length_error("breakeven: a frame payload exceeds 4 GiB");
  const auto l = static_cast<std::uint32_t>(len);
  std::memcpy(buf.data() + at, &l, sizeof l);
}

/// Sets the id of the frame that starts at `at`.
inline void set_frame_id(std::vector<std::byte>& buf, std::size_t at, std::uint64_t id) {
  std::memcpy(buf.data() + at + offsetof(frame_header, id), &id, sizeof id);
}

/// Reassembles frames from a byte stream fed in pieces of any size. After feed() reports
/// a frame ready, read header() and payload(), then call next() before feeding more.
class frame_decoder {
 public:
  explicit frame_decoder(std::uint32_t accepted_types, std::size_t max_payload = default_max_payload) noexcept
      : accepted_(accepted_types), max_payload_(max_payload) {}

  /// Consumes bytes up to the end of the next frame; returns how many it took. Throws
  /// protocol_error on a bad header, and again on every later call (the stream is lost).
  std::size_t feed(std::span<const std::byte> in) {
    if (failed_) throw protocol_error(error_);
    std::size_t used = 0;
    while (used < in.size() && !ready_) {
      if (have_ < sizeof(frame_header)) {
        const std::size_t n = std::min(sizeof(frame_header) - have_, in.size() - used);
        std::memcpy(head_.data() + have_, in.data() + used, n);
        have_ += n;
        used += n;
        if (have_ == sizeof(frame_header)) start_payload();
      } else {
        const std::size_t want = sizeof(frame_header) + header_.length - have_;
        const std::size_t n = std::min(want, in.size() - used);
        const std::size_t off = have_ - sizeof(frame_header);
        // Grow with the bytes that actually arrive: a length field alone allocates nothing.
        if (payload_.size() < off + n)
          payload_.resize(std::min<std::size_t>(header_.length, std::max(off + n, payload_.size() * 2)));
        std::memcpy(payload_.data() + off, in.data() + used, n);
        have_ += n;
        used += n;
        if (have_ == sizeof(frame_header) + header_.length) ready_ = true;
      }
    }
    return used;
  }

  /// True when a whole frame is buffered.
  bool ready() const noexcept { return ready_; }
  /// True between frames (nothing of a next frame buffered yet).
  bool idle() const noexcept { return have_ == 0; }
  const frame_header& header() const noexcept { return header_; }
  frame_type type() const noexcept { return static_cast<frame_type>(header_.type); }
  std::span<const std::byte> payload() const noexcept { return {payload_.data(), header_.length}; }
  /// Drops the current frame; the buffer keeps its capacity (up to a bound).
  void next() noexcept {
    ready_ = false;
    have_ = 0;
    if (payload_.capacity() > keep_capacity) {
      std::vector<std::byte>().swap(payload_);
    }
  }

 private:
  static constexpr std::size_t keep_capacity = std::size_t{1} << 20;

  void start_payload() {
    std::memcpy(&header_, head_.data(), sizeof header_);
    if (header_.magic != frame_magic) fail("bad magic " + std::to_string(header_.magic));
    if (header_.type >= 32 || (accepted_ & (std::uint32_t{1} << header_.type)) == 0)
      fail("unknown frame type " + std::to_string(header_.type));
    if (header_.length > max_payload_)
      fail("frame length " + std::to_string(header_.length) + " exceeds the limit of " + std::to_string(max_payload_));
    if (header_.length == 0) ready_ = true;
  }
  [[noreturn]] void fail(std::string why) {
    failed_ = true;
    error_ = "breakeven: bad frame: " + why;
    throw protocol_error(error_);
  }

  std::uint32_t accepted_;
  std::size_t max_payload_;
  std::array<std::byte, sizeof(frame_header)> head_{};
  frame_header header_{};
  std::vector<std::byte> payload_;
  std::size_t have_ = 0;
  bool ready_ = false;
  bool failed_ = false;
  std::string error_;
};

}  // namespace breakeven::ipc
