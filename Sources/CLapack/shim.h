#include <cblas.h>
#include <lapacke.h>

/* OpenBLAS's own call, declared here as well because Debian's cblas.h is an alternative that
   may point at another BLAS's header; the module links OpenBLAS either way. */
void openblas_set_num_threads(int num_threads);

int openblas_get_parallel(void);

/* Stops OpenBLAS's worker threads, as OpenBLAS does itself before a fork. The threaded build
   exports it without declaring it; a serial build has no such function (and no threads), so
   the reference is weak and checked. Never call openblas_set_num_threads after it: that
   starts the workers again. */
extern int blas_thread_shutdown_(void) __attribute__((weak));

/* One thread for OpenBLAS, and its workers stopped where it has them (pthreads; an OpenMP
   build's threads are OpenMP's). */
static inline void arsim_openblas_single_threaded(void) {
    openblas_set_num_threads(1);
    if (blas_thread_shutdown_ && openblas_get_parallel() == 1) blas_thread_shutdown_();
}
