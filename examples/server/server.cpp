// examples/server/server.cpp - the hash server program (see server.hpp and protocol.hpp).
//
//   hash_server [--port N] [--inline] [--pool-threads N [--pool-nice K]]
//               [--max-body BYTES] [--max-seconds S]
//
// Listens on 127.0.0.1 (port 0: an ephemeral one) and prints "listening PORT" once ready.
// Exit codes: 0 after a quit request or SIGINT/SIGTERM, 2 for bad arguments, 3 when the
// time limit ended it.
#include "args.hpp"
#include "server.hpp"

#include <cstdio>
#include <exception>

int main(int argc, char** argv) {
  hash_server::server_options o;
  hash_server::args a(argc, argv);
  a.number("--port", o.port);
  o.offload = !a.flag("--inline");
  a.number("--pool-threads", o.pool_threads);
  a.number("--pool-nice", o.pool_nice);
  a.number("--max-body", o.max_body);
  a.number("--max-seconds", o.max_seconds);
  if (!a.complete("[--port N] [--inline] [--pool-threads N [--pool-nice K]] [--max-body BYTES] [--max-seconds S]"))
    return hash_server::exit_usage;
  try {
    hash_server::server s(o);
    std::printf("listening %u\n", static_cast<unsigned>(s.port()));
    std::fflush(stdout);
    return s.run();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "server: %s\n", e.what());
    return 1;
  }
}
