// The seedable random numbers of randn and rand.
#include <cmath>

#include "tapegrad/tensor.hpp"

namespace tapegrad {

Generator::Generator(std::uint64_t seed) : engine_(seed) {}

void Generator::seed(std::uint64_t s) {
    engine_.seed(s);
    has_spare_ = false;
}

double Generator::uniform() { return static_cast<double>(engine_() >> 11) * 0x1.0p-53; }

double Generator::normal() {
    if (has_spare_) {
        has_spare_ = false;
        return spare_;
    }
    double u1 = uniform();
    while (u1 <= 0.0) u1 = uniform();
    const double u2 = uniform();
    const double r = std::sqrt(-2.0 * std::log(u1)), a = 2.0 * 3.14159265358979323846 * u2;
    spare_ = r * std::sin(a);
    has_spare_ = true;
    return r * std::cos(a);
}

Generator& default_generator() {
    thread_local Generator gen;
    return gen;
}

void manual_seed(std::uint64_t seed) { default_generator().seed(seed); }

}  // namespace tapegrad
