/* Cache-line prefetch hints, which Swift cannot spell: the world asks for the state the next
   event will touch while the current one runs (see World.prefetch). No library to link.
   Built with -Xcc -DARSIM_PREFETCH_AS_LOADS (tools/miss_budget.sh only) each hint is a load
   instead, so that cachegrind, which ignores prefetches, counts the lines the hints fetch apart
   from the misses they leave. Never for timing. A hint may then read only mapped memory: the
   heap's sift-down asks for up to 15 keys past its last one, inside mapped memory in practice
   but not by any promise. */
#ifdef ARSIM_PREFETCH_AS_LOADS
/* Each loaded byte is stored to the stack: valgrind's translator drops a load whose value is
   never used (two hints in a row into one register, as in the event queue's pop), and cachegrind
   then counts nothing for it. The stack's line stays in L1 and adds no misses. */
#define ARSIM_PREFETCH_LINE(line) do { volatile char arsim_sink = *(volatile const char *)(line); (void)arsim_sink; } while (0)
#else
#define ARSIM_PREFETCH_LINE(line) __builtin_prefetch((line), 1, 3)
#endif

static inline void arsim_prefetch(const void *address) { ARSIM_PREFETCH_LINE(address); }

/* Every 64-byte line that [address, address + bytes) touches. */
static inline void arsim_prefetch_range(const void *address, long bytes) {
    const char *end = (const char *)address + bytes;
    for (const char *line = (const char *)((unsigned long)address & ~63UL); line < end; line += 64) {
        ARSIM_PREFETCH_LINE(line);
    }
}
