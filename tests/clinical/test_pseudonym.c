/* SHA-256, HMAC-SHA-256 and the keyed pseudonyms of the case store, against
 * published test vectors (FIPS 180-2 appendix B, RFC 4231 section 4). */
#include "carm/board.h"
#include "check.h"

#include <stdio.h>
#include <string.h>

static int hex_is(const uint8_t *d, size_t n, const char *hex) {
  char buf[129];
  for (size_t i = 0; i < n; i++) {
    snprintf(buf + 2 * i, 3, "%02x", d[i]);
  }
  return strcmp(buf, hex) == 0;
}

int main(void) {
  uint8_t h[32];
  carm_board_sha256(h, "abc", 3);
  CHECK(hex_is(h, 32, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"));
  carm_board_sha256(h, "", 0);
  CHECK(hex_is(h, 32, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"));
  const char *m448 = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
  carm_board_sha256(h, m448, strlen(m448));
  CHECK(hex_is(h, 32, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"));
  /* One million 'a' (FIPS 180-2 B.3), fed as one buffer. */
  static char million[1000000];
  memset(million, 'a', sizeof million);
  carm_board_sha256(h, million, sizeof million);
  CHECK(hex_is(h, 32, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"));

  /* RFC 4231 test case 1: key 20 × 0x0b, "Hi There". */
  uint8_t key1[20];
  memset(key1, 0x0b, sizeof key1);
  carm_board_hmac_sha256(h, key1, sizeof key1, "Hi There", 8);
  CHECK(hex_is(h, 32, "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"));
  /* Test case 2: key "Jefe". */
  const char *d2 = "what do ya want for nothing?";
  carm_board_hmac_sha256(h, "Jefe", 4, d2, strlen(d2));
  CHECK(hex_is(h, 32, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"));
  /* Test case 6: a 131-byte key (hashed first). */
  uint8_t key6[131];
  memset(key6, 0xaa, sizeof key6);
  const char *d6 = "Test Using Larger Than Block-Size Key - Hash Key First";
  carm_board_hmac_sha256(h, key6, sizeof key6, d6, strlen(d6));
  CHECK(hex_is(h, 32, "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"));

  /* Pseudonyms: "P-" + the first 10 bytes of the HMAC; stable, key- and
   * identifier-dependent; short keys and empty identifiers refused. */
  char p[CARM_BOARD_PSEUDONYM_SIZE];
  char q[CARM_BOARD_PSEUDONYM_SIZE];
  const char *site = "0123456789abcdef-site-secret";
  CHECK(carm_board_pseudonym(p, site, strlen(site), "MRN-123456") == CARM_OK);
  carm_board_hmac_sha256(h, site, strlen(site), "MRN-123456", 10);
  char expect[CARM_BOARD_PSEUDONYM_SIZE] = "P-";
  for (int i = 0; i < 10; i++) {
    snprintf(expect + 2 + 2 * i, 3, "%02x", h[i]);
  }
  CHECK(strcmp(p, expect) == 0);
  CHECK(strlen(p) == 22);
  CHECK(carm_board_pseudonym(q, site, strlen(site), "MRN-123456") == CARM_OK && !strcmp(p, q));
  CHECK(carm_board_pseudonym(q, site, strlen(site), "MRN-123457") == CARM_OK && strcmp(p, q));
  CHECK(carm_board_pseudonym(q, "another-site-secret!", 20, "MRN-123456") == CARM_OK &&
        strcmp(p, q));
  CHECK(carm_board_pseudonym(q, "short", 5, "MRN-123456") == CARM_ERR_INVALID);
  CHECK(carm_board_pseudonym(q, site, strlen(site), "") == CARM_ERR_INVALID);
  return check_done();
}
