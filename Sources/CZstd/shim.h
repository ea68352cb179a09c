#ifndef IMGTOOL_CZSTD_SHIM_H
#define IMGTOOL_CZSTD_SHIM_H
/* The stable API of libzstd (zstd.h) and its error codes (zstd_errors.h); nothing from the
   static-linking-only section, so that the shared library of any distribution serves. */
#include <zstd.h>
#include <zstd_errors.h>
#endif
