#include <cblas.h>
#include <lapacke.h>

/* OpenBLAS's own call, declared here as well because Debian's cblas.h is an alternative that
   may point at another BLAS's header; the module links OpenBLAS either way. */
void openblas_set_num_threads(int num_threads);

/* Stops OpenBLAS's worker threads (OpenBLAS calls it itself before a fork); exported by
   libopenblas, not declared in its headers. */
void blas_thread_shutdown_(void);
