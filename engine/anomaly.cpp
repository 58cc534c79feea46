// Anomaly mode's switch and its error message.
#include "tapegrad/anomaly.hpp"

#include <cmath>
#include <string>

#include <fmt/format.h>

#include "tapegrad/error.hpp"

namespace tapegrad {

void detect_anomaly(bool on) { detail::anomaly_on.store(on, std::memory_order_relaxed); }
bool anomaly_detection_enabled() { return detail::anomaly_mode(); }

DetectAnomaly::DetectAnomaly(bool on) : was_on_(detail::anomaly_mode()) { detect_anomaly(on); }
DetectAnomaly::~DetectAnomaly() { detect_anomaly(was_on_); }

namespace detail {
void throw_anomaly(const char* pass, const char* op, std::size_t position, double value, const char* kind) {
    const std::string shown = std::isnan(value) ? "nan" : fmt::format("{}", value);  // never "-nan"
    throw Error(fmt::format("anomaly: {} of '{}' ({} {} on the tape) produced {}", pass, op, kind, position, shown));
}
}  // namespace detail

}  // namespace tapegrad
