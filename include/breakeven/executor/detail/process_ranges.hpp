// breakeven/executor/detail/process_ranges.hpp - the lazy result ranges of process_pool:
// imap (ordered), imap_unordered (completion order) and as_completed over futures.
#pragma once

#include <breakeven/executor/process_pool.hpp>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <exception>
#include <future>
#include <iterator>
#include <memory>
#include <mutex>
#include <optional>
#include <ranges>
#include <utility>
#include <vector>

namespace breakeven {
namespace detail {

// Reads up to `chunk` items from an input iterator into `buf`.
template <class It, class S, class T>
std::size_t gather(It& it, const S& end, std::size_t chunk, std::vector<T>& buf) {
  buf.clear();
  while (buf.size() < chunk && it != end) {
    buf.push_back(static_cast<T>(*it));
    ++it;
  }
  return buf.size();
}

// An input range kept by reference (an lvalue) or by value (an rvalue). (Not
// std::views::all: the standard views do not compile with clang 14 and libstdc++ 12.)
template <class R>
class held_range {
 public:
  using range_type = std::remove_cvref_t<R>;
  explicit held_range(R&& r) : r_(store(std::forward<R>(r))) {}
  auto& get() {
    if constexpr (std::is_lvalue_reference_v<R>) return *r_;
    else return r_;
  }

 private:
  using ref_t = std::remove_reference_t<R>;
  using stored = std::conditional_t<std::is_lvalue_reference_v<R>, ref_t*, range_type>;
  static stored store(R&& r) {
    if constexpr (std::is_lvalue_reference_v<R>) return &r;
    else return std::move(r);
  }
  stored r_;
};

// The state behind a lazy result range: the input still to read, the kernel, the engine.
template <class Op, class R>
struct lazy_source {
  using in_t = input_t<Op>;
  std::shared_ptr<process_engine> engine;
  Op op;
  held_range<R> input;
  decltype(std::ranges::begin(std::declval<held_range<R>&>().get())) it{};
  std::size_t chunk, window, next_index = 0;
  bool started = false;
  std::vector<in_t> buf;

  lazy_source(std::shared_ptr<process_engine> e, Op o, R&& r, std::size_t c, std::size_t w)
      : engine(std::move(e)), op(std::move(o)), input(std::forward<R>(r)), chunk(std::max<std::size_t>(1, c)), window(w) {}

  void start() {
    if (!started) {
      it = std::ranges::begin(input.get());
      started = true;
    }
  }
  // Submits the next chunk through `make_task(offset, count)`; false at the end of input.
  template <class MakeTask>
  bool submit_next(MakeTask&& make_task) {
    const std::size_t k = gather(it, std::ranges::end(input.get()), chunk, buf);
    if (k == 0) return false;
    engine->submit(make_chunk_request(make_task(next_index, k), op, buf.begin(), k));
    next_index += k;
    return true;
  }
};

template <class Out>
struct ordered_slot {
  std::size_t count = 0;
  bool ready = false;
  std::vector<Out> values;
  std::exception_ptr error;
};

template <class Out>
struct result_board {
  std::mutex m;
  std::condition_variable cv;
};

// A chunk task that decodes its `count` values into a vector before publishing them.
template <class Out>
class buffered_task : public process_task {
 public:
  explicit buffered_task(std::size_t count) : count_(count) {}
  void complete(ipc::reader& r) override {
    if (r.get<std::uint32_t>() != count_) r.fail("a chunk answered with another count of values", 0);
    values_.reserve(count_);
    for (std::size_t i = 0; i < count_; ++i) values_.push_back(ipc::decode<Out>(r));
  }

 protected:
  std::size_t count_;
  std::vector<Out> values_;
};

template <class Out>
class ordered_task final : public buffered_task<Out> {
 public:
  ordered_task(std::shared_ptr<result_board<Out>> b, std::shared_ptr<ordered_slot<Out>> s)
      : buffered_task<Out>(s->count), board_(std::move(b)), slot_(std::move(s)) {}
  void publish() noexcept override {
    std::lock_guard lock(board_->m);
    slot_->values = std::move(this->values_);
    slot_->ready = true;
    board_->cv.notify_all();
  }
  void fail(std::exception_ptr e) noexcept override {
    std::lock_guard lock(board_->m);
    slot_->error = e;
    slot_->ready = true;
    board_->cv.notify_all();
  }

