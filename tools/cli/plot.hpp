// SVG pictures for `tapegrad train --plot`: the loss curve and a 2-d decision boundary.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include <tapegrad/data.hpp>

namespace tapegrad::cli {

// A line chart of loss per epoch (a polyline), with the accuracy as a second, dashed polyline
// on a 0..100% axis when given.
std::string loss_svg(const std::vector<double>& loss, const std::vector<double>& accuracy, const std::string& title);

// The plane around the points coloured by the class `predict` gives each cell of a grid
// (rect elements), with the points on top (circle elements, filled by their true class).
// d must have 2 features.
std::string boundary_svg(const data::Dataset& d, const std::function<int(double, double)>& predict,
                         const std::string& title, int grid = 60);

}  // namespace tapegrad::cli
