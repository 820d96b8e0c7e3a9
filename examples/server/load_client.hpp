// examples/server/load_client.hpp - the hash server's load client: heavy hash requests on
// some connections, paced pings on another, each ping's round trip timed; an optional check
// of every reply against hashes computed here, and of the server's error replies.
#pragma once

#include "protocol.hpp"

#include <breakeven/asio/config.hpp>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <random>
#include <string>
#include <thread>
#include <vector>

namespace hash_server {

namespace asio = boost::asio;
using asio::ip::tcp;

/// What the client sends.
struct client_options {
  unsigned short port = 0;
  unsigned pings = 200;                  ///< pings to send when there is no heavy load
  unsigned ping_interval_us = 1000;      ///< one ping every so often
  unsigned heavy = 0;                    ///< heavy hash requests in all (0: pings only)
  unsigned heavy_connections = 2;        ///< connections sending them back to back
  std::size_t heavy_bytes = 1u << 20;    ///< body of each heavy request
  bool verify = false;                   ///< check replies of assorted sizes and error replies first
  bool quit = false;                     ///< send a quit request at the end
  double max_seconds = 60;               ///< give up after this long
};

/// What the client measured.
struct client_report {
  std::vector<double> ping_us;  ///< round trips, sorted
  unsigned heavy_done = 0;
  double heavy_seconds = 0;
  unsigned errors = 0;          ///< failed connections, error replies where none was due, time-outs
  unsigned mismatches = 0;      ///< replies that differ from the reference
  unsigned verified = 0;        ///< checks passed in verify mode
  std::string server_stats;     ///< the server's STATS reply, read at the end

  /// The `q` quantile of the ping round trips (0 when none).
  double ping_quantile(double q) const {
    if (ping_us.empty()) return 0;
    const auto i = static_cast<std::size_t>(q * static_cast<double>(ping_us.size() - 1) + 0.5);
    return ping_us[std::min(i, ping_us.size() - 1)];
  }
  double heavy_rps() const { return heavy_seconds > 0 ? heavy_done / heavy_seconds : 0; }
  bool ok() const { return errors == 0 && mismatches == 0; }

  /// The figures, one `name: value unit` line each.
  void print(std::FILE* f = stdout) const {
    std::fprintf(f, "pings: %zu\nping_p50_us: %.1f us\nping_p99_us: %.1f us\nping_max_us: %.1f us\n", ping_us.size(),
                 ping_quantile(0.5), ping_quantile(0.99), ping_us.empty() ? 0.0 : ping_us.back());
    std::fprintf(f, "heavy: %u\nheavy_rps: %.1f rps\nverified: %u\nerrors: %u\nmismatches: %u\n", heavy_done,
                 heavy_rps(), verified, errors, mismatches);
    if (!server_stats.empty()) std::fprintf(f, "server_stats: %s\n", server_stats.c_str());
  }
};

namespace detail {

struct reply {
  std::uint8_t kind = 0;
  std::vector<std::uint8_t> payload;
  std::string text() const { return std::string(payload.begin(), payload.end()); }
};

inline asio::awaitable<reply> call(tcp::socket& s, std::uint8_t k, std::span<const std::uint8_t> payload) {
  const auto h = header(k, static_cast<std::uint32_t>(payload.size()));
  const std::array<asio::const_buffer, 2> out{asio::buffer(h), asio::buffer(payload.data(), payload.size())};
  co_await asio::async_write(s, out, asio::use_awaitable);
  std::array<std::uint8_t, header_bytes> rh;
  co_await asio::async_read(s, asio::buffer(rh), asio::use_awaitable);
  reply r;
  r.kind = rh[0];
  r.payload.resize(length_of(rh));
  co_await asio::async_read(s, asio::buffer(r.payload), asio::use_awaitable);
  co_return r;
}

inline std::vector<std::uint8_t> random_body(std::size_t n, unsigned seed) {
  std::mt19937 gen(seed);
  std::vector<std::uint8_t> b(n);
  for (auto& x : b) x = static_cast<std::uint8_t>(gen());
  return b;
}

class load {
 public:
  load(const client_options& o, client_report& r) : o_(o), r_(r), deadline_(io_) {}

