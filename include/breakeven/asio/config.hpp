// breakeven/asio/config.hpp - which Boost.Asio features this build has, and the two fixes
// Boost 1.74 needs under C++20. Include it (or any breakeven/asio header) before Asio.
//
//   BREAKEVEN_ASIO_HAS_CANCELLATION_SLOT  Asio's per-operation cancellation (Boost >= 1.77);
//                                         without it breakeven supplies the same names.
//   BREAKEVEN_ASIO_HAS_DEFERRED           the asio::deferred completion token (Boost >= 1.80).
//   BREAKEVEN_ASIO_HAS_CO_AWAIT           asio::awaitable and asio::use_awaitable.
#pragma once

// Boost 1.74's asio/awaitable.hpp uses std::exchange without including <utility>.
#include <utility>

// Boost 1.74 recognises clang's coroutines only through <experimental/coroutine>, which
// libstdc++ does not ship; clang 14 with libstdc++'s <coroutine> works once Asio is told so.
// This must precede Asio's own configuration, hence "include breakeven first".
#if defined(__clang__) && !defined(BOOST_ASIO_HAS_CO_AWAIT) && !defined(BOOST_ASIO_DISABLE_CO_AWAIT) && \
    defined(__cpp_impl_coroutine) && __has_include(<coroutine>) && !__has_include(<experimental/coroutine>)
#define BOOST_ASIO_HAS_CO_AWAIT 1
#endif

#include <boost/asio/async_result.hpp>
#include <boost/asio/version.hpp>

#if __has_include(<boost/asio/cancellation_signal.hpp>)
#define BREAKEVEN_ASIO_HAS_CANCELLATION_SLOT 1
#else
#define BREAKEVEN_ASIO_HAS_CANCELLATION_SLOT 0
#endif

#if __has_include(<boost/asio/deferred.hpp>)
#define BREAKEVEN_ASIO_HAS_DEFERRED 1
#else
#define BREAKEVEN_ASIO_HAS_DEFERRED 0
#endif

#if defined(BOOST_ASIO_HAS_CO_AWAIT)
#define BREAKEVEN_ASIO_HAS_CO_AWAIT 1
#else
#define BREAKEVEN_ASIO_HAS_CO_AWAIT 0
#endif
