// bench/server.cpp - the example hash server (examples/server/) under its load client: ping
// round trips with the server idle and with heavy requests saturating its pool, and heavy
// requests per second with the hashing offloaded by breakeven and done on the event loop.
//
// Each configuration runs in a fresh server process (forked before this process starts any
// thread) on 127.0.0.1; the client runs here. Configurations alternate, three rounds, and
// each figure is the median of its rounds.
//
//   server_ping_p99_us_idle       pings only (every 500 us)
//   server_ping_p99_us_loaded     pings while 2 connections send 256 KiB hash requests (64
//                                 pages, ~1 ms of hashing each) back to back, offloaded by
//                                 cost to breakeven's pool, which they keep busy
//   server_ping_p99_ratio         loaded / idle (target <= 3: the loop is not blocked)
//   server_heavy_rps_offload      heavy requests per second, offloaded
//   server_heavy_rps_inline       the same hashed on the event loop
//   server_ping_p99_us_loaded_inline            pings behind inline hashing
//   server_ping_p99_us_loaded_1mib, server_heavy_rps_offload_1mib
//                                 offloaded, with 1 MiB requests (~4 ms of hashing each)
//   server_*_byo2 / server_*_byo2_nice10        256 KiB requests hashed on an asio::thread_pool
//                                               of 2 threads (all cores), plain and at nice 10
#include "load_client.hpp"
#include "server.hpp"

#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>
#include <vector>

namespace {

using namespace hash_server;

// Forks a server; returns its pid and port.
std::pair<pid_t, unsigned short> serve(const server_options& o) {
  int fds[2];
  if (pipe(fds) != 0) std::exit(1);
  const pid_t pid = fork();
  if (pid == 0) {
    close(fds[0]);
    int code = 1;
    {
      server s(o);
      const unsigned short port = s.port();
      if (write(fds[1], &port, sizeof port) != sizeof port) _exit(1);
      close(fds[1]);
      code = s.run();
    }
    std::fflush(nullptr);
    _exit(code);
  }
  close(fds[1]);
  unsigned short port = 0;
  if (read(fds[0], &port, sizeof port) != sizeof port) std::exit(1);
  close(fds[0]);
  return {pid, port};
}

// Runs one load against a fresh server; the client's report.
client_report measure(const server_options& so, client_options co) {
  const auto [pid, port] = serve(so);
  co.port = port;
  co.quit = true;
  co.max_seconds = 60;
  const client_report r = run_load(co);
  int status = 0;
  waitpid(pid, &status, 0);
  if (!r.ok() || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    std::fprintf(stderr, "bench_server: a run failed (server status %d)\n", status);
    std::exit(1);
  }
  return r;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

}  // namespace

int main() {
  client_options idle;
  idle.pings = 2000;
  idle.ping_interval_us = 500;
  client_options loaded;
  loaded.heavy = 400;
  loaded.heavy_connections = 2;
  loaded.heavy_bytes = 256u << 10;
  loaded.ping_interval_us = 500;
  client_options loaded_1mib = loaded;
  loaded_1mib.heavy = 100;
  loaded_1mib.heavy_bytes = 1u << 20;

  server_options offload;
  server_options inline_hashing;
  inline_hashing.offload = false;
  server_options byo2;
  byo2.pool_threads = 2;
  server_options byo2_nice = byo2;
  byo2_nice.pool_nice = 10;

  std::map<std::string, std::vector<double>> f;
  for (int round = 0; round < 3; ++round) {
    f["idle_p99"].push_back(measure(offload, idle).ping_quantile(0.99));
    const auto off = measure(offload, loaded);
    f["loaded_p99"].push_back(off.ping_quantile(0.99));
    f["rps_offload"].push_back(off.heavy_rps());
    const auto big = measure(offload, loaded_1mib);
    f["big_p99"].push_back(big.ping_quantile(0.99));
    f["big_rps"].push_back(big.heavy_rps());
    const auto in = measure(inline_hashing, loaded);
    f["inline_p99"].push_back(in.ping_quantile(0.99));
    f["rps_inline"].push_back(in.heavy_rps());
    const auto b = measure(byo2, loaded);
    f["byo2_p99"].push_back(b.ping_quantile(0.99));
    f["byo2_rps"].push_back(b.heavy_rps());
    const auto bn = measure(byo2_nice, loaded);
    f["byo2n_p99"].push_back(bn.ping_quantile(0.99));
    f["byo2n_rps"].push_back(bn.heavy_rps());
  }
  const double idle_p99 = median(f["idle_p99"]);
  const double loaded_p99 = median(f["loaded_p99"]);
  std::printf("server_ping_p99_us_idle: %.1f us\n", idle_p99);
  std::printf("server_ping_p99_us_loaded: %.1f us\n", loaded_p99);
  std::printf("server_ping_p99_ratio: %.2f\n", loaded_p99 / idle_p99);
  std::printf("server_heavy_rps_offload: %.1f rps\n", median(f["rps_offload"]));
  std::printf("server_heavy_rps_inline: %.1f rps\n", median(f["rps_inline"]));
  std::printf("server_ping_p99_us_loaded_inline: %.1f us\n", median(f["inline_p99"]));
  std::printf("server_ping_p99_us_loaded_1mib: %.1f us\n", median(f["big_p99"]));
  std::printf("server_heavy_rps_offload_1mib: %.1f rps\n", median(f["big_rps"]));
  std::printf("server_ping_p99_us_loaded_byo2: %.1f us\n", median(f["byo2_p99"]));
  std::printf("server_heavy_rps_byo2: %.1f rps\n", median(f["byo2_rps"]));
  std::printf("server_ping_p99_us_loaded_byo2_nice10: %.1f us\n", median(f["byo2n_p99"]));
  std::printf("server_heavy_rps_byo2_nice10: %.1f rps\n", median(f["byo2n_rps"]));
}
