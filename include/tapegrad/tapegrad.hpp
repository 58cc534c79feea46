// tapegrad: reverse-mode automatic differentiation on a tape. The one header users include.
#pragma once

#include "tapegrad/anomaly.hpp"
#include "tapegrad/blas.hpp"
#include "tapegrad/data.hpp"
#include "tapegrad/error.hpp"
#include "tapegrad/flush_denormal.hpp"
#include "tapegrad/graph.hpp"
#include "tapegrad/log.hpp"
#include "tapegrad/nn.hpp"
#include "tapegrad/nn/losses.hpp"
#include "tapegrad/optim.hpp"
#include "tapegrad/serialize.hpp"
#include "tapegrad/tape.hpp"
#include "tapegrad/tensor.hpp"
#include "tapegrad/threads.hpp"
#include "tapegrad/value.hpp"
#include "tapegrad/version.hpp"
