#include <breakeven/sinks/sqlite.hpp>
