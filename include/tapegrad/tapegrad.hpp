// tapegrad: reverse-mode automatic differentiation on a tape. The one header users include.
#pragma once

#include "tapegrad/error.hpp"
#include "tapegrad/graph.hpp"
#include "tapegrad/log.hpp"
#include "tapegrad/tape.hpp"
#include "tapegrad/value.hpp"
#include "tapegrad/version.hpp"
