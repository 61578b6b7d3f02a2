#ifndef ARSIM_PHOLD_REFERENCE_H
#define ARSIM_PHOLD_REFERENCE_H
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* PHOLD on a plain C++ std::priority_queue, the yardstick for arsim's event queue: `entities`
   entities with `pending` events each, exponential delays of mean `mean_delay` (integer
   nanoseconds), uniformly random destinations, per-entity xoshiro256** streams; ties in time
   are broken by insertion order, as arsim's kernel does. Runs `events` events and returns the
   simulated time reached (so that the work cannot be optimised away). */
int64_t arsim_phold_reference(int32_t entities, int32_t pending, int64_t mean_delay, uint64_t events, uint64_t seed);

#ifdef __cplusplus
}
#endif
#endif
