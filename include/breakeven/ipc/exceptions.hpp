// breakeven/ipc/exceptions.hpp - an exception thrown in a worker, carried to the pool and
// raised again there with its type: the standard exception types, user types registered
// with BREAKEVEN_REGISTER_EXCEPTION, and otherwise a remote_error naming the type.
#pragma once

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

namespace detail {

struct standard_exception {
  const std::type_info* type;
  const char* name;
  std::exception_ptr (*make)(const std::string& what);
};

template <class E>
std::exception_ptr make_with_what(const std::string& what) {
  return std::make_exception_ptr(E(what));
}
template <class E>
std::exception_ptr make_default(const std::string&) {
  return std::make_exception_ptr(E());
}

// Exact types only: a subclass the pool does not know comes back as a remote_error that
// names it, rather than sliced to its base.
inline const standard_exception standard_exceptions[] = {
    {&typeid(std::logic_error), "std::logic_error", &make_with_what<std::logic_error>},
    {&typeid(std::invalid_argument), "std::invalid_argument", &make_with_what<std::invalid_argument>},
    {&typeid(std::domain_error), "std::domain_error", &make_with_what<std::domain_error>},
    {&typeid(std::length_error), "std::length_error", &make_with_what<std::length_error>},
    {&typeid(std::out_of_range), "std::out_of_range", &make_with_what<std::out_of_range>},
    {&typeid(std::runtime_error), "std::runtime_error", &make_with_what<std::runtime_error>},
    {&typeid(std::range_error), "std::range_error", &make_with_what<std::range_error>},
    {&typeid(std::overflow_error), "std::overflow_error", &make_with_what<std::overflow_error>},
    {&typeid(std::underflow_error), "std::underflow_error", &make_with_what<std::underflow_error>},
    {&typeid(std::bad_alloc), "std::bad_alloc", &make_default<std::bad_alloc>},
    {&typeid(std::bad_array_new_length), "std::bad_array_new_length", &make_default<std::bad_array_new_length>},
    {&typeid(std::bad_cast), "std::bad_cast", &make_default<std::bad_cast>},
    {&typeid(std::bad_typeid), "std::bad_typeid", &make_default<std::bad_typeid>},
    {&typeid(std::bad_exception), "std::bad_exception", &make_default<std::bad_exception>},
    {&typeid(std::bad_function_call), "std::bad_function_call", &make_default<std::bad_function_call>},
    {&typeid(std::bad_optional_access), "std::bad_optional_access", &make_default<std::bad_optional_access>},
    {&typeid(std::bad_variant_access), "std::bad_variant_access", &make_default<std::bad_variant_access>},
    {&typeid(std::bad_any_cast), "std::bad_any_cast", &make_default<std::bad_any_cast>},
    {&typeid(std::exception), "std::exception", &make_default<std::exception>},
    {&typeid(std::system_error), "std::system_error", nullptr},  // rebuilt with its code below
};

inline std::string demangle(const char* mangled) {
  int status = 0;
  std::unique_ptr<char, void (*)(void*)> p(abi::__cxa_demangle(mangled, nullptr, nullptr, &status), std::free);
  return status == 0 && p ? std::string(p.get()) : std::string(mangled);
}

}  // namespace detail

/// Inside a catch block: the record of the exception being handled.
inline error_record capture_current_exception() {
  error_record r;
  const std::type_info* ti = abi::__cxa_current_exception_type();
  bool rebuildable = true;
  try {
    throw;
  } catch (const std::system_error& e) {
    r.what = e.what();
    r.code = e.code().value();
    r.category = &e.code().category() == &std::system_category() ? 1 : 0;
    // A custom category cannot be rebuilt here: report the exception by name.
    rebuildable = &e.code().category() == &std::system_category() || &e.code().category() == &std::generic_category();
  } catch (const std::exception& e) {
    r.what = e.what();
  } catch (...) {
    r.what = "(an exception not derived from std::exception)";
  }
  if (ti == nullptr) {
    r.type = "unknown";
    return r;
  }
  for (const auto& s : detail::standard_exceptions) {
    if (!rebuildable) break;
    if (*s.type == *ti) {
      r.from = error_record::origin::standard;
      r.type = s.name;
      return r;
    }
  }
  for (auto* u = exception_registration::head().load(std::memory_order_acquire); u != nullptr; u = u->next) {
    if (*u->type == *ti) {
      r.from = error_record::origin::registered;
      r.type = u->name;
      return r;
    }
  }
  r.type = detail::demangle(ti->name());
  return r;
}

/// The exception a record stands for, of the same type where this process knows it.
inline std::exception_ptr rebuild_exception(const error_record& r) {
  if (r.from == error_record::origin::standard) {
    if (r.type == "std::system_error") {
      const std::error_code ec(static_cast<int>(r.code), r.category == 1 ? std::system_category() : std::generic_category());
      // system_error's what() is "<what_arg>: <message>"; keep the original text.
      const std::string suffix = ": " + ec.message();
      if (r.what == ec.message()) return std::make_exception_ptr(std::system_error(ec));
      if (r.what.size() >= suffix.size() && r.what.compare(r.what.size() - suffix.size(), suffix.size(), suffix) == 0)
        return std::make_exception_ptr(std::system_error(ec, r.what.substr(0, r.what.size() - suffix.size())));
      return std::make_exception_ptr(std::system_error(ec, r.what));
    }
    for (const auto& s : detail::standard_exceptions)
      if (s.make != nullptr && r.type == s.name) return s.make(r.what);
  } else if (r.from == error_record::origin::registered) {
    for (auto* u = exception_registration::head().load(std::memory_order_acquire); u != nullptr; u = u->next)
      if (u->name == r.type) return u->make(r.what);
  }
  return std::make_exception_ptr(remote_error(r.type, r.what));
}

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
