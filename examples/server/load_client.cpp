// examples/server/load_client.cpp - the hash server's load client (see load_client.hpp).
//
//   load_client --port N [--pings N] [--ping-interval-us U] [--heavy N]
//               [--heavy-connections C] [--heavy-bytes B] [--verify] [--quit] [--max-seconds S]
//
// Prints `name: value unit` lines (ping percentiles, heavy requests per second, checks).
// Exit code 0 when every reply was right, 1 otherwise, 2 for bad arguments.
#include "args.hpp"
#include "load_client.hpp"

#include <exception>

int main(int argc, char** argv) {
  hash_server::client_options o;
  hash_server::args a(argc, argv);
  const bool has_port = a.number("--port", o.port);
  a.number("--pings", o.pings);
  a.number("--ping-interval-us", o.ping_interval_us);
  a.number("--heavy", o.heavy);
  a.number("--heavy-connections", o.heavy_connections);
  a.number("--heavy-bytes", o.heavy_bytes);
  o.verify = a.flag("--verify");
  o.quit = a.flag("--quit");
  a.number("--max-seconds", o.max_seconds);
  if (!a.complete("--port N [--pings N] [--ping-interval-us U] [--heavy N] [--heavy-connections C] "
                  "[--heavy-bytes B] [--verify] [--quit] [--max-seconds S]") ||
      !has_port)
    return 2;
  try {
    const auto report = hash_server::run_load(o);
    report.print();
    return report.ok() ? 0 : 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "load_client: %s\n", e.what());
    return 1;
  }
}
