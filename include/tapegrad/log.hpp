// tapegrad's own named spdlog logger, "tapegrad". Off unless TAPEGRAD_LOG names a level
// (trace, debug, info, warn, err, critical, off); the application's default logger is never used.
#pragma once

#include <memory>

namespace spdlog {
class logger;
}

namespace tapegrad {

// The "tapegrad" logger: taken from spdlog's registry if the application registered one under
// that name, else made once (stderr sink, level from TAPEGRAD_LOG, default off).
spdlog::logger& logger();

}  // namespace tapegrad
