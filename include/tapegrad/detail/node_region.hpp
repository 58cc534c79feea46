// The node region: one address range per process that holds every Node (the tapes' node chunks
// and the parameters), so that an edge names its parent's grad by a 32-bit slot, its distance in
// doubles from the region's start, instead of a 64-bit pointer. An edge is then 12 bytes, not 16.
#pragma once

#include <cstddef>
#include <cstdint>

namespace tapegrad::detail {

// The region's start; set, once, before the first Node is made (so every slot names a Node that
// exists). Read by recorders and by the sweep.
extern char* node_region_base;

// Blocks of the region for Nodes, 64-byte aligned and uninitialised. allocate() raises Error when
// the region is full. Thread-safe.
void* node_region_allocate(std::size_t bytes);
void node_region_free(void* block) noexcept;
// The region's size in bytes (what the system let the process reserve, at most 32 GiB: the
// 2^32 slots of 8 bytes) and how much of it is handed out.
std::size_t node_region_size() noexcept;
std::size_t node_region_in_use() noexcept;

inline std::uint32_t slot_of_grad(const double* grad) {
    return static_cast<std::uint32_t>(static_cast<std::size_t>(reinterpret_cast<const char*>(grad) - node_region_base) /
                                      sizeof(double));
}
inline double* grad_at_slot(std::uint32_t slot) { return reinterpret_cast<double*>(node_region_base) + slot; }

// Chunks<T>'s allocator for Nodes (detail/chunks.hpp).
struct RegionArrays {
    template <class T> static T* allocate(std::size_t n) {
        return static_cast<T*>(node_region_allocate(n * sizeof(T)));
    }
    template <class T> static void deallocate(T* p) noexcept { node_region_free(p); }
};

}  // namespace tapegrad::detail
