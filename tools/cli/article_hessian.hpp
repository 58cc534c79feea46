// tapegrad article --hessian: the Hessian of the article's loss in its six weights at the
// starting weights, what its eigenvalues say, and one Newton step beside the gradient step.
#pragma once

#include <string>
#include <vector>

namespace tapegrad::cli {

struct ArticleHessian {
    std::vector<double> weights;  // w1,1 w2,1 w1,2 w2,2 v1 v2, as the article starts
    double loss;
    std::vector<double> gradient;
    std::vector<std::vector<double>> hessian;  // tapegrad::hessian
    std::vector<double> eigenvalues;           // ascending
    std::vector<double> gradient_step;         // weights - gradient (learning rate 1, as the article)
    std::vector<double> newton_step;           // weights - H+ gradient (H's pseudo-inverse: H is singular)
    double loss_after_gradient_step, loss_after_newton_step;
};

ArticleHessian article_hessian();
std::string report(const ArticleHessian& h);

}  // namespace tapegrad::cli
