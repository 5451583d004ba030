// hash.h — SHA-256 for the response cache's keys: OpenSSL's libcrypto (which libcurl loads anyway)
// behind a small begin/update/finish API; checked against FIPS 180-4 test vectors in the tests.
#ifndef IAR_EVAL_HASH_H
#define IAR_EVAL_HASH_H

#include <stddef.h>
#include <stdint.h>

typedef struct Sha256 {
    struct evp_md_ctx_st *context; // OpenSSL's EVP_MD_CTX; freed by sha256_finish
} Sha256;

void sha256_begin(Sha256 *hash);
void sha256_update(Sha256 *hash, const void *data, size_t size);
void sha256_finish(Sha256 *hash, uint8_t digest[32]);
// Adds a length-prefixed field, so ("ab","c") and ("a","bc") hash differently.
void sha256_update_field(Sha256 *hash, const void *data, size_t size);
// Lowercase hex of a digest into a buffer of at least 65 bytes.
void sha256_hex(const uint8_t digest[32], char hex[65]);

#endif
