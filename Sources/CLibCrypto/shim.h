#ifndef IMGTOOL_CLIBCRYPTO_SHIM_H
#define IMGTOOL_CLIBCRYPTO_SHIM_H
/* SHA-256 comes from OpenSSL's libcrypto (EVP interface) on Linux. */
#include <openssl/evp.h>
#endif
