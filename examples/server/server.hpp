// examples/server/server.hpp - the hash server: an Asio coroutine TCP server on loopback
// whose heavy requests are offloaded by cost through breakeven::async_map, so that its event
// loop keeps answering pings while the pool hashes.
#pragma once

#include "protocol.hpp"

#include <breakeven/asio.hpp>
#include <breakeven/breakeven.hpp>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <functional>
#include <latch>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace hash_server {

namespace asio = boost::asio;
using asio::ip::tcp;

/// How the server runs.
struct server_options {
  unsigned short port = 0;          ///< 0: an ephemeral port (announced on stdout)
  bool offload = true;              ///< false: hash on the event loop, for comparison
  unsigned pool_threads = 0;        ///< 0: breakeven's pool as the plan picks; N: an asio::thread_pool of N
  int pool_nice = 0;                ///< niceness of those N threads
  std::size_t max_body = 64u << 20; ///< larger hash requests are refused
  double max_seconds = 0;           ///< > 0: stop (exit code 3) after this long
};

/// Pages read from a socket in one step of the event loop.
inline constexpr std::size_t pages_per_read = 16;

/// Exit codes of the server program.
enum exit_code : int { exit_clean = 0, exit_usage = 2, exit_time_limit = 3 };

/// The server: one io_context thread, sessions as coroutines, hashing by breakeven.
class server {
 public:
  explicit server(const server_options& o)
      : options_(o), acceptor_(io_, tcp::endpoint(asio::ip::make_address("127.0.0.1"), o.port)), signals_(io_, SIGINT, SIGTERM),
        watchdog_(io_) {
    if (o.pool_threads != 0) {
      pool_.emplace(o.pool_threads);
      if (o.pool_nice != 0) renice(*pool_, o.pool_threads, o.pool_nice);
      byo_.emplace(*pool_, o.pool_threads);
    }
  }

  /// The port the server listens on.
  unsigned short port() const { return acceptor_.local_endpoint().port(); }

  /// Serves until a quit request, SIGINT/SIGTERM or the time limit; returns the exit code.
  int run() {
    asio::co_spawn(io_, accept_loop(), asio::detached);
    signals_.async_wait([this](boost::system::error_code ec, int) {
      if (!ec) shut_down();
    });
    if (options_.max_seconds > 0) {
      watchdog_.expires_after(std::chrono::duration_cast<std::chrono::steady_clock::duration>(
          std::chrono::duration<double>(options_.max_seconds)));
      watchdog_.async_wait([this](boost::system::error_code ec) {
        if (ec) return;
        std::fprintf(stderr, "server: time limit of %.0f s reached\n", options_.max_seconds);
        code_ = exit_time_limit;
        shut_down();
      });
    }
    io_.run();  // returns once every session and every offloaded hash has finished
    if (pool_) pool_->join();
    return code_;
  }

 private:
  // Lowers the priority of each of the pool's `n` threads (each runs one task until all have).
  static void renice(asio::thread_pool& pool, unsigned n, int nice) {
    std::latch all(static_cast<std::ptrdiff_t>(n));
    for (unsigned i = 0; i < n; ++i)
      asio::post(pool, [&all, nice] {
        setpriority(PRIO_PROCESS, static_cast<id_t>(syscall(SYS_gettid)), nice);
        all.arrive_and_wait();
      });
    all.wait();
  }

  asio::awaitable<void> accept_loop() {
    for (;;) {
      boost::system::error_code ec;
      tcp::socket s = co_await acceptor_.async_accept(asio::redirect_error(asio::use_awaitable, ec));
      if (ec) co_return;  // closed by shut_down()
      s.set_option(tcp::no_delay(true), ec);  // replies are small: never hold one back (Nagle)
      asio::co_spawn(io_, session(std::move(s)), asio::detached);
    }
  }

  // The leaves of a body's pages: on the event loop when asked to (or when the plan says the
  // batch is cheaper than a hand-off), otherwise off it.
  asio::awaitable<std::vector<digest>> leaves_of(std::vector<page> pages) {
    if (!options_.offload) co_return breakeven::map(page_hash{}, pages, sequential_);
    if (byo_) {
      if (breakeven::async_runs_inline<page_hash>(pages.size())) co_return breakeven::map(page_hash{}, pages, sequential_);
      co_return co_await breakeven::async_map(page_hash{}, std::move(pages), *byo_, asio::use_awaitable);
    }
    co_return co_await breakeven::async_map(page_hash{}, std::move(pages), asio::use_awaitable);
  }