 private:
  std::shared_ptr<result_board<Out>> board_;
  std::shared_ptr<ordered_slot<Out>> slot_;
};

template <class Op, class R>
struct ordered_state : lazy_source<Op, R> {
  using out_t = output_t<Op>;
  using lazy_source<Op, R>::lazy_source;
  std::shared_ptr<result_board<out_t>> board = std::make_shared<result_board<out_t>>();
  std::deque<std::shared_ptr<ordered_slot<out_t>>> slots;
  std::size_t pos = 0;

  void fill() {
    this->start();
    while (slots.size() < this->window) {
      auto slot = std::make_shared<ordered_slot<out_t>>();
      const bool more = this->submit_next([&](std::size_t, std::size_t k) {
        slot->count = k;
        return std::make_unique<ordered_task<out_t>>(board, slot);
      });
      if (!more) break;
      slots.push_back(std::move(slot));
    }
  }
  bool at_end() {
    if (slots.empty()) fill();
    return slots.empty();
  }
  out_t& current() {
    ordered_slot<out_t>& s = *slots.front();
    {
      std::unique_lock lock(board->m);
      board->cv.wait(lock, [&] { return s.ready; });
    }
    if (s.error) std::rethrow_exception(s.error);
    return s.values[pos];
  }
  void advance() {
    if (++pos >= slots.front()->count) {
      slots.pop_front();  // its task keeps the slot alive if it is still running
      pos = 0;
      fill();
    }
  }
};

template <class Out>
struct unordered_board : result_board<Out> {
  std::deque<completed<Out>> ready;
};

template <class Out>
class unordered_task final : public buffered_task<Out> {
 public:
  unordered_task(std::shared_ptr<unordered_board<Out>> b, std::size_t offset, std::size_t count)
      : buffered_task<Out>(count), board_(std::move(b)), offset_(offset) {}
  void publish() noexcept override {
    std::lock_guard lock(board_->m);
    for (std::size_t i = 0; i < this->count_; ++i) board_->ready.emplace_back(offset_ + i, std::move(this->values_[i]));
    board_->cv.notify_all();
  }
  void fail(std::exception_ptr e) noexcept override {
    std::lock_guard lock(board_->m);
    for (std::size_t i = 0; i < this->count_; ++i) board_->ready.emplace_back(offset_ + i, e);
    board_->cv.notify_all();
  }

 private:
  std::shared_ptr<unordered_board<Out>> board_;
  std::size_t offset_;
};

template <class Op, class R>
struct unordered_state : lazy_source<Op, R> {
  using out_t = output_t<Op>;
  using lazy_source<Op, R>::lazy_source;
  std::shared_ptr<unordered_board<out_t>> board = std::make_shared<unordered_board<out_t>>();
  std::size_t consumed = 0;
  std::optional<completed<out_t>> head;

  void fill() {
    this->start();
    while (this->next_index - consumed < this->window * this->chunk &&
           this->submit_next([&](std::size_t at, std::size_t k) { return std::make_unique<unordered_task<out_t>>(board, at, k); })) {
    }
  }
  bool at_end() {
    if (head) return false;
    fill();
    return consumed == this->next_index;
  }
  completed<out_t>& current() {
    if (!head) {
      std::unique_lock lock(board->m);
      board->cv.wait(lock, [&] { return !board->ready.empty(); });
      head.emplace(std::move(board->ready.front()));
      board->ready.pop_front();
    }
    return *head;
  }
  void advance() {
    if (!head) current();
    head.reset();
    ++consumed;
    fill();
  }
};

// An input range over a heap-held state (so the range may move after begin()). It is not
// a view (it owns its results and cannot be copied): adaptors take it by reference, or by
// value when it is an rvalue.
template <class State, class Ref>
class state_range {
 public:
  class iterator {
   public:
    using value_type = std::remove_cvref_t<Ref>;
    using difference_type = std::ptrdiff_t;
    iterator() = default;
    explicit iterator(State* s) : s_(s) {}
    Ref operator*() const { return s_->current(); }
    iterator& operator++() {
      s_->advance();
      return *this;
    }
    void operator++(int) { ++*this; }
    friend bool operator==(const iterator& i, std::default_sentinel_t) { return i.s_->at_end(); }

