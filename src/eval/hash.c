// hash.c — SHA-256 through OpenSSL's libcrypto (already loaded by libcurl): the EVP digest
// interface, wrapped in the small begin/update/finish API the cache uses.
#include "eval/hash.h"

#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>

void sha256_begin(Sha256 *hash) {
    hash->context = EVP_MD_CTX_new();
    if (hash->context && EVP_DigestInit_ex(hash->context, EVP_sha256(), NULL) != 1) {
        EVP_MD_CTX_free(hash->context);
        hash->context = NULL;
    }
}

void sha256_update(Sha256 *hash, const void *data, size_t size) {
    if (hash->context && size) EVP_DigestUpdate(hash->context, data, size);
}

void sha256_finish(Sha256 *hash, uint8_t digest[32]) {
    unsigned int length = 0;
    // out of memory in libcrypto: an all-zero digest, which only costs a cache miss
    if (!hash->context || EVP_DigestFinal_ex(hash->context, digest, &length) != 1 || length != 32)
        memset(digest, 0, 32);
    EVP_MD_CTX_free(hash->context);
    hash->context = NULL;
}

void sha256_update_field(Sha256 *hash, const void *data, size_t size) {
    uint8_t prefix[8]; // little-endian, as the cache keys written so far have it
    for (int i = 0; i < 8; i++) prefix[i] = (uint8_t)((uint64_t)size >> (8 * i));
    sha256_update(hash, prefix, sizeof prefix);
    sha256_update(hash, data, size);
}

void sha256_hex(const uint8_t digest[32], char hex[65]) {
    static const char DIGITS[] = "0123456789abcdef";
    for (int i = 0; i < 32; i++) {
        hex[2 * i] = DIGITS[digest[i] >> 4];
        hex[2 * i + 1] = DIGITS[digest[i] & 15];
    }
    hex[64] = 0;
}