  asio::awaitable<void> reply(tcp::socket& s, std::uint8_t k, std::span<const std::uint8_t> payload) {
    const auto h = header(k, static_cast<std::uint32_t>(payload.size()));
    const std::array<asio::const_buffer, 2> bufs{asio::buffer(h), asio::buffer(payload.data(), payload.size())};
    co_await asio::async_write(s, bufs, asio::use_awaitable);
  }
  asio::awaitable<void> reply(tcp::socket& s, std::uint8_t k, std::string_view text) {
    co_await reply(s, k, std::span(reinterpret_cast<const std::uint8_t*>(text.data()), text.size()));
  }

  asio::awaitable<void> session(tcp::socket s) {
    sessions_.insert(&s);
    struct forget {
      server* srv;
      tcp::socket* s;
      ~forget() { srv->sessions_.erase(s); }
    } guard{this, &s};
    try {
      for (;;) {
        std::array<std::uint8_t, header_bytes> h;
        co_await asio::async_read(s, asio::buffer(h), asio::use_awaitable);
        const std::uint32_t length = length_of(h);
        if (h[0] == ping) {
          if (length > max_ping_bytes) {
            co_await reply(s, error, "ping payload over 1 KiB");
            co_return;
          }
          std::vector<std::uint8_t> payload(length);
          co_await asio::async_read(s, asio::buffer(payload), asio::use_awaitable);
          ++pings_;
          co_await reply(s, ok, payload);
        } else if (h[0] == hash) {
          if (length > options_.max_body) {
            co_await reply(s, error, "hash body over the limit of " + std::to_string(options_.max_body) + " bytes");
            co_return;
          }
          // The body is read straight into the pages the kernel takes, 64 KiB at a time: each
          // step copies little, and a ping that arrives meanwhile is served between two steps.
          auto pages = pages_for(length);
          for (std::size_t first = 0; first < pages.size(); first += pages_per_read) {
            std::vector<asio::mutable_buffer> bufs;
            for (std::size_t i = first; i < std::min(pages.size(), first + pages_per_read); ++i)
              bufs.push_back(asio::buffer(pages[i].bytes.data(), pages[i].size));
            co_await asio::async_read(s, bufs, asio::use_awaitable);
          }
          ++hashes_;
          const digest root = root_of(co_await leaves_of(std::move(pages)));
          co_await reply(s, ok, root);
        } else if (h[0] == stats) {
          const auto st = breakeven::statistics();
          const std::string text = "pings=" + std::to_string(pings_) + " hashes=" + std::to_string(hashes_) +
                                   " inline=" + std::to_string(st[breakeven::executor_kind::sequential].calls) +
                                   " offloaded=" + std::to_string(st[breakeven::executor_kind::thread_pool].calls);
          co_await reply(s, ok, text);
        } else if (h[0] == quit) {
          co_await reply(s, ok, "bye");
          shut_down();
          co_return;
        } else {
          co_await reply(s, error, std::string("unknown request kind '") + static_cast<char>(h[0]) + "'");
          co_return;
        }
      }
    } catch (const boost::system::system_error&) {
      // The peer went away, or shut_down() closed the socket: the session ends.
    }
  }

  // Stops accepting, closes every connection and cancels the timers: io_.run() returns once
  // the sessions have unwound and the hashes in flight have completed.
  void shut_down() {
    boost::system::error_code ignored;
    acceptor_.close(ignored);
    signals_.cancel(ignored);
    watchdog_.cancel();
    for (tcp::socket* s : sessions_) {
      s->shutdown(tcp::socket::shutdown_both, ignored);
      s->close(ignored);
    }
  }

  server_options options_;
  asio::io_context io_;
  tcp::acceptor acceptor_;
  asio::signal_set signals_;
  asio::steady_timer watchdog_;
  std::optional<asio::thread_pool> pool_;
  std::optional<breakeven::asio_executor<asio::thread_pool::executor_type>> byo_;
  breakeven::sequential_executor sequential_;
  std::set<tcp::socket*> sessions_;
  std::uint64_t pings_ = 0;
  std::uint64_t hashes_ = 0;
  int code_ = exit_clean;
};

}  // namespace hash_server
