// breakeven/ipc/registry.hpp - the stable names by which a child process finds the code
// it must run: kernels (by type) and process entry functions (by function).
//
// A child forked from the program (fork, fork server) is an image of the same binary, but
// a spawned child re-executes it and its addresses differ: a task therefore names its
// kernel by a hash of the kernel's type name, which is the same in every run of one binary.
// Registration happens during static initialization, when a kernel type is first used
// with a process executor anywhere in the program (or explicitly with
// BREAKEVEN_REGISTER_KERNEL): the registry is complete before main() and before the fork
// server starts. It is an intrusive list of static nodes: nothing allocates, and a forked
// child reads it without locks.
#pragma once

#include <breakeven/operation.hpp>

#include <atomic>
#include <cstdint>
#include <string>
#include <string_view>

namespace breakeven::ipc {

class reader;
class writer;

/// 64-bit FNV-1a of a name.
constexpr std::uint64_t name_hash(std::string_view s) noexcept {
  std::uint64_t h = 0xcbf29ce484222325ull;
  for (char c : s) {
    h ^= static_cast<unsigned char>(c);
    h *= 0x100000001b3ull;
  }
  return h;
}

/// The compiler's name of type `T` (the same in every run of one binary).
template <class T>
consteval std::string_view type_name_of() {
  return breakeven::detail::type_name<T>();
}

/// The compiler's spelling of the constant `V` (for a function: its qualified name).
template <auto V>
consteval std::string_view value_name_of() {
  return breakeven::detail::value_name<V>();
}

/// Runs one chunk of a kernel in a worker: reads the kernel object and items, writes the
/// outputs; `item` tells which item was running when an exception left.
using kernel_fn = void (*)(reader& in, writer& out, std::uint32_t& item);
/// Runs a process entry function with its decoded arguments; returns the exit status.
using entry_fn = int (*)(reader& args);

/// One registered name.
struct registration {
  enum class kind : std::uint8_t { kernel, entry };

  registration(std::string_view n, kernel_fn f) noexcept : name(n), hash(name_hash(n)), what(kind::kernel), kernel(f) { push(); }
  registration(std::string_view n, entry_fn f) noexcept : name(n), hash(name_hash(n)), what(kind::entry), entry(f) { push(); }
  registration(const registration&) = delete;
  registration& operator=(const registration&) = delete;

  std::string_view name;
  std::uint64_t hash;
  kind what;
  kernel_fn kernel = nullptr;
  entry_fn entry = nullptr;
  const registration* next = nullptr;

  /// The address identifying the code in this image (for same-image disambiguation).
  std::uintptr_t address() const noexcept {
    return what == kind::kernel ? reinterpret_cast<std::uintptr_t>(kernel) : reinterpret_cast<std::uintptr_t>(entry);
  }

 private:
  static std::atomic<const registration*>& head() noexcept {
    static std::atomic<const registration*> h{nullptr};
    return h;
  }
  void push() noexcept {
    const registration* h = head().load(std::memory_order_relaxed);
    do next = h;
    while (!head().compare_exchange_weak(h, this, std::memory_order_release, std::memory_order_relaxed));
  }

 public:
  /// The registration of `hash` of kind `k`. `address` (the code's address in the sender,
  /// or 0) settles a name shared by two registrations when the child is an image of the
  /// sender. Returns nullptr and explains in `why` when there is none or it is ambiguous.
  static const registration* find(std::uint64_t hash, kind k, std::uintptr_t address, std::string& why) {
    const registration* found = nullptr;
    bool ambiguous = false;
    for (const registration* r = head().load(std::memory_order_acquire); r != nullptr; r = r->next) {
      if (r->hash != hash || r->what != k) continue;
      if (address != 0 && r->address() == address) return r;
      if (found != nullptr && found->address() != r->address()) ambiguous = true;
      found = r;
    }
    if (found == nullptr) {
      why = k == kind::kernel ? "no kernel with this name is registered in the worker's program"
                              : "no process entry with this name is registered in the child's program";
      return nullptr;
    }
    if (ambiguous) {
      why = "two registrations share the name '" + std::string(found->name) + "' (give the kernel a distinct type)";
      return nullptr;
    }
    return found;
  }
};

}  // namespace breakeven::ipc
