// The named logger: created lazily, never the default one.
#include "tapegrad/log.hpp"

#include <cstdlib>
#include <mutex>

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

namespace tapegrad {

spdlog::logger& logger() {
    static std::shared_ptr<spdlog::logger> instance = [] {
        if (auto existing = spdlog::get("tapegrad")) return existing;
        auto made =
            std::make_shared<spdlog::logger>("tapegrad", std::make_shared<spdlog::sinks::stderr_color_sink_mt>());
        const char* level = std::getenv("TAPEGRAD_LOG");
        made->set_level(level != nullptr ? spdlog::level::from_str(level) : spdlog::level::off);
        return made;
    }();
    return *instance;
}

}  // namespace tapegrad