   private:
    State* s_ = nullptr;
  };

  explicit state_range(std::unique_ptr<State> s) : s_(std::move(s)) {}
  iterator begin() {
    s_->fill();
    return iterator(s_.get());
  }
  std::default_sentinel_t end() const noexcept { return {}; }

 private:
  std::unique_ptr<State> s_;
};

}  // namespace detail

/// The lazy ordered results of process_pool::imap over an input of type `R` (as passed:
/// an lvalue reference is kept as such, an rvalue is moved in).
template <class Op, class R>
using imap_range = detail::state_range<detail::ordered_state<Op, R>, output_t<Op>&>;

/// The lazy completion-order results of process_pool::imap_unordered.
template <class Op, class R>
using imap_unordered_range = detail::state_range<detail::unordered_state<Op, R>, completed<output_t<Op>>&>;

template <class Op, std::ranges::input_range In>
auto process_pool::imap(const Op& op, In&& in, std::size_t chunk) {
  static_assert(detail::check_process_kernel<Op>());
  static_assert(!std::is_void_v<output_t<Op>>, "breakeven: imap needs an output type");
  if (chunk == 0) {
    if constexpr (std::ranges::sized_range<In>) chunk = default_chunk<Op>(static_cast<std::size_t>(std::ranges::size(in)));
    else chunk = 1;
  }
  auto s = std::make_unique<detail::ordered_state<Op, In>>(engine_, op, std::forward<In>(in), chunk,
                                                           2 * std::size_t{concurrency()});
  return imap_range<Op, In>(std::move(s));
}

template <class Op, std::ranges::input_range In>
auto process_pool::imap_unordered(const Op& op, In&& in, std::size_t chunk) {
  static_assert(detail::check_process_kernel<Op>());
  static_assert(!std::is_void_v<output_t<Op>>, "breakeven: imap_unordered needs an output type");
  auto s = std::make_unique<detail::unordered_state<Op, In>>(engine_, op, std::forward<In>(in), chunk == 0 ? 1 : chunk,
                                                             2 * std::size_t{concurrency()});
  return imap_unordered_range<Op, In>(std::move(s));
}

namespace detail {
template <class T>
struct completion_state {
  std::shared_ptr<process_engine> engine;
  std::vector<std::future<T>>* futures;
  std::vector<std::size_t> remaining;
  std::optional<std::size_t> head;

  void fill() {}
  bool at_end() {
    return !head && remaining.empty();
  }
  std::size_t& current() {
    while (!head) {
      const std::uint64_t seen = engine->completion_epoch();
      for (auto it = remaining.begin(); it != remaining.end(); ++it) {
        std::future<T>& f = (*futures)[*it];
        if (!f.valid() || f.wait_for(std::chrono::seconds(0)) == std::future_status::ready) {
          head = *it;
          remaining.erase(it);
          break;
        }
      }
      // Futures of this pool move the epoch; others are looked at again within 10 ms.
      if (!head) engine->wait_completion(seen, std::chrono::milliseconds(10));
    }
    return *head;
  }
  void advance() {
    if (!head) current();
    head.reset();
  }
};
}  // namespace detail

template <class T>
auto process_pool::as_completed(std::vector<std::future<T>>& futures) {
  auto s = std::make_unique<detail::completion_state<T>>();
  s->engine = engine_;
  s->futures = &futures;
  for (std::size_t i = 0; i < futures.size(); ++i) s->remaining.push_back(i);
  return detail::state_range<detail::completion_state<T>, std::size_t&>(std::move(s));
}

}  // namespace breakeven
