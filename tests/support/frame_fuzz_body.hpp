// One fuzz input for the frame layer: a byte stream from a "worker", fed to the pool's
// decoder in pieces whose sizes the input also chooses; every whole frame's payload is
// decoded as the pool would (a result of strings, an error record). Bad bytes must end in
// protocol_error / decode_error, never in a crash, an overread or a huge allocation.
#pragma once

#include <breakeven/ipc/codec.hpp>
#include <breakeven/ipc/exceptions.hpp>
#include <breakeven/ipc/frame.hpp>

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace breakeven_test {

/// Runs one input; returns the number of frames that decoded whole.
inline std::size_t fuzz_frames(std::span<const std::byte> data) {
  namespace ipc = breakeven::ipc;
  ipc::frame_decoder dec(ipc::frame_types({ipc::frame_type::hello, ipc::frame_type::result, ipc::frame_type::error,
                                           ipc::frame_type::fatal}),
                         1 << 16);
  std::size_t frames = 0;
  std::size_t at = 0;
  std::size_t step = 1;
  try {
    while (at < data.size()) {
      step = (step * 7 + static_cast<std::size_t>(data[at])) % 61 + 1;  // piece sizes vary with the input
      const auto piece = data.subspan(at, std::min(step, data.size() - at));
      std::size_t used = 0;
      while (used < piece.size()) {
        used += dec.feed(piece.subspan(used));
        if (!dec.ready()) continue;
        ++frames;
        ipc::reader r(dec.payload());
        try {
          switch (dec.type()) {
            case ipc::frame_type::result: {
              const auto n = r.get<std::uint32_t>();
              for (std::uint32_t i = 0; i < n; ++i) (void)ipc::decode<std::vector<std::string>>(r);
              break;
            }
            case ipc::frame_type::error:
              (void)r.get<std::uint32_t>();
              (void)ipc::rebuild_exception(ipc::decode<ipc::error_record>(r));
              break;
            case ipc::frame_type::fatal: (void)ipc::decode<ipc::error_record>(r); break;
            default: (void)r.get<std::uint32_t>(); break;
          }
        } catch (const breakeven::decode_error&) {
        }
        dec.next();
      }
      at += piece.size();
    }
  } catch (const breakeven::protocol_error&) {
  }
  return frames;
}

}  // namespace breakeven_test
