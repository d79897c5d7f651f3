// Waits for SIGTERM or SIGINT without async-signal handlers: the signals are blocked in
// every thread and taken synchronously by WaitForShutdownSignal.
#pragma once

namespace harvis::app {

// Blocks SIGTERM, SIGINT and SIGPIPE in the calling thread; call before starting any
// thread so that every thread inherits the mask.
void BlockShutdownSignals();

// Blocks until SIGTERM or SIGINT arrives; returns the signal number.
int WaitForShutdownSignal();

}  // namespace harvis::app
