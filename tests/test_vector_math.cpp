// The vectorized float32 tanh (detail/vector_math.hpp) on every kernel this CPU can run: within
// 1 ulp of tanh computed in double over a sweep of the whole float range, exact at the special
// values, and what Tensor::tanh gives on contiguous and strided float32 tensors.
#include <doctest/doctest.h>

#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

#include <tapegrad/detail/vector_math.hpp>
#include <tapegrad/tapegrad.hpp>

namespace {

// |f - exact| in units of the last place of the float nearest to exact.
double ulps(float f, double exact) {
    const float near = static_cast<float>(exact);
    const float mag = std::fabs(near);
    double ulp = static_cast<double>(std::nextafter(mag, std::numeric_limits<float>::infinity())) - mag;
    if (!(ulp > 0) || std::isinf(ulp)) ulp = std::ldexp(1.0, -149);
    return std::fabs(static_cast<double>(f) - exact) / ulp;
}

std::vector<int> kernels() {
    std::vector<int> isas;
    float x = 0.5f, y = 0;
    for (int isa = 0; isa <= 2; ++isa)
        if (tapegrad::detail::tanh_f32_on(isa, &x, &y, 1)) isas.push_back(isa);
    return isas;
}

}  // namespace

TEST_CASE("vector math: tanh_f32 is within 1 ulp of tanh over the float range, on every kernel") {
    // Every 4099th bit pattern of the finite floats of each sign (about a million points): tiny,
    // subnormal, around each power of two and out to where tanh is 1.
    std::vector<float> x;
    for (std::uint64_t b = 0; b < 0x7f800000u; b += 4099) {
        const auto bits = static_cast<std::uint32_t>(b);
        x.push_back(std::bit_cast<float>(bits));
        x.push_back(std::bit_cast<float>(bits | 0x80000000u));
    }
    // Where the reduction switches from n = 0 to 1 (|x| = ln2/4) and where tanh reaches 1 in float.
    for (float c : {0.17328679f, 0.1732868f, 0.34657359f, 9.0f, 9.010913f, 9.1f, 20.0f, 88.7f, 1e30f,
                    std::numeric_limits<float>::max(), std::numeric_limits<float>::denorm_min(),
                    std::numeric_limits<float>::min(), 1e-7f, 2.4e-4f}) {
        x.push_back(c);
        x.push_back(-c);
    }
    const std::vector<int> isas = kernels();
    REQUIRE(!isas.empty());
    for (int isa : isas) {
        CAPTURE(isa);
        std::vector<float> y(x.size());
        REQUIRE(tapegrad::detail::tanh_f32_on(isa, x.data(), y.data(), static_cast<std::int64_t>(x.size())));
        double worst = 0;
        float worst_x = 0;
        for (std::size_t i = 0; i < x.size(); ++i) {
            const double u = ulps(y[i], std::tanh(static_cast<double>(x[i])));
            if (u > worst) {
                worst = u;
                worst_x = x[i];
            }
        }
        CAPTURE(worst_x);
        CHECK(worst <= 1.0);
    }
}

TEST_CASE("vector math: tanh_f32 keeps signed zeros, maps infinities to +-1 and NaN to NaN") {
    const float inf = std::numeric_limits<float>::infinity();
    const float x[] = {0.0f, -0.0f, inf, -inf, std::numeric_limits<float>::quiet_NaN(), -1e-40f, 1e-40f};
    for (int isa : kernels()) {
        CAPTURE(isa);
        float y[7];
        REQUIRE(tapegrad::detail::tanh_f32_on(isa, x, y, 7));
        CHECK(y[0] == 0.0f);
        CHECK(!std::signbit(y[0]));
        CHECK(y[1] == 0.0f);
        CHECK(std::signbit(y[1]));
        CHECK(y[2] == 1.0f);
        CHECK(y[3] == -1.0f);
        CHECK(std::isnan(y[4]));
        CHECK(y[5] == -1e-40f);  // tanh(x) = x to float precision for tiny x, subnormals too
        CHECK(y[6] == 1e-40f);
    }
    // The array may be its own output, at any length (the vector loops' remainders too).
    for (int n = 0; n <= 37; ++n) {
        std::vector<float> v(static_cast<std::size_t>(n)), expect(v.size());
        for (int i = 0; i < n; ++i) v[static_cast<std::size_t>(i)] = 0.37f * static_cast<float>(i) - 6.0f;
        tapegrad::detail::tanh_f32(v.data(), expect.data(), n);
        tapegrad::detail::tanh_f32(v.data(), v.data(), n);
        CHECK(v == expect);
    }
}

TEST_CASE("vector math: float32 Tensor::tanh gives tanh_f32's values, contiguous or strided") {
    using tapegrad::Tensor;
    tapegrad::Tape::current().clear();
    tapegrad::Generator gen(11);
    const Tensor x = Tensor::randn({5, 7}, gen, tapegrad::DType::f32) * 4.0;
    const Tensor xt = x.t();  // a strided view
    REQUIRE(!xt.is_contiguous());
    const std::vector<double> xd = x.to_vector();
    const std::vector<float> xs(xd.begin(), xd.end());  // exact: x is float32
    std::vector<float> ys(xs.size());
    tapegrad::detail::tanh_f32(xs.data(), ys.data(), static_cast<std::int64_t>(xs.size()));
    const std::vector<double> expect(ys.begin(), ys.end());
    CHECK(x.tanh().to_vector() == expect);
    CHECK(xt.tanh().t().contiguous().to_vector() == expect);
    tapegrad::Tape::current().clear();
}
