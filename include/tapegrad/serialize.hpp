// The checkpoint format's former header name, kept so that programs written against it still
// build: include tapegrad/checkpoint.hpp instead.
#pragma once

#include "tapegrad/checkpoint.hpp"
