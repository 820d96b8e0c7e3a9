// What the asio tests share: the places an asynchronous operation can run (each a fixture
// with map/for_each/submit taking a completion token), kernels, and small helpers.
#pragma once
#include <breakeven/asio.hpp>
#include <breakeven/executor/process_pool.hpp>

#include "../support/executors.hpp"

#include <boost/asio/bind_executor.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_future.hpp>

#include <array>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <dirent.h>
#include <memory>
#include <numeric>
#include <stdexcept>
#include <string>
#include <thread>
#include <unistd.h>
#include <vector>

namespace test {

namespace asio = boost::asio;
namespace be = breakeven;

/// Runs the operations on the executor `Derived::ex` named in each call.
template <class Derived>
struct named_place {
  template <class Op, class R, class Token>
  auto map(const Op& op, R&& items, Token&& token) {
    return be::async_map(op, std::forward<R>(items), self().ex, std::forward<Token>(token));
  }
  template <class Op, class R, class Token>
  auto for_each(const Op& op, R&& items, Token&& token) {
    return be::async_for_each(op, std::forward<R>(items), self().ex, std::forward<Token>(token));
  }
  template <class Op, class Token>
  auto submit(const Op& op, be::input_t<Op> x, Token&& token) {
    return be::async_submit(op, std::move(x), self().ex, std::forward<Token>(token));
  }

 private:
  Derived& self() { return static_cast<Derived&>(*this); }
};

/// Work on the sequential executor named in the call: inside the initiating call.
struct on_sequential : named_place<on_sequential> {
  be::sequential_executor ex;
};

/// Work on a breakeven thread pool named in the call.
struct on_thread_pool : named_place<on_thread_pool> {
  be::thread_pool ex{3};
};

/// Work on the threads of the program's own asio::thread_pool, through asio_executor.
struct on_asio_pool : named_place<on_asio_pool> {
  asio::thread_pool pool{2};
  be::asio_executor<asio::thread_pool::executor_type> ex{pool, 2};
};

/// Work on a pool of two worker processes named in the call.
struct on_process_pool : named_place<on_process_pool> {
  be::process_pool ex{2};
};

/// Work where the plan puts it (no executor named): the kernels below declare costs that
/// send a batch of 64 to the shared pool, and one item to one worker.
struct on_plan {
  template <class Op, class R, class Token>
  auto map(const Op& op, R&& items, Token&& token) {
    return be::async_map(op, std::forward<R>(items), std::forward<Token>(token));
  }
  template <class Op, class R, class Token>
  auto for_each(const Op& op, R&& items, Token&& token) {
    return be::async_for_each(op, std::forward<R>(items), std::forward<Token>(token));
  }
  template <class Op, class Token>
  auto submit(const Op& op, be::input_t<Op> x, Token&& token) {
    return be::async_submit(op, std::move(x), std::forward<Token>(token));
  }
};

/// x -> x * x; declared at 200 us an item, so that plans send it off the caller's thread.
struct heavy_square {
  using input_type = int;
  using output_type = long long;
  static constexpr auto cost = std::chrono::microseconds{200};
  long long operator()(const int& x) const { return static_cast<long long>(x) * x; }
};

/// x -> x + 1, throwing std::invalid_argument("item N") at item `bad`.
struct heavy_fails_at {
  static constexpr bool bitwise_transport = true;  // its parameter travels with each task
  using input_type = int;
  using output_type = int;
  static constexpr auto cost = std::chrono::microseconds{200};
  int bad = -1;
  int operator()(const int& x) const {
    if (x == bad) throw std::invalid_argument("item " + std::to_string(x));
    return x + 1;
  }
};

/// Creates the file `<dir>/<item>` (effects only, seen from any process).
struct touch {
  static constexpr bool bitwise_transport = true;  // a path of chars and a duration: raw bytes
  using input_type = int;
  using output_type = void;
  static constexpr auto cost = std::chrono::microseconds{200};
  std::array<char, 128> dir{};
  std::chrono::microseconds nap{0};
  void operator()(const int& x) const {
    if (nap.count() != 0) std::this_thread::sleep_for(nap);
    const std::string path = std::string(dir.data()) + "/" + std::to_string(x);
    if (FILE* f = std::fopen(path.c_str(), "w")) std::fclose(f);
  }
};

/// A fresh directory for `touch`, removed with its files at the end of its scope.
class scratch_dir {
 public:
  scratch_dir() {
    char tmpl[] = "/tmp/breakeven-asio-XXXXXX";
    if (mkdtemp(tmpl) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = tmpl;
  }
  scratch_dir(const scratch_dir&) = delete;
  scratch_dir& operator=(const scratch_dir&) = delete;
  ~scratch_dir() {
    for (const auto& name : names()) std::remove((path_ + "/" + name).c_str());
    rmdir(path_.c_str());
  }
  /// A touch kernel writing here.
  touch kernel(std::chrono::microseconds nap = std::chrono::microseconds{0}) const {
    touch t;
    path_.copy(t.dir.data(), t.dir.size() - 1);
    t.nap = nap;
    return t;
  }
  /// The files written so far.
  std::vector<std::string> names() const {
    std::vector<std::string> out;
    if (DIR* d = opendir(path_.c_str())) {
      while (dirent* e = readdir(d))
        if (e->d_name[0] != '.') out.emplace_back(e->d_name);
      closedir(d);
    }
    return out;
  }
  std::size_t count() const { return names().size(); }

 private:
  std::string path_;
};

/// Adds each item to a shared sum (effects only, in this process).
struct add_to {
  using input_type = int;
  using output_type = void;
  static constexpr auto cost = std::chrono::microseconds{200};
  std::atomic<long long>* sum;
  void operator()(const int& x) const { sum->fetch_add(x, std::memory_order_relaxed); }
};

inline std::vector<int> iota_vector(int n) {
  std::vector<int> v(static_cast<std::size_t>(n));
  std::iota(v.begin(), v.end(), 0);
  return v;
}

/// The threads of this process now (/proc/self/task).
inline int thread_count() {
  int n = 0;
  if (DIR* d = opendir("/proc/self/task")) {
    while (dirent* e = readdir(d))
      if (e->d_name[0] != '.') ++n;
    closedir(d);
  }
  return n;
}

/// Polls `pred` every millisecond for up to `limit`; its last value.
template <class Pred>
bool eventually(Pred pred, std::chrono::milliseconds limit = std::chrono::seconds(10)) {
  const auto end = std::chrono::steady_clock::now() + limit;
  while (!pred()) {
    if (std::chrono::steady_clock::now() > end) return pred();
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return true;
}

}  // namespace test
