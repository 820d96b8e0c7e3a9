// breakeven/ipc/exceptions.hpp - an exception thrown in a worker, carried to the pool and
// raised again there with its type: the standard exception types, user types registered
// with BREAKEVEN_REGISTER_EXCEPTION, and otherwise a remote_error naming the type.
#pragma once

#include <breakeven/detail/decl.hpp>
#include <breakeven/ipc/codec.hpp>
#include <breakeven/ipc/errors.hpp>
#include <breakeven/ipc/registry.hpp>

#include <any>
#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <exception>
#include <functional>
#include <memory>
#include <new>
#include <optional>
#include <stdexcept>
#include <string>
#include <system_error>
#include <typeinfo>
#include <variant>

#include <cxxabi.h>

namespace breakeven::ipc {

/// What crosses the boundary for one exception.
struct error_record {
  enum class origin : std::uint8_t { standard, registered, unknown };
  origin from = origin::unknown;
  std::string type;      ///< the name the pool looks it up by, or the demangled type name
  std::string what;      ///< its what()
  std::int64_t code = 0; ///< std::system_error: the error value
  std::uint8_t category = 0;  ///< std::system_error: 0 generic, 1 system
};

/// One registered user exception type.
struct exception_registration {
  const std::type_info* type;
  std::string_view name;
  std::exception_ptr (*make)(const std::string& what);
  const exception_registration* next = nullptr;

  exception_registration(const std::type_info* t, std::string_view n, std::exception_ptr (*m)(const std::string&)) noexcept
      : type(t), name(n), make(m) {
    const exception_registration* h = head().load(std::memory_order_relaxed);
    do next = h;
    while (!head().compare_exchange_weak(h, this, std::memory_order_release, std::memory_order_relaxed));
  }
  static std::atomic<const exception_registration*>& head() noexcept {
    static std::atomic<const exception_registration*> h{nullptr};
    return h;
  }
};

/// Registers exception type `E` (constructible from a std::string what) by its type name.
template <class E>
struct exception_entry {
  static std::exception_ptr make(const std::string& what) { return std::make_exception_ptr(E(what)); }
  static inline const exception_registration reg{&typeid(E), type_name_of<E>(), &make};
};

/// Inside a catch block: the record of the exception being handled.
BREAKEVEN_DECL error_record capture_current_exception();

/// The exception a record stands for, of the same type where this process knows it.
BREAKEVEN_DECL std::exception_ptr rebuild_exception(const error_record& r);

}  // namespace breakeven::ipc

namespace breakeven {
template <>
struct transport<ipc::error_record> {
  static void encode(ipc::writer& w, const ipc::error_record& r) {
    w.put(static_cast<std::uint8_t>(r.from));
    ipc::encode(w, r.type);
    ipc::encode(w, r.what);
    w.put(r.code);
    w.put(r.category);
  }
  static ipc::error_record decode(ipc::reader& rd) {
    ipc::error_record r;
    const auto from = rd.get<std::uint8_t>();
    if (from > 2) rd.fail("bad exception origin", 1);
    r.from = static_cast<ipc::error_record::origin>(from);
    r.type = ipc::decode<std::string>(rd);
    r.what = ipc::decode<std::string>(rd);
    r.code = rd.get<std::int64_t>();
    r.category = rd.get<std::uint8_t>();
    return r;
  }
};
}  // namespace breakeven

#define BREAKEVEN_DETAIL_CAT2(a, b) a##b
#define BREAKEVEN_DETAIL_CAT(a, b) BREAKEVEN_DETAIL_CAT2(a, b)

/// Makes exception type `T` (constructible from a std::string) travel from workers with its
/// type. Use at namespace scope, once per type.
#define BREAKEVEN_REGISTER_EXCEPTION(T)                                                       \
  [[maybe_unused]] static const auto& BREAKEVEN_DETAIL_CAT(breakeven_exception_registration_, \
                                                           __COUNTER__) = ::breakeven::ipc::exception_entry<T>::reg

#if !defined(BREAKEVEN_SEPARATE_COMPILATION)
#include <breakeven/ipc/impl/exceptions.ipp>
#endif
