// The asio tests run operations on process pools too, so they use the process tests' main:
// process_runtime::init first thing, and a listener that fails the run if any test case
// leaves a child process or an open descriptor behind.
#include "../process/main.cpp"