  void run() {
    asio::co_spawn(io_, main(), [this](std::exception_ptr e) {
      if (!e) return;
      try {
        std::rethrow_exception(e);
      } catch (const std::exception& x) {
        std::fprintf(stderr, "client: %s\n", x.what());
      }
      ++r_.errors;
    });
    deadline_.expires_after(std::chrono::duration_cast<std::chrono::steady_clock::duration>(
        std::chrono::duration<double>(o_.max_seconds)));
    deadline_.async_wait([this](boost::system::error_code ec) {
      if (ec) return;
      std::fprintf(stderr, "client: time limit of %.0f s reached\n", o_.max_seconds);
      ++r_.errors;
      io_.stop();
    });
    io_.run();
    std::sort(r_.ping_us.begin(), r_.ping_us.end());
  }

 private:
  asio::awaitable<tcp::socket> connect() {
    tcp::socket s(co_await asio::this_coro::executor);
    co_await s.async_connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), o_.port), asio::use_awaitable);
    s.set_option(tcp::no_delay(true));
    co_return s;
  }

  void expect(bool good, const char* what) {
    if (good) {
      ++r_.verified;
    } else {
      ++r_.mismatches;
      std::fprintf(stderr, "client: check failed: %s\n", what);
    }
  }

  // Replies of assorted sizes against the reference hash; the error replies.
  asio::awaitable<void> verify() {
    tcp::socket s = co_await connect();
    const std::uint8_t hello[] = {'h', 'e', 'l', 'l', 'o'};
    const reply pong = co_await call(s, ping, hello);
    expect(pong.kind == ok && pong.payload == std::vector<std::uint8_t>(hello, hello + 5), "ping echoes its payload");
    unsigned seed = 1;
    const std::array<std::size_t, 7> sizes{0, 1, 100, page_bytes, page_bytes + 1, 100'000, o_.heavy_bytes};
    for (std::size_t n : sizes) {
      const auto body = random_body(n, seed++);
      const reply r = co_await call(s, hash, body);
      const digest want = tree_hash(body);
      expect(r.kind == ok && r.payload == std::vector<std::uint8_t>(want.begin(), want.end()),
             ("hash of " + std::to_string(n) + " bytes").c_str());
    }
    // An unknown request kind: an error reply, then the server closes the connection.
    tcp::socket bad = co_await connect();
    const reply e = co_await call(bad, 'X', {});
    expect(e.kind == error && e.text().find("unknown request kind") != std::string::npos, "unknown kind refused");
    std::array<std::uint8_t, 1> more;
    boost::system::error_code ec;
    co_await bad.async_read_some(asio::buffer(more), asio::redirect_error(asio::use_awaitable, ec));
    expect(ec == asio::error::eof, "connection closed after an error");
  }

  asio::awaitable<void> heavy_connection(const std::vector<std::vector<std::uint8_t>>& bodies,
                                         const std::vector<digest>& roots) {
    tcp::socket s = co_await connect();
    for (;;) {
      const unsigned ticket = next_heavy_++;
      if (ticket >= o_.heavy) break;
      const auto& body = bodies[ticket % bodies.size()];
      const reply r = co_await call(s, hash, body);
      const digest& want = roots[ticket % roots.size()];
      if (r.kind != ok || r.payload != std::vector<std::uint8_t>(want.begin(), want.end())) ++r_.mismatches;
      ++r_.heavy_done;
    }
    if (--heavy_running_ == 0) heavy_end_ = std::chrono::steady_clock::now();
  }

  // Runs on its own thread and io_context, so that sending heavy bodies never delays a ping.
  asio::awaitable<void> ping_connection() {
    tcp::socket s = co_await connect();
    asio::steady_timer pace(co_await asio::this_coro::executor);
    auto next = std::chrono::steady_clock::now();
    std::uint64_t seq = 0;
    for (;;) {
      if (o_.heavy != 0 ? heavy_running_.load() == 0 : r_.ping_us.size() >= o_.pings) break;
      next += std::chrono::microseconds(o_.ping_interval_us);
      pace.expires_at(next);
      co_await pace.async_wait(asio::use_awaitable);
      const auto t0 = std::chrono::steady_clock::now();
      const reply r = co_await call(s, ping, std::span(reinterpret_cast<const std::uint8_t*>(&seq), sizeof seq));
      const auto t1 = std::chrono::steady_clock::now();
      if (r.kind != ok || r.payload.size() != sizeof seq) ++ping_mismatches_;
      ++seq;
      r_.ping_us.push_back(std::chrono::duration<double, std::micro>(t1 - t0).count());
      if (t1 > next) next = t1;  // a late ping does not make the next ones bunch up
    }
  }

  asio::awaitable<void> main() {
    if (o_.verify) co_await verify();
    // Four distinct heavy bodies, their hashes computed before the clock starts.
    std::vector<std::vector<std::uint8_t>> bodies;
    std::vector<digest> roots;
    if (o_.heavy != 0)
      for (unsigned i = 0; i < 4; ++i) {
        bodies.push_back(random_body(o_.heavy_bytes, 100 + i));
        roots.push_back(tree_hash(bodies.back()));
      }
    heavy_running_ = o_.heavy != 0 ? o_.heavy_connections : 0;
    const auto start = std::chrono::steady_clock::now();
    for (unsigned c = 0; c < heavy_running_; ++c)
      asio::co_spawn(io_, heavy_connection(bodies, roots), [this](std::exception_ptr e) { failed(e); });
    asio::io_context ping_io;
    std::exception_ptr ping_failure;
    asio::co_spawn(ping_io, ping_connection(), [&](std::exception_ptr e) { ping_failure = e; });
    std::thread pinger([&] { ping_io.run(); });
    while (heavy_running_.load() != 0 || !ping_io.stopped()) {  // pings stop with the heavy load
      asio::steady_timer t(io_, std::chrono::milliseconds(1));
      co_await t.async_wait(asio::use_awaitable);
    }
    pinger.join();
    r_.mismatches += ping_mismatches_;
    if (ping_failure) std::rethrow_exception(ping_failure);
    if (o_.heavy != 0) r_.heavy_seconds = std::chrono::duration<double>(heavy_end_ - start).count();

    tcp::socket s = co_await connect();
    r_.server_stats = (co_await call(s, stats, {})).text();
    if (o_.quit) {
      const reply bye = co_await call(s, quit, {});
      if (bye.kind != ok || bye.text() != "bye") ++r_.mismatches;
    }
    deadline_.cancel();
  }

  void failed(std::exception_ptr e) {
    if (!e) return;
    try {
      std::rethrow_exception(e);
    } catch (const std::exception& x) {
      std::fprintf(stderr, "client: heavy connection: %s\n", x.what());
    }
    ++r_.errors;
    if (--heavy_running_ == 0) heavy_end_ = std::chrono::steady_clock::now();
  }

  const client_options& o_;
  client_report& r_;
  asio::io_context io_;
  asio::steady_timer deadline_;
  unsigned next_heavy_ = 0;
  std::atomic<unsigned> heavy_running_{0};
  unsigned ping_mismatches_ = 0;  // the ping thread's, added to the report after it is joined
  std::chrono::steady_clock::time_point heavy_end_{};
};

}  // namespace detail

/// Runs the load described by `o` against the server on 127.0.0.1:o.port.
inline client_report run_load(const client_options& o) {
  client_report r;
  detail::load(o, r).run();
  return r;
}

}  // namespace hash_server
