/* A cache-line prefetch hint, which Swift cannot spell: the world asks for the state the next
   event will touch while the current one runs (see World.prefetch). No library to link. */
static inline void arsim_prefetch(const void *address) { __builtin_prefetch(address, 1, 3); }
