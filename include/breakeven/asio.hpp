// breakeven/asio.hpp - breakeven with Boost.Asio: asynchronous operations by completion
// token, per-operation cancellation, and the thread-pool executor over an Asio executor.
// Include it before any Asio header (breakeven/asio/config.hpp says why).
#pragma once

#include <breakeven/asio/config.hpp>

#include <breakeven/asio/async.hpp>
#include <breakeven/asio/cancellation.hpp>
#include <breakeven/asio/executor.hpp>
