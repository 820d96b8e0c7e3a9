// breakeven/asio/cancellation.hpp - per-operation cancellation for breakeven's asynchronous
// operations: Asio's own cancellation slots where Boost has them (1.77 and later), and where
// it does not (Boost 1.74-1.76), the same names and the same protocol supplied here.
//
// Either way a program writes
//
//   breakeven::cancellation_signal sig;
//   breakeven::async_map(op, items, breakeven::bind_cancellation_slot(sig.slot(), token));
//   ...
//   sig.emit(breakeven::cancellation_type::terminal);
//
// With Boost >= 1.77 these names *are* Asio's (using-declarations), so a signal, a slot bound
// to a coroutine's cancellation state, or any Asio cancellation source reaches the operation.
// With Boost 1.74 they are this header's classes, with Asio's interface and rules: a signal
// outlives the operations bound to it, and emit() is called where the completion handler
// runs (its strand or its single-threaded io_context), never concurrently with completion.
#pragma once

#include <breakeven/asio/config.hpp>

#if BREAKEVEN_ASIO_HAS_CANCELLATION_SLOT

#include <boost/asio/associated_cancellation_slot.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/cancellation_type.hpp>

namespace breakeven {
using boost::asio::associated_cancellation_slot;
using boost::asio::bind_cancellation_slot;
using boost::asio::cancellation_signal;
using boost::asio::cancellation_slot;
using boost::asio::cancellation_slot_binder;
using boost::asio::cancellation_type;
using boost::asio::get_associated_cancellation_slot;
}  // namespace breakeven

#else

#include <boost/asio/associated_allocator.hpp>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>

#include <new>
#include <type_traits>
#include <utility>

namespace breakeven {

/// What a cancellation asks for (Asio's cancellation_type): `terminal` (the operation may
/// leave its objects in an unspecified state), `partial` (some effects may have happened),
/// `total` (no observable effect may have happened).
enum class cancellation_type : unsigned {
  none = 0,
  terminal = 1,
  partial = 2,
  total = 4,
  all = 0xffffffffu
};

constexpr cancellation_type operator&(cancellation_type a, cancellation_type b) noexcept {
  return static_cast<cancellation_type>(static_cast<unsigned>(a) & static_cast<unsigned>(b));
}
constexpr cancellation_type operator|(cancellation_type a, cancellation_type b) noexcept {
  return static_cast<cancellation_type>(static_cast<unsigned>(a) | static_cast<unsigned>(b));
}
constexpr bool operator!(cancellation_type a) noexcept { return a == cancellation_type::none; }

namespace detail {
struct cancellation_handler_base {
  virtual void call(cancellation_type) = 0;
  virtual ~cancellation_handler_base() = default;
};
template <class Handler>
struct cancellation_handler final : cancellation_handler_base {
  Handler handler;
  template <class... Args>
  explicit cancellation_handler(Args&&... args) : handler(std::forward<Args>(args)...) {}
  void call(cancellation_type t) override { handler(t); }
};
}  // namespace detail

/// Where an operation installs the handler that a cancellation_signal calls.
class cancellation_slot {
 public:
  /// A slot connected to no signal: installing a handler there does nothing.
  constexpr cancellation_slot() noexcept = default;

  /// Installs a handler constructed from `args`, replacing (and destroying) the one there.
  template <class Handler, class... Args>
  Handler& emplace(Args&&... args) {
    auto* h = new detail::cancellation_handler<Handler>(std::forward<Args>(args)...);
    clear();
    *handler_ = h;
    return h->handler;
  }

  /// Installs `handler`, replacing the one there.
  template <class Handler>
  std::decay_t<Handler>& assign(Handler&& handler) {
    return emplace<std::decay_t<Handler>>(std::forward<Handler>(handler));
  }

  /// Destroys the installed handler, if any.
  void clear() noexcept {
    if (handler_ != nullptr && *handler_ != nullptr) {
      delete *handler_;
      *handler_ = nullptr;
    }
  }

  /// True when the slot belongs to a signal.
  bool is_connected() const noexcept { return handler_ != nullptr; }
  /// True when a handler is installed.
  bool has_handler() const noexcept { return handler_ != nullptr && *handler_ != nullptr; }

  friend bool operator==(const cancellation_slot&, const cancellation_slot&) noexcept = default;

 private:
  friend class cancellation_signal;
  explicit cancellation_slot(detail::cancellation_handler_base** h) noexcept : handler_(h) {}
  detail::cancellation_handler_base** handler_ = nullptr;
};

/// The source of cancellations: emit() calls the handler installed in its slot, if any.
class cancellation_signal {
 public:
  cancellation_signal() = default;
  cancellation_signal(const cancellation_signal&) = delete;
  cancellation_signal& operator=(const cancellation_signal&) = delete;
  ~cancellation_signal() { delete handler_; }

