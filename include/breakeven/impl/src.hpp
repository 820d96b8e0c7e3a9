// breakeven/impl/src.hpp - the library's non-template definitions, for separate
// compilation: with BREAKEVEN_SEPARATE_COMPILATION defined in every translation unit of
// the program, include this header in exactly one of them (a .cpp of its own is best).
//
//   // breakeven.cpp
//   #include <breakeven/impl/src.hpp>
//
// In the default header-only build every header carries its definitions inline, and
// this header is not used.
#pragma once

#if !defined(BREAKEVEN_SEPARATE_COMPILATION)
#error "breakeven/impl/src.hpp is for separate compilation: define BREAKEVEN_SEPARATE_COMPILATION in every translation unit (or do not include this header)"
#else
#include <breakeven/detail/decl.hpp>
#if defined(BREAKEVEN_DETAIL_HEADER_ONLY)
#error "breakeven/impl/src.hpp: a breakeven header was included before BREAKEVEN_SEPARATE_COMPILATION was defined; define it on the command line"
#endif

#include <breakeven/detail/impl/json.ipp>
#include <breakeven/executor/detail/impl/process_engine.ipp>
#include <breakeven/executor/impl/shared_memory.ipp>
#include <breakeven/executor/impl/thread_pool.ipp>
#include <breakeven/impl/config.ipp>
#include <breakeven/impl/profile_io.ipp>
#include <breakeven/ipc/impl/exceptions.ipp>
#include <breakeven/ipc/impl/fork_server.ipp>
#include <breakeven/ipc/impl/posix.ipp>
#include <breakeven/ipc/impl/process.ipp>
#include <breakeven/ipc/impl/runtime.ipp>
#include <breakeven/ipc/impl/worker.ipp>
#include <breakeven/shm/impl/arena.ipp>
#include <breakeven/shm/impl/entry.ipp>
#include <breakeven/shm/impl/memory.ipp>
#endif
