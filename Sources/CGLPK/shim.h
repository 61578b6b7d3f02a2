// GLPK's C API (Debian: libglpk-dev), used only by IPIPE's control plane for its MILPs.
#include <glpk.h>
