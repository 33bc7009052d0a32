// OpenBLAS's CBLAS interface and its threading controls, plus the one LAPACK routine we use
// (OpenBLAS exports LAPACK but Debian's package ships no LAPACK header for it).
#ifndef COPENBLAS_SHIM_H
#define COPENBLAS_SHIM_H
#include <stddef.h>
#include <cblas.h>

/// LAPACK dsyevr: selected eigenvalues and eigenvectors of a real symmetric matrix (column-major).
/// The trailing size_t arguments are gfortran's hidden lengths of the three character arguments.
void dsyevr_(const char *jobz, const char *range, const char *uplo, const int *n, double *a, const int *lda,
             const double *vl, const double *vu, const int *il, const int *iu, const double *abstol, int *m,
             double *w, double *z, const int *ldz, int *isuppz, double *work, const int *lwork, int *iwork,
             const int *liwork, int *info, size_t jobz_len, size_t range_len, size_t uplo_len);
#endif
