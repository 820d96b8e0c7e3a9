// breakeven/ipc/entry.hpp - what a child process runs: kernels (a chunk of items per task)
// and entry functions (a process's body, a worker's initializer), each registered by name,
// and the start message that tells a new child which entry to run with which arguments.
#pragma once

#include <breakeven/ipc/codec.hpp>
#include <breakeven/ipc/exceptions.hpp>
#include <breakeven/ipc/registry.hpp>
#include <breakeven/operation.hpp>

#include <concepts>
#include <cstdint>
#include <cstdio>
#include <span>
#include <string>
#include <tuple>
#include <type_traits>
#include <vector>

#include <unistd.h>

namespace breakeven::ipc {

/// How a kernel object reaches the worker: its bytes when it is transportable (so a kernel
/// may carry parameters), otherwise it is default-constructed there.
template <class Op>
inline constexpr bool kernel_object_travels = transportable<Op>;

/// A kernel whose parameters are plain bytes (a trivially copyable class with members) but
/// not transportable: default-constructing it in the worker would drop them silently.
template <class Op>
inline constexpr bool kernel_parameters_stranded =
    !kernel_object_travels<Op> && std::is_trivially_copyable_v<Op> && !std::is_empty_v<Op>;

/// True when the worker can obtain a kernel object of type `Op`: it travels, or it is
/// default-constructed there (and has no stranded parameters).
template <class Op>
inline constexpr bool kernel_object_obtainable =
    kernel_object_travels<Op> || (std::default_initializable<Op> && !kernel_parameters_stranded<Op>);

/// The worker side of kernel `Op`: decode the kernel and the chunk's items, run, encode outputs.
template <class Op>
struct kernel_entry {
  using in_t = input_t<Op>;
  using out_t = output_t<Op>;

  static Op read_kernel(reader& in) {
    if constexpr (kernel_object_travels<Op>) return decode<Op>(in);
    else return Op{};
  }

  static void run(reader& in, writer& out, std::uint32_t& item) {
    const Op op = read_kernel(in);
    const auto n = in.get<std::uint32_t>();
    out.put(n);
    if constexpr (!std::is_void_v<out_t> && detail::bytes_are_encoding<out_t>) out.reserve(std::size_t{n} * sizeof(out_t));
    for (item = 0; item < n; ++item) {
      const in_t x = decode<in_t>(in);
      if constexpr (std::is_void_v<out_t>) {
        op(x);
      } else {
        const out_t y = op(x);
        encode(out, y);
      }
    }
    if (in.remaining() != 0) in.fail("trailing bytes after the chunk's items", 0);
  }

  static inline const registration reg{kernel_traits<Op>::name, &run};
};

/// Writes the request of one chunk: the kernel's name and address, its object, the items.
template <class Op, class It>
void encode_chunk(writer& w, const Op& op, It first, std::uint32_t n) {
  w.put(kernel_entry<Op>::reg.hash);
  w.put(kernel_entry<Op>::reg.address());
  if constexpr (kernel_object_travels<Op>) encode(w, op);
  w.put(n);
  using In = input_t<Op>;
  if constexpr (std::contiguous_iterator<It> && detail::bytes_are_encoding<In> &&
                std::same_as<std::remove_cvref_t<std::iter_reference_t<It>>, In>) {
    w.write(std::to_address(first), std::size_t{n} * sizeof(In));
  } else {
    for (std::uint32_t i = 0; i < n; ++i, ++first) encode(w, static_cast<const In&>(*first));
  }
}

/// The child side of an entry function `Fn` (a function pointer): decode its arguments,
/// call it, and return its int result (or 0) as the exit status.
template <auto Fn>
struct function_entry {
  template <class R, class... Args>
  static int call(R (*f)(Args...), reader& args) {
    std::tuple<std::decay_t<Args>...> values{decode<std::decay_t<Args>>(args)...};  // braces: in order
    if constexpr (std::is_void_v<R>) {
      std::apply(f, std::move(values));
      return 0;
    } else {
      return static_cast<int>(std::apply(f, std::move(values)));
    }
  }
  static int run(reader& args) { return call(Fn, args); }
  static inline const registration reg{value_name_of<Fn>(), &run};
};

/// True when `Fn` is a function pointer whose parameters are transportable and whose
/// result is void or converts to int.
template <auto Fn>
inline constexpr bool entry_function = [] {
  using F = decltype(Fn);
  if constexpr (!std::is_pointer_v<F> || !std::is_function_v<std::remove_pointer_t<F>>) {
    return false;
  } else {
    return []<class R, class... Args>(R (*)(Args...)) {
      return (std::is_void_v<R> || std::is_convertible_v<R, int>) && (transportable<std::decay_t<Args>> && ...);
    }(Fn);
  }
}();

/// The message that starts a child: which entry, and its arguments (descriptors beside it).
struct start_message {
  std::vector<std::byte> bytes;
  std::vector<int> fds;  ///< borrowed: the caller keeps them open until the message is sent

