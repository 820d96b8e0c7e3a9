// breakeven/concepts.hpp - the light root: everything a kernel author needs to annotate a
// kernel (traits, the operation and executor concepts, transportability, row views, kernels
// made of lambdas).
// Standard library only.
#pragma once

#include <breakeven/executor.hpp>
#include <breakeven/kernel.hpp>
#include <breakeven/operation.hpp>
#include <breakeven/type_name.hpp>
#include <breakeven/row_view.hpp>
#include <breakeven/sink.hpp>
#include <breakeven/traits.hpp>
#include <breakeven/transport.hpp>
