// SVG written by hand: a loss chart and a decision-boundary map, no dependencies.
#include "plot.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <stdexcept>

namespace tapegrad::cli {

namespace {

constexpr const char* kPoint[] = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e",
                                  "#9467bd", "#8c564b", "#e377c2", "#7f7f7f"};
constexpr const char* kArea[] = {"#c6dbef", "#fcbba1", "#c7e9c0", "#fdd0a2",
                                 "#dadaeb", "#e7d4c9", "#f9d3e9", "#e0e0e0"};

std::string fmt(const char* format, double a) {
    char buf[64];
    std::snprintf(buf, sizeof buf, format, a);
    return buf;
}

std::string escape(const std::string& s) {
    std::string out;
    for (char c : s) {
        if (c == '<') out += "&lt;";
        else if (c == '>') out += "&gt;";
        else if (c == '&') out += "&amp;";
        else out += c;
    }
    return out;
}

std::string header(int w, int h, const std::string& title) {
    // A long model description shrinks to fit the width (sans-serif glyphs average ~0.55 em).
    const double fit = (w - 20) / (0.55 * static_cast<double>(std::max<std::size_t>(title.size(), 1)));
    const int size = static_cast<int>(std::clamp(fit, 7.0, 14.0));
    return "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" + std::to_string(w) + "\" height=\"" +
           std::to_string(h) + "\" viewBox=\"0 0 " + std::to_string(w) + " " + std::to_string(h) +
           "\" font-family=\"sans-serif\" font-size=\"12\">\n<title>" + escape(title) + "</title>\n" +
           "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n<text x=\"" + std::to_string(w / 2) +
           "\" y=\"20\" text-anchor=\"middle\" font-size=\"" + std::to_string(size) + "\">" + escape(title) +
           "</text>\n";
}

}  // namespace

std::string loss_svg(const std::vector<double>& loss, const std::vector<double>& accuracy, const std::string& title) {
    const int W = 640, H = 400, L = 60, R = 60, T = 35, B = 45;
    const double pw = W - L - R, ph = H - T - B;
    double hi = 0.0;
    for (double v : loss)
        if (std::isfinite(v)) hi = std::max(hi, v);
    if (hi <= 0.0) hi = 1.0;
    const std::size_t n = loss.size();
    const auto x_of = [&](std::size_t i) {
        return L + (n > 1 ? pw * static_cast<double>(i) / static_cast<double>(n - 1) : pw / 2);
    };
    std::string s = header(W, H, title);
    // axes, ticks and labels
    s += "<g stroke=\"#444\" fill=\"none\"><line x1=\"" + std::to_string(L) + "\" y1=\"" + std::to_string(T) +
         "\" x2=\"" + std::to_string(L) + "\" y2=\"" + std::to_string(H - B) + "\"/><line x1=\"" + std::to_string(L) +
         "\" y1=\"" + std::to_string(H - B) + "\" x2=\"" + std::to_string(W - R) + "\" y2=\"" + std::to_string(H - B) +
         "\"/></g>\n";
    for (int k = 0; k <= 4; ++k) {
        const double y = T + ph * (1.0 - k / 4.0);
        s += "<line x1=\"" + std::to_string(L) + "\" x2=\"" + std::to_string(W - R) + "\" y1=\"" + fmt("%.1f", y) +
             "\" y2=\"" + fmt("%.1f", y) + "\" stroke=\"#eee\"/>\n";
        s += "<text x=\"" + std::to_string(L - 6) + "\" y=\"" + fmt("%.1f", y + 4) + "\" text-anchor=\"end\">" +
             fmt("%.3g", hi * k / 4.0) + "</text>\n";
        if (!accuracy.empty())
            s += "<text x=\"" + std::to_string(W - R + 6) + "\" y=\"" + fmt("%.1f", y + 4) + "\" fill=\"#2ca02c\">" +
                 std::to_string(25 * k) + "%</text>\n";
    }
    s += "<text x=\"" + std::to_string(L) + "\" y=\"" + std::to_string(H - B + 18) + "\">1</text>\n";
    s += "<text x=\"" + std::to_string(W - R) + "\" y=\"" + std::to_string(H - B + 18) + "\" text-anchor=\"end\">" +
         std::to_string(n) + "</text>\n";
    s += "<text x=\"" + std::to_string(W / 2) + "\" y=\"" + std::to_string(H - 10) +
         "\" text-anchor=\"middle\">epoch</text>\n";
    s += "<text x=\"14\" y=\"" + std::to_string(T + 10) + "\" fill=\"#1f77b4\">loss</text>\n";
    if (!accuracy.empty())
        s += "<text x=\"" + std::to_string(W - 14) + "\" y=\"" + std::to_string(T + 10) +
             "\" text-anchor=\"end\" fill=\"#2ca02c\">accuracy</text>\n";
    // the curves
    std::string pts;
    for (std::size_t i = 0; i < n; ++i) {
        const double v = std::isfinite(loss[i]) ? std::min(loss[i], hi) : hi;
        pts += fmt("%.1f", x_of(i)) + "," + fmt("%.1f", T + ph * (1.0 - v / hi)) + " ";
    }
    s += "<polyline class=\"loss\" fill=\"none\" stroke=\"#1f77b4\" stroke-width=\"2\" points=\"" + pts + "\"/>\n";
    if (!accuracy.empty()) {
        pts.clear();
        for (std::size_t i = 0; i < accuracy.size() && i < n; ++i)
            pts += fmt("%.1f", x_of(i)) + "," + fmt("%.1f", T + ph * (1.0 - std::clamp(accuracy[i], 0.0, 1.0))) + " ";
        s += "<polyline class=\"accuracy\" fill=\"none\" stroke=\"#2ca02c\" stroke-width=\"1.5\" "
             "stroke-dasharray=\"5,3\" points=\"" +
             pts + "\"/>\n";
    }
    return s + "</svg>\n";
}

