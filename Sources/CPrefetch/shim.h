/* Cache-line prefetch hints, which Swift cannot spell: the world asks for the state the next
   event will touch while the current one runs (see World.prefetch). No library to link. */
static inline void arsim_prefetch(const void *address) { __builtin_prefetch(address, 1, 3); }

/* Every 64-byte line that [address, address + bytes) touches. */
static inline void arsim_prefetch_range(const void *address, long bytes) {
    const char *end = (const char *)address + bytes;
    for (const char *line = (const char *)((unsigned long)address & ~63UL); line < end; line += 64) {
        __builtin_prefetch(line, 1, 3);
    }
}
