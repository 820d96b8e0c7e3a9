// breakeven/detail/decl.hpp - BREAKEVEN_DECL, the linkage of the library's non-template
// functions: inline in the default header-only build; with BREAKEVEN_SEPARATE_COMPILATION
// defined in every translation unit, ordinary functions compiled once, in the one that
// includes <breakeven/impl/src.hpp>.
#pragma once

#if defined(BREAKEVEN_SEPARATE_COMPILATION)
#define BREAKEVEN_DECL
#else
#define BREAKEVEN_DECL inline
#define BREAKEVEN_DETAIL_HEADER_ONLY  // for impl/src.hpp: the mode this translation unit began in
#endif
