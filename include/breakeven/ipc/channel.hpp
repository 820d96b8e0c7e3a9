// breakeven/ipc/channel.hpp - typed channels between processes: Python's Pipe (a duplex
// connection between two ends) and Queue (many producers and consumers, bounded).
//
// A channel<Send, Recv> is one end of a Unix stream socket that carries framed values
// (the frame format of <breakeven/ipc/frame.hpp>, type `message`); a queue<T> is a pair of
// SOCK_SEQPACKET sockets whose records are single values, so any number of processes may
// put and get concurrently without splitting a value. Both travel to a child process as
// arguments of ipc::process::start (their descriptors go along). Received bytes are
// validated: a bad frame or a value that does not decode is a protocol_error.
#pragma once

#include <breakeven/ipc/codec.hpp>
#include <breakeven/ipc/errors.hpp>
#include <breakeven/ipc/fork_server.hpp>
#include <breakeven/ipc/frame.hpp>
#include <breakeven/ipc/posix.hpp>

#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <utility>
#include <vector>

#include <poll.h>
#include <sys/socket.h>

namespace breakeven {

/// The other end of a channel closed (or a queue has no writer left and is empty).
class channel_closed : public process_error {
 public:
  using process_error::process_error;
};

namespace ipc {

namespace detail {
inline void send_all(int fd, std::span<const std::byte> bytes) {
  while (!bytes.empty()) {
    const ssize_t n = ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EPIPE || errno == ECONNRESET) throw channel_closed("breakeven: the channel's other end is closed");
      throw_errno("send");
    }
    bytes = bytes.subspan(static_cast<std::size_t>(n));
  }
}
inline int poll_ms(std::optional<std::chrono::milliseconds> limit) {
  return limit ? static_cast<int>(std::max<std::chrono::milliseconds::rep>(0, limit->count())) : -1;
}
}  // namespace detail

/// One end of a duplex typed channel: sends `Send`, receives `Recv`.
template <class Send, class Recv = Send>
class channel {
  static_assert(transportable<Send> && transportable<Recv>, "breakeven: a channel carries transportable types");

 public:
  channel() = default;
  explicit channel(unique_fd fd) : fd_(std::move(fd)) {}

  /// Sends one value (blocks while the socket buffer is full).
  void send(const Send& v) {
    out_.clear();
    const std::size_t at = begin_frame(out_, frame_type::message, ++sent_);
    {
      writer w(out_);
      encode(w, v);
    }
    finish_frame(out_, at);
    detail::send_all(fd_.get(), out_);
  }

  /// Receives one value; throws channel_closed at end of stream.
  Recv recv() {
    std::optional<Recv> v = receive(std::nullopt);
    return std::move(*v);
  }
  /// Receives one value, or nullopt when none arrives within `limit`.
  std::optional<Recv> recv_for(std::chrono::milliseconds limit) { return receive(limit); }

  /// The socket, for an event loop.
  int native_handle() const noexcept { return fd_.get(); }
  explicit operator bool() const noexcept { return static_cast<bool>(fd_); }
  /// Closes this end; the other sees end of stream once every copy is closed.
  void close() noexcept { fd_.reset(); }

 private:
  std::optional<Recv> receive(std::optional<std::chrono::milliseconds> limit) {
    const auto until = std::chrono::steady_clock::now() + limit.value_or(std::chrono::milliseconds(0));
    for (;;) {
      if (decoder_.ready()) {
        reader r(decoder_.payload());
        Recv v = decode<Recv>(r);
        if (r.remaining() != 0) throw decode_error("breakeven: trailing bytes after a channel value");
        decoder_.next();
        return v;
      }
      if (!have_.empty()) {
        have_ = have_.subspan(decoder_.feed(have_));
        continue;
      }
      if (limit) {
        const auto left = std::chrono::ceil<std::chrono::milliseconds>(until - std::chrono::steady_clock::now());
        if (!wait_readable(fd_.get(), detail::poll_ms(std::max(left, std::chrono::milliseconds(0))))) return std::nullopt;
      }
      const ssize_t n = ::recv(fd_.get(), in_.data(), in_.size(), 0);
      if (n < 0) {
        if (errno == EINTR) continue;
        throw_errno("recv");
      }
      if (n == 0) {
        if (!decoder_.idle()) throw protocol_error("breakeven: a channel closed in the middle of a value");
        throw channel_closed("breakeven: the channel's other end is closed");
      }
      have_ = std::span<const std::byte>(in_.data(), static_cast<std::size_t>(n));
    }
  }

