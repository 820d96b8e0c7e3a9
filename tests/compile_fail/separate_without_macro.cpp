// build error: impl/src.hpp is for separate compilation: define BREAKEVEN_SEPARATE_COMPILATION
// The one translation unit of separate compilation, in a build that did not define the
// macro: refused, with the fix in the message (its twin defines it and compiles).
#ifdef BREAKEVEN_TWIN
#define BREAKEVEN_SEPARATE_COMPILATION
#endif
#include <breakeven/impl/src.hpp>
