// OpenBLAS's CBLAS interface and its threading controls.
#ifndef COPENBLAS_SHIM_H
#define COPENBLAS_SHIM_H
#include <cblas.h>
#endif