  unique_fd fd_;
  std::uint64_t sent_ = 0;
  std::vector<std::byte> out_;
  std::vector<std::byte> in_ = std::vector<std::byte>(64 * 1024);
  std::span<const std::byte> have_;
  frame_decoder decoder_{frame_types({frame_type::message})};
};

/// A connected pair of channel ends (Python's Pipe()): values sent on one arrive at the other.
template <class A, class B = A>
std::pair<channel<A, B>, channel<B, A>> make_pipe() {
  auto [x, y] = socket_pair(SOCK_STREAM);
  return {channel<A, B>(std::move(x)), channel<B, A>(std::move(y))};
}

/// A bounded many-producer many-consumer queue of `T` between processes (Python's Queue).
/// Each value travels as one record of at most max_value_bytes; put blocks while the queue
/// holds as many bytes as its socket buffer (back-pressure).
template <class T>
class queue {
  static_assert(transportable<T>, "breakeven: a queue carries a transportable type");

 public:
  /// The largest encoded value a queue carries.
  static constexpr std::size_t max_value_bytes = server_record_limit;

  queue() {
    auto [p, g] = socket_pair(SOCK_SEQPACKET);
    size_record_socket(p.get());
    size_record_socket(g.get());
    put_ = std::move(p);
    get_ = std::move(g);
  }
  queue(unique_fd put_end, unique_fd get_end) : put_(std::move(put_end)), get_(std::move(get_end)) {}

  /// Appends a value (blocks while the queue is full).
  void put(const T& v) {
    std::vector<std::byte> b;
    {
      writer w(b);
      w.put(record_tag);  // a record is never empty: an empty one would read as end of stream
      encode(w, v);
    }
    if (b.size() > max_value_bytes)
      throw std::length_error("breakeven: a queue value of " + std::to_string(b.size()) + " bytes exceeds the limit of " +
                              std::to_string(max_value_bytes));
    if (const int e = send_message(put_.get(), b); e != 0) {
      if (e == EPIPE || e == ECONNRESET) throw channel_closed("breakeven: the queue is closed");
      throw_errno("queue put", e);
    }
  }
  /// Takes the oldest value (blocks while the queue is empty).
  T get() { return *take(std::nullopt); }
  /// Takes the oldest value, or nullopt when none arrives within `limit`.
  std::optional<T> get_for(std::chrono::milliseconds limit) { return take(limit); }

  int put_handle() const noexcept { return put_.get(); }
  int get_handle() const noexcept { return get_.get(); }

 private:
  std::optional<T> take(std::optional<std::chrono::milliseconds> limit) {
    if (limit && !wait_readable(get_.get(), detail::poll_ms(limit))) return std::nullopt;
    std::vector<std::byte> b(max_value_bytes);
    const ssize_t n = receive_message(get_.get(), b, nullptr);
    if (n < 0) throw_errno("queue get");
    if (n == 0) throw channel_closed("breakeven: the queue is closed");
    reader r(std::span<const std::byte>(b.data(), static_cast<std::size_t>(n)));
    if (r.get<std::uint8_t>() != record_tag) throw decode_error("breakeven: a queue record with a bad tag");
    T v = decode<T>(r);
    if (r.remaining() != 0) throw decode_error("breakeven: trailing bytes after a queue value");
    return v;
  }

  static constexpr std::uint8_t record_tag = 0x51;
  unique_fd put_, get_;
};

}  // namespace ipc

/// A channel end travels to a child process as its descriptor.
template <class S, class R>
struct transport<ipc::channel<S, R>> {
  static void encode(ipc::writer& w, const ipc::channel<S, R>& c) { w.put(w.attach_fd(c.native_handle())); }
  static ipc::channel<S, R> decode(ipc::reader& r) {
    return ipc::channel<S, R>(ipc::unique_fd(r.take_fd(r.get<std::uint32_t>())));
  }
};
template <class S, class R>
inline constexpr bool enable_transport<ipc::channel<S, R>> = true;

/// A queue travels to a child process as its two descriptors.
template <class T>
struct transport<ipc::queue<T>> {
  static void encode(ipc::writer& w, const ipc::queue<T>& q) {
    w.put(w.attach_fd(q.put_handle()));
    w.put(w.attach_fd(q.get_handle()));
  }
  static ipc::queue<T> decode(ipc::reader& r) {
    const int p = r.take_fd(r.get<std::uint32_t>());
    const int g = r.take_fd(r.get<std::uint32_t>());
    return ipc::queue<T>(ipc::unique_fd(p), ipc::unique_fd(g));
  }
};
template <class T>
inline constexpr bool enable_transport<ipc::queue<T>> = true;

}  // namespace breakeven
