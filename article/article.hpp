// The backpropagation article's worked example, computed on the scalar engine: two inputs, two
// sigmoid hidden neurons, one sigmoid output, no biases, loss 1/2 (y5 - target)^2, one step of
// gradient descent at learning rate 1.
#pragma once

#include <string>
#include <vector>

namespace tapegrad::article {

struct Figure {
    std::string name;     // "y3", "delta_O", ...
    std::string article;  // what the article prints, as printed ("" where it gives none)
    double tapegrad;      // what the engine computes
    std::string verdict;  // agrees / differs, and why
};

struct Result {
    double a1, a2, y3, y4, a3, y5;                                    // forward
    double loss, squared_error;                                       // 1/2 (y5 - t)^2 and (y5 - t)^2
    double delta_o, delta_h1, delta_h2;                               // the article's deltas: -dloss/d(pre-activation)
    double grad_w11, grad_w21, grad_w12, grad_w22, grad_v1, grad_v2;  // dloss/dweight
    double new_w11, new_w21, new_w12, new_w22, new_v1, new_v2;        // after one step
    double y5_after;                                                  // forward again with the new weights
    std::string dot;                                                  // the recorded graph of the loss, in DOT
    std::vector<Figure> figures;                                      // the comparison table
};

Result run();

// The whole report the demo prints.
std::string report(const Result& r);

}  // namespace tapegrad::article
