#ifndef IMGTOOL_CZLIB_SHIM_H
#define IMGTOOL_CZLIB_SHIM_H
#include <zlib.h>

/* zlib's init functions are macros, which Swift cannot import; these wrap them. */
static inline int CZlib_inflateInit2(z_streamp strm, int windowBits) {
    return inflateInit2(strm, windowBits);
}

static inline int CZlib_deflateInit2(z_streamp strm, int level, int method, int windowBits, int memLevel,
                                     int strategy) {
    return deflateInit2(strm, level, method, windowBits, memLevel, strategy);
}
#endif
