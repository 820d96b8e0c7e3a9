// Separate compilation's one translation unit: the library's non-template definitions.
#include <breakeven/impl/src.hpp>