  /// A start message for the registered entry `e`; `write_args` writes its arguments.
  template <class F>
  static start_message for_entry(const registration& e, F&& write_args) {
    start_message m;
    writer w(m.bytes, &m.fds);
    w.put(e.hash);
    w.put(e.address());
    write_args(w);
    return m;
  }

  /// A start message for entry function `Fn` with `args`.
  template <auto Fn, class... Args>
  static start_message make(const Args&... args) {
    static_assert(entry_function<Fn>, "breakeven: a process entry must be a function pointer with transportable parameters");
    start_message m;
    writer w(m.bytes, &m.fds);
    w.put(function_entry<Fn>::reg.hash);
    w.put(function_entry<Fn>::reg.address());
    [&]<class R, class... Ps>(R (*)(Ps...)) {
      static_assert(sizeof...(Ps) == sizeof...(Args), "breakeven: wrong number of arguments for the process entry");
      (encode(w, static_cast<const std::decay_t<Ps>&>(args)), ...);
    }(Fn);
    return m;
  }
};

/// In a new child: runs the entry a start message names and ends the process with its
/// status (flushing stdio, running no atexit handlers of the parent's program).
[[noreturn]] inline void run_child(std::span<const std::byte> message, std::span<const int> fds) noexcept {
  int status = 127;
  try {
    reader r(message, fds);
    const auto hash = r.get<std::uint64_t>();
    const auto address = r.get<std::uint64_t>();
    std::string why;
    const registration* e = registration::find(hash, registration::kind::entry, address, why);
    if (e == nullptr) {
      std::fprintf(stderr, "breakeven: child process cannot start: %s\n", why.c_str());
    } else {
      status = e->entry(r);
    }
  } catch (...) {
    const error_record rec = capture_current_exception();
    std::fprintf(stderr, "breakeven: child process entry threw %s: %s\n", rec.type.c_str(), rec.what.c_str());
    status = 1;
  }
  std::fflush(nullptr);
  ::_exit(status);
}

}  // namespace breakeven::ipc

#define BREAKEVEN_DETAIL_KERNEL_CAT2(a, b) a##b
#define BREAKEVEN_DETAIL_KERNEL_CAT(a, b) BREAKEVEN_DETAIL_KERNEL_CAT2(a, b)

/// Registers kernel type `T` by its stable name, for the spawn start method. Kernels the
/// program submits to a process executor register themselves; this makes it explicit (a
/// kernel only a spawned child's own code refers to, a registration kept beside the type).
#define BREAKEVEN_REGISTER_KERNEL(T)                                                    \
  [[maybe_unused]] static const ::breakeven::ipc::registration& BREAKEVEN_DETAIL_KERNEL_CAT( \
      breakeven_kernel_registration_, __COUNTER__) = ::breakeven::ipc::kernel_entry<T>::reg
