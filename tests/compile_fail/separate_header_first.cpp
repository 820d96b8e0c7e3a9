// build error: impl/src.hpp: a breakeven header was included before BREAKEVEN_SEPARATE_COMPILATION
// A header included header-only before the macro was defined would give this translation
// unit both the inline and the out-of-line definitions: refused before either is seen.
#ifndef BREAKEVEN_TWIN
#include <breakeven/config.hpp>
#endif
#define BREAKEVEN_SEPARATE_COMPILATION
#include <breakeven/impl/src.hpp>
