// The executor suite (tests/support/executor_suite.hpp) over the in-process executors.
#include "../support/executors.hpp"

#define BREAKEVEN_SUITE_EXECUTORS test::executors_under_test
#include "../support/executor_suite.hpp"
