#include <cblas.h>
#include <lapacke.h>

/* OpenBLAS's own call, declared here as well because Debian's cblas.h is an alternative that
   may point at another BLAS's header; the module links OpenBLAS either way. */
void openblas_set_num_threads(int num_threads);
