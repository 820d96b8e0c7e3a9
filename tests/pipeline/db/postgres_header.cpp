#include <breakeven/sinks/postgres.hpp>
