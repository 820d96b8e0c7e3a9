// breakeven/ipc/impl/exceptions.ipp - the standard exception types by name, the definitions of exceptions.hpp.
// Included by its header, inline; with BREAKEVEN_SEPARATE_COMPILATION, compiled once
// through <breakeven/impl/src.hpp>.
#pragma once

#include <breakeven/ipc/exceptions.hpp>

namespace breakeven::ipc::detail {

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

}  // namespace breakeven::ipc::detail

namespace breakeven::ipc {

BREAKEVEN_DECL error_record capture_current_exception() {
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

BREAKEVEN_DECL std::exception_ptr rebuild_exception(const error_record& r) {
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