std::string boundary_svg(const data::Dataset& d, const std::function<int(double, double)>& predict,
                         const std::string& title, int grid) {
    if (d.features != 2) throw std::invalid_argument("boundary_svg: needs 2 features");
    const int S = 520, M = 30, T = 35;
    double x0 = 1e300, x1 = -1e300, y0 = 1e300, y1 = -1e300;
    for (std::size_t i = 0; i < d.size(); ++i) {
        x0 = std::min(x0, d.row(i)[0]);
        x1 = std::max(x1, d.row(i)[0]);
        y0 = std::min(y0, d.row(i)[1]);
        y1 = std::max(y1, d.row(i)[1]);
    }
    if (d.size() == 0) x0 = y0 = -1, x1 = y1 = 1;
    const double pad_x = 0.1 * (x1 - x0) + 1e-9, pad_y = 0.1 * (y1 - y0) + 1e-9;
    x0 -= pad_x, x1 += pad_x, y0 -= pad_y, y1 += pad_y;
    const double side = S - 2 * M;
    const auto px = [&](double x) { return M + side * (x - x0) / (x1 - x0); };
    const auto py = [&](double y) { return T + side * (1.0 - (y - y0) / (y1 - y0)); };
    std::string s = header(S, S + T - M + 10, title);
    const double cell = side / grid;
    s += "<g class=\"boundary\" shape-rendering=\"crispEdges\">\n";
    for (int gy = 0; gy < grid; ++gy) {
        for (int gx = 0; gx < grid; ++gx) {
            const double cx = x0 + (x1 - x0) * (gx + 0.5) / grid, cy = y1 - (y1 - y0) * (gy + 0.5) / grid;
            const int c = predict(cx, cy);
            s += "<rect x=\"" + fmt("%.2f", M + gx * cell) + "\" y=\"" + fmt("%.2f", T + gy * cell) + "\" width=\"" +
                 fmt("%.2f", cell + 0.05) + "\" height=\"" + fmt("%.2f", cell + 0.05) + "\" fill=\"" + kArea[c & 7] +
                 "\"/>\n";
        }
    }
    s += "</g>\n<g class=\"points\" stroke=\"#222\" stroke-width=\"0.6\">\n";
    for (std::size_t i = 0; i < d.size(); ++i)
        s += "<circle cx=\"" + fmt("%.2f", px(d.row(i)[0])) + "\" cy=\"" + fmt("%.2f", py(d.row(i)[1])) +
             "\" r=\"3.5\" fill=\"" + kPoint[d.y[i] & 7] + "\"/>\n";
    s += "</g>\n<rect x=\"" + std::to_string(M) + "\" y=\"" + std::to_string(T) + "\" width=\"" + fmt("%.0f", side) +
         "\" height=\"" + fmt("%.0f", side) + "\" fill=\"none\" stroke=\"#444\"/>\n";
    s += "<text x=\"" + std::to_string(M) + "\" y=\"" + fmt("%.0f", T + side + 16) + "\">" +
         escape(d.feature_names.size() > 0 ? d.feature_names[0] : "x0") + ": " + fmt("%.3g", x0) + " .. " +
         fmt("%.3g", x1) + ", " + escape(d.feature_names.size() > 1 ? d.feature_names[1] : "x1") + ": " +
         fmt("%.3g", y0) + " .. " + fmt("%.3g", y1) + "</text>\n";
    return s + "</svg>\n";
}

}  // namespace tapegrad::cli
