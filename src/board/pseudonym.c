/* Keyed pseudonyms for the case store: HMAC-SHA-256 (RFC 2104, FIPS 180-4)
 * of a hospital identifier under a site secret, so that the same patient
 * always gets the same pseudonym and the identifier never enters the store.
 * Self-contained (no crypto library is linked); tested against the FIPS
 * 180-2 and RFC 4231 vectors in tests/clinical/test_pseudonym.c. */
#include "carm/board.h"

#include <stdio.h>
#include <string.h>

typedef struct sha256 {
  uint32_t h[8];
  uint8_t block[64];
  size_t used;
  uint64_t bytes;
} sha256;

static const uint32_t k256[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2};

static uint32_t rotr(uint32_t x, int n) { return (x >> n) | (x << (32 - n)); }

static void sha256_block(sha256 *s, const uint8_t *p) {
  uint32_t w[64];
  for (int i = 0; i < 16; i++) {
    w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 | (uint32_t)p[4 * i + 2] << 8 |
           (uint32_t)p[4 * i + 3];
  }
  for (int i = 16; i < 64; i++) {
    uint32_t s0 = rotr(w[i - 15], 7) ^ rotr(w[i - 15], 18) ^ (w[i - 15] >> 3);
    uint32_t s1 = rotr(w[i - 2], 17) ^ rotr(w[i - 2], 19) ^ (w[i - 2] >> 10);
    w[i] = w[i - 16] + s0 + w[i - 7] + s1;
  }
  uint32_t a = s->h[0], b = s->h[1], c = s->h[2], d = s->h[3];
  uint32_t e = s->h[4], f = s->h[5], g = s->h[6], h = s->h[7];
  for (int i = 0; i < 64; i++) {
    uint32_t t1 =
        h + (rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)) + ((e & f) ^ (~e & g)) + k256[i] + w[i];
    uint32_t t2 = (rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
    h = g;
    g = f;
    f = e;
    e = d + t1;
    d = c;
    c = b;
    b = a;
    a = t1 + t2;
  }
  s->h[0] += a;
  s->h[1] += b;
  s->h[2] += c;
  s->h[3] += d;
  s->h[4] += e;
  s->h[5] += f;
  s->h[6] += g;
  s->h[7] += h;
}

static void sha256_init(sha256 *s) {
  static const uint32_t iv[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                                 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
  memcpy(s->h, iv, sizeof iv);
  s->used = 0;
  s->bytes = 0;
}

static void sha256_update(sha256 *s, const uint8_t *p, size_t n) {
  s->bytes += n;
  while (n > 0) {
    size_t take = 64 - s->used < n ? 64 - s->used : n;
    memcpy(s->block + s->used, p, take);
    s->used += take;
    p += take;
    n -= take;
    if (s->used == 64) {
      sha256_block(s, s->block);
      s->used = 0;
    }
  }
}

static void sha256_final(sha256 *s, uint8_t out[32]) {
  uint64_t bits = s->bytes * 8;
  uint8_t pad = 0x80;
  sha256_update(s, &pad, 1);
  uint8_t zero = 0;
  while (s->used != 56) {
    sha256_update(s, &zero, 1);
  }
  uint8_t len[8];
  for (int i = 0; i < 8; i++) {
    len[i] = (uint8_t)(bits >> (56 - 8 * i));
  }
  sha256_update(s, len, 8);
  for (int i = 0; i < 8; i++) {
    out[4 * i] = (uint8_t)(s->h[i] >> 24);
    out[4 * i + 1] = (uint8_t)(s->h[i] >> 16);
    out[4 * i + 2] = (uint8_t)(s->h[i] >> 8);
    out[4 * i + 3] = (uint8_t)s->h[i];
  }
}

void carm_board_sha256(uint8_t out[32], const void *data, size_t size) {
  sha256 s;
  sha256_init(&s);
  sha256_update(&s, data, size);
  sha256_final(&s, out);
}

void carm_board_hmac_sha256(uint8_t out[32], const void *key, size_t key_len, const void *data,
                            size_t size) {
  uint8_t k[64];
  memset(k, 0, sizeof k);
  if (key_len > 64) {
    carm_board_sha256(k, key, key_len);
  } else if (key_len > 0) {
    memcpy(k, key, key_len);
  }
  uint8_t ipad[64];
  uint8_t opad[64];
  for (int i = 0; i < 64; i++) {
    ipad[i] = (uint8_t)(k[i] ^ 0x36);
    opad[i] = (uint8_t)(k[i] ^ 0x5c);
  }
  uint8_t inner[32];
  sha256 s;
  sha256_init(&s);
  sha256_update(&s, ipad, 64);
  sha256_update(&s, data, size);
  sha256_final(&s, inner);
  sha256_init(&s);
  sha256_update(&s, opad, 64);
  sha256_update(&s, inner, 32);
  sha256_final(&s, out);
}

carm_status carm_board_pseudonym(char out[CARM_BOARD_PSEUDONYM_SIZE], const void *key,
                                 size_t key_len, const char *identifier) {
  if (out == NULL || key == NULL || identifier == NULL) {
    return carm_error(CARM_ERR_INVALID, "pseudonym: NULL argument");
  }
  if (key_len < 16) {
    return carm_error(CARM_ERR_INVALID,
                      "pseudonym: the site key must be at least 16 bytes "
                      "(got %zu)",
                      key_len);
  }
  size_t n = strlen(identifier);
  if (n == 0 || n > 256) {
    return carm_error(CARM_ERR_INVALID, "pseudonym: identifier must be 1-256 characters");
  }
  uint8_t mac[32];
  carm_board_hmac_sha256(mac, key, key_len, identifier, n);
  out[0] = 'P';
  out[1] = '-';
  static const char hex[] = "0123456789abcdef";
  for (int i = 0; i < 10; i++) {
    out[2 + 2 * i] = hex[mac[i] >> 4];
    out[3 + 2 * i] = hex[mac[i] & 15];
  }
  out[22] = '\0';
  return CARM_OK;
}
