/* VB_CLONES: build a hot loop twice, for AVX2 and for baseline x86-64, and
 * let the loader pick one for the CPU (GCC/Clang target_clones). Elsewhere
 * it is empty and the loop is built once. */
#ifndef VIDBUS_VECTORIZE_H
#define VIDBUS_VECTORIZE_H

#if defined(__x86_64__) && defined(__has_attribute)
#if __has_attribute(target_clones)
#define VB_CLONES __attribute__((target_clones("avx2", "default")))
#endif
#endif
#ifndef VB_CLONES
#define VB_CLONES
#endif

#endif
