// breakeven/breakeven.hpp - the umbrella header: everything the library offers.
#pragma once

#include <breakeven/concepts.hpp>

#include <breakeven/break_even_table.hpp>
#include <breakeven/decide.hpp>
#include <breakeven/plan.hpp>
#include <breakeven/profile.hpp>
#include <breakeven/select.hpp>

#include <breakeven/api.hpp>
#include <breakeven/config.hpp>
#include <breakeven/call.hpp>
#include <breakeven/stats.hpp>
#include <breakeven/executor/sequential.hpp>
#include <breakeven/executor/thread_pool.hpp>
#include <breakeven/executor/process_pool.hpp>
#include <breakeven/ipc/channel.hpp>
#include <breakeven/ipc/process.hpp>
