// The generated datasets and feature scaling.
#include "tapegrad/data.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>

#include "tapegrad/error.hpp"
#include "tapegrad/nn/init.hpp"

namespace tapegrad::data {

namespace {

Dataset two_d(int classes) {
    Dataset d;
    d.features = 2;
    d.classes = classes;
    d.feature_names = {"x0", "x1"};
    for (int k = 0; k < classes; ++k) d.class_names.push_back(std::to_string(k));
    return d;
}

void add(Dataset& d, double x0, double x1, int label) {
    d.x.push_back(x0);
    d.x.push_back(x1);
    d.y.push_back(label);
}

void check_noise(const char* op, double noise) {
    if (!(noise >= 0.0) || !std::isfinite(noise))
        throw Error(std::string(op) + ": noise must be finite and >= 0, got " + std::to_string(noise));
}

}  // namespace

Dataset make_moons(std::size_t n, double noise, std::uint64_t seed) {
    check_noise("make_moons", noise);
    nn::Generator gen(seed);
    Dataset d = two_d(2);
    const std::size_t n_out = n / 2, n_in = n - n_out;  // as sklearn: the outer moon gets the floor
    const double pi = std::numbers::pi;
    for (std::size_t i = 0; i < n_out; ++i) {
        const double t = n_out > 1 ? pi * static_cast<double>(i) / static_cast<double>(n_out - 1) : 0.0;
        add(d, std::cos(t), std::sin(t), 0);
    }
    for (std::size_t i = 0; i < n_in; ++i) {
        const double t = n_in > 1 ? pi * static_cast<double>(i) / static_cast<double>(n_in - 1) : 0.0;
        add(d, 1.0 - std::cos(t), 0.5 - std::sin(t), 1);
    }
    for (double& v : d.x) v += noise * gen.normal();
    return d;
}

Dataset make_spiral(std::size_t n_per_class, int classes, double noise, std::uint64_t seed) {
    check_noise("make_spiral", noise);
    if (classes < 2) throw Error("make_spiral: needs at least 2 classes, got " + std::to_string(classes));
    nn::Generator gen(seed);
    Dataset d = two_d(classes);
    for (int k = 0; k < classes; ++k) {
        for (std::size_t i = 0; i < n_per_class; ++i) {
            const double f = n_per_class > 1 ? static_cast<double>(i) / static_cast<double>(n_per_class - 1) : 0.0;
            const double r = f;
            const double t = 4.0 * k + 4.0 * f + noise * gen.normal();  // CS231n: k*4 .. (k+1)*4
            add(d, r * std::sin(t), r * std::cos(t), k);
        }
    }
    return d;
}

Dataset make_xor(std::size_t n, double noise, std::uint64_t seed) {
    check_noise("make_xor", noise);
    nn::Generator gen(seed);
    Dataset d = two_d(2);
    for (std::size_t i = 0; i < n; ++i) {
        const double a = nn::uniform(gen, -1.0, 1.0), b = nn::uniform(gen, -1.0, 1.0);
        const int label = (a * b < 0.0) ? 1 : 0;
        add(d, a + noise * gen.normal(), b + noise * gen.normal(), label);
    }
    return d;
}

Dataset make_circles(std::size_t n, double noise, double factor, std::uint64_t seed) {
    check_noise("make_circles", noise);
    if (!(factor > 0.0 && factor < 1.0))
        throw Error("make_circles: factor must be in (0, 1), got " + std::to_string(factor));
    nn::Generator gen(seed);
    Dataset d = two_d(2);
    const std::size_t n_out = n / 2, n_in = n - n_out;
    const double two_pi = 2.0 * std::numbers::pi;
    for (std::size_t i = 0; i < n_out; ++i) {
        const double t = two_pi * static_cast<double>(i) / static_cast<double>(n_out);
        add(d, std::cos(t), std::sin(t), 0);
    }
    for (std::size_t i = 0; i < n_in; ++i) {
        const double t = two_pi * static_cast<double>(i) / static_cast<double>(n_in);
        add(d, factor * std::cos(t), factor * std::sin(t), 1);
    }
    for (double& v : d.x) v += noise * gen.normal();
    return d;
}

Dataset make_dataset(const std::string& name, std::size_t n, double noise, std::uint64_t seed) {
    if (name == "moons") return make_moons(n, noise, seed);
    if (name == "spiral") return make_spiral(n / 3 + (n % 3 != 0), 3, noise, seed);
    if (name == "xor") return make_xor(n, noise, seed);
    if (name == "circles") return make_circles(n, noise, 0.5, seed);
    throw Error("make_dataset: unknown dataset '" + name + "' (known: moons, spiral, xor, circles)");
}

Scaling fit_scaling(const Dataset& d) {
    Scaling s;
    s.mean.assign(d.features, 0.0);
    s.scale.assign(d.features, 1.0);
    const std::size_t n = d.size();
    if (n == 0) return s;
    for (std::size_t f = 0; f < d.features; ++f) {
        double mean = 0.0;
        for (std::size_t i = 0; i < n; ++i) mean += d.row(i)[f];
        mean /= static_cast<double>(n);
        double var = 0.0;
        for (std::size_t i = 0; i < n; ++i) var += (d.row(i)[f] - mean) * (d.row(i)[f] - mean);
        const double sd = std::sqrt(var / static_cast<double>(n));
        s.mean[f] = mean;
        s.scale[f] = sd > 0.0 ? sd : 1.0;
    }
    return s;
}

void apply_scaling(Dataset& d, const Scaling& s) {
    if (s.mean.size() != d.features)
        throw Error("apply_scaling: the scaling has " + std::to_string(s.mean.size()) + " features, the dataset " +
                    std::to_string(d.features));
    for (std::size_t i = 0; i < d.size(); ++i)
        for (std::size_t f = 0; f < d.features; ++f)
            d.x[i * d.features + f] = (d.x[i * d.features + f] - s.mean[f]) / s.scale[f];
}

}  // namespace tapegrad::data
