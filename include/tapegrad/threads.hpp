// How many threads matmul and large elementwise kernels may use.
//
// The count starts at the TAPEGRAD_NUM_THREADS environment variable, or all cores if it is unset,
// and also sets OpenBLAS's count. Elementwise results do not depend on it: threads only split
// the elements between them.
#pragma once

namespace tapegrad {

void set_num_threads(int n);  // n >= 1
int num_threads();

}  // namespace tapegrad
