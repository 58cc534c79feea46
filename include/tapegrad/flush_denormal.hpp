// Flushing subnormal numbers to zero during backward.
//
// A long chain whose derivatives shrink (vanishing gradients: recurrent loops, deep nets, S1 in
// bench/) drives adjoints into the subnormal range below 2.2e-308 (double) or 1.2e-38 (float),
// where many x86 cores take a microcode assist for every multiply: backward becomes 10-40x
// slower with no change in any result a user can see. So the reverse sweep runs with the CPU's
// flush-to-zero and denormals-are-zero modes on (MXCSR FTZ|DAZ on x86-64, FPCR.FZ on AArch64):
// an adjoint contribution that would be subnormal becomes 0, and a subnormal input reads as 0.
// The caller's floating-point control state is put back when backward returns or throws, on the
// calling thread and on the worker threads that ran backward kernels. The forward pass is not
// affected. On a target without such a control this setting changes nothing.
#pragma once

namespace tapegrad {

// On by default. Off: backward keeps IEEE subnormals in the gradients (and their cost).
void set_flush_denormal(bool on);
bool flush_denormal();

}  // namespace tapegrad
