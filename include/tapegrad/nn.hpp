// Neural networks: scalar modules (micrograd's Neuron, Layer, MLP), tensor modules (Module,
// Linear, activations, Sequential) and losses, initialisation, optimizers and checkpoints.
#pragma once

#include "tapegrad/checkpoint.hpp"
#include "tapegrad/nn/init.hpp"
#include "tapegrad/nn/losses.hpp"
#include "tapegrad/nn/mlp.hpp"
#include "tapegrad/nn/module.hpp"
#include "tapegrad/optim.hpp"