  /// Calls the installed handler with `type`.
  void emit(cancellation_type type) {
    if (handler_ != nullptr) handler_->call(type);
  }

  /// The slot an operation installs its handler in (one operation at a time).
  cancellation_slot slot() noexcept { return cancellation_slot(&handler_); }

 private:
  detail::cancellation_handler_base* handler_ = nullptr;
};

/// A completion token or handler `T` carrying a cancellation slot (Asio's binder of that name).
template <class T, class CancellationSlot = cancellation_slot>
class cancellation_slot_binder {
 public:
  using target_type = T;
  using cancellation_slot_type = CancellationSlot;

  template <class U>
  cancellation_slot_binder(const cancellation_slot_type& s, U&& target)
      : slot_(s), target_(std::forward<U>(target)) {}

  target_type& get() noexcept { return target_; }
  const target_type& get() const noexcept { return target_; }
  cancellation_slot_type get_cancellation_slot() const noexcept { return slot_; }

  template <class... Args>
  auto operator()(Args&&... args) -> decltype(std::declval<T&>()(std::forward<Args>(args)...)) {
    return target_(std::forward<Args>(args)...);
  }

 private:
  cancellation_slot_type slot_;
  T target_;
};

/// Binds a cancellation slot to a completion token or handler.
template <class CancellationSlot, class T>
cancellation_slot_binder<std::decay_t<T>, CancellationSlot> bind_cancellation_slot(const CancellationSlot& s,
                                                                                    T&& target) {
  return cancellation_slot_binder<std::decay_t<T>, CancellationSlot>(s, std::forward<T>(target));
}

/// The cancellation slot associated with a handler: its `get_cancellation_slot()`, or `S`.
template <class T, class S = cancellation_slot>
struct associated_cancellation_slot {
  using type = S;
  static type get(const T&, const S& s = S()) noexcept { return s; }
};
template <class T, class S>
  requires requires(const T& t) { t.get_cancellation_slot(); }
struct associated_cancellation_slot<T, S> {
  using type = decltype(std::declval<const T&>().get_cancellation_slot());
  static type get(const T& t, const S& = S()) noexcept { return t.get_cancellation_slot(); }
};

/// The cancellation slot associated with `t` (an unconnected slot when it has none).
template <class T>
typename associated_cancellation_slot<T>::type get_associated_cancellation_slot(const T& t) noexcept {
  return associated_cancellation_slot<T>::get(t);
}

namespace detail {
// Runs an initiation with its handler wrapped in the binder's slot.
template <class Initiation, class CancellationSlot>
struct slot_initiation {
  Initiation initiation;
  CancellationSlot slot;
  template <class Handler, class... Args>
  void operator()(Handler&& handler, Args&&... args) && {
    std::move(initiation)(cancellation_slot_binder<std::decay_t<Handler>, CancellationSlot>(
                              slot, std::forward<Handler>(handler)),
                          std::forward<Args>(args)...);
  }
};
}  // namespace detail

}  // namespace breakeven

namespace boost::asio {

// The binder as a completion token: the inner token's result, its handler wrapped with the slot.
template <class T, class CancellationSlot, class Signature>
class async_result<breakeven::cancellation_slot_binder<T, CancellationSlot>, Signature> {
 public:
  using return_type = typename async_result<T, Signature>::return_type;

  template <class Initiation, class RawToken, class... Args>
  static return_type initiate(Initiation&& initiation, RawToken&& token, Args&&... args) {
    breakeven::detail::slot_initiation<std::decay_t<Initiation>, CancellationSlot> wrapped{
        std::forward<Initiation>(initiation), token.get_cancellation_slot()};
    return async_initiate<T, Signature>(std::move(wrapped), token.get(), std::forward<Args>(args)...);
  }
};

// The binder as a handler keeps the executor and allocator of the handler it wraps.
template <class T, class CancellationSlot, class Executor>
struct associated_executor<breakeven::cancellation_slot_binder<T, CancellationSlot>, Executor> {
  using type = typename associated_executor<T, Executor>::type;
  static type get(const breakeven::cancellation_slot_binder<T, CancellationSlot>& b,
                  const Executor& ex = Executor()) noexcept {
    return associated_executor<T, Executor>::get(b.get(), ex);
  }
};

template <class T, class CancellationSlot, class Allocator>
struct associated_allocator<breakeven::cancellation_slot_binder<T, CancellationSlot>, Allocator> {
  using type = typename associated_allocator<T, Allocator>::type;
  static type get(const breakeven::cancellation_slot_binder<T, CancellationSlot>& b,
                  const Allocator& a = Allocator()) noexcept {
    return associated_allocator<T, Allocator>::get(b.get(), a);
  }
};

}  // namespace boost::asio

#endif  // BREAKEVEN_ASIO_HAS_CANCELLATION_SLOT
