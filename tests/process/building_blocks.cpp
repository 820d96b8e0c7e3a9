// The public building blocks: a process running a function, a typed pipe between two
// processes, a queue with several producers, exit statuses.
#include "kernels.hpp"

#include <breakeven/ipc/channel.hpp>
#include <breakeven/ipc/process.hpp>

#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <string>
#include <vector>

namespace be = breakeven;
namespace ipc = breakeven::ipc;
using namespace std::chrono_literals;

namespace bb {
// Echoes strings back upper-cased until it receives "stop".
inline void shout(ipc::channel<std::string> peer) {
  for (;;) {
    std::string s = peer.recv();
    if (s == "stop") return;
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
    peer.send(s);
  }
}
inline void produce(ipc::queue<std::pair<int, int>> q, int who, int n) {
  for (int i = 0; i < n; ++i) q.put({who, i});
}
inline int exit_with(int code) { return code; }
inline void crash() {
  std::signal(SIGSEGV, SIG_DFL);
  std::raise(SIGSEGV);
}
inline void sleep_long() { std::this_thread::sleep_for(30s); }
inline void throws() { throw std::runtime_error("entry failed"); }
}  // namespace bb

TEST_CASE("a process runs a function; join gives its exit status", "[process][blocks]") {
  for (auto m : {be::start_method::fork_server, be::start_method::fork, be::start_method::spawn}) {
    INFO(be::to_string(m));
    auto p = ipc::process::start<&bb::exit_with>(m, 7);
    CHECK(p.pid() > 0);
    const ipc::exit_status s = p.join();
    CHECK(s.exited());
    CHECK(s.code == 7);
    CHECK(s.describe() == "exited with status 7");
    CHECK(p.join() == s);  // idempotent

    auto c = ipc::process::start<&bb::crash>(m);
    const auto cs = c.join();
    CHECK(cs.signaled());
    CHECK(cs.code == SIGSEGV);
    CHECK(cs.describe().find("SIGSEGV") != std::string::npos);

    auto t = ipc::process::start<&bb::throws>(m);
    CHECK(t.join().code == 1);
  }
}

TEST_CASE("join_for, kill, and destruction of a running process", "[process][blocks]") {
  auto p = ipc::process::start<&bb::sleep_long>();
  CHECK_FALSE(p.join_for(20ms).has_value());
  CHECK(p.running());
  p.kill(SIGTERM);
  const auto s = p.join();
  CHECK(s.signaled());
  CHECK(s.code == SIGTERM);
  {
    auto q = ipc::process::start<&bb::sleep_long>(be::start_method::spawn);
    CHECK(q.running());
  }  // killed and reaped here: the hygiene listener checks no child is left
}

TEST_CASE("a typed pipe between two processes", "[process][blocks]") {
  for (auto m : {be::start_method::fork_server, be::start_method::spawn}) {
    auto [mine, theirs] = ipc::make_pipe<std::string>();
    auto p = ipc::process::start<&bb::shout>(m, theirs);
    theirs.close();  // the child holds its own copy
    for (const std::string& w : std::vector<std::string>{"alpha", "beta", std::string(200000, 'z')}) {
      mine.send(w);
      std::string up = w;
      std::transform(up.begin(), up.end(), up.begin(), [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
      CHECK(mine.recv() == up);
    }
    mine.send("stop");
    CHECK(p.join().success());
    CHECK_THROWS_AS(mine.recv(), be::channel_closed);  // the child's end closed with it
  }
}

TEST_CASE("a queue with several producer processes", "[process][blocks]") {
  ipc::queue<std::pair<int, int>> q;
  std::vector<ipc::process> ps;
  for (int who = 0; who < 3; ++who) ps.push_back(ipc::process::start<&bb::produce>(q, who, 200));
  std::vector<int> next(3, 0);
  for (int i = 0; i < 600; ++i) {
    const auto [who, n] = q.get();
    REQUIRE(who >= 0);
    REQUIRE(who < 3);
    CHECK(n == next[static_cast<std::size_t>(who)]++);  // each producer's values arrive in order
  }
  for (auto& p : ps) CHECK(p.join().success());
  CHECK_FALSE(q.get_for(10ms).has_value());
}
