/* Corrupt, truncated and hostile DICOM input: every reader returns a clear
 * error (negative status, a message naming the file), never crashes, never
 * returns a partial volume. Synthetic cases always run; truncated copies of
 * the real files run when ../shared/data is present. */
#include "carm/dicom.h"
#include "check.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char tmpdir[256];
static int n_cases;

static void write_file(const char *path, const void *data, size_t n) {
  FILE *f = fopen(path, "wb");
  CHECK(f != NULL);
  if (f != NULL) {
    CHECK(fwrite(data, 1, n, f) == n);
    fclose(f);
  }
}

/* Every entry point refuses the file cleanly. */
static void expect_refused(const char *path, const char *what) {
  carm_volume *v = NULL;
  carm_geometry *g = NULL;
  carm_dicom_meta m;
  const char *one[1] = {path};
  carm_status a = carm_dicom_read_image(&v, &m, path);
  CHECK_MSG(a < 0 && v == NULL, "%s: read_image accepted it", what);
  CHECK_MSG(strstr(carm_last_error(), path) != NULL, "%s: message '%s' does not name the file",
            what, carm_last_error());
  carm_status b = carm_dicom_read_volume(&v, &m, one, 1);
  CHECK_MSG(b < 0 && v == NULL, "%s: read_volume accepted it", what);
  carm_status c = carm_dicom_read_xa(&v, &g, &m, path, NULL);
  CHECK_MSG(c < 0 && v == NULL && g == NULL, "%s: read_xa accepted it", what);
  n_cases++;
}

/* ---- a tiny explicit-VR little-endian writer for synthetic files ------- */
typedef struct buf {
  unsigned char d[1 << 16];
  size_t n;
} buf;

static void put(buf *b, const void *p, size_t n) {
  if (b->n + n <= sizeof b->d) {
    memcpy(b->d + b->n, p, n);
    b->n += n;
  }
}
static void put16(buf *b, unsigned v) {
  unsigned char x[2] = {(unsigned char)v, (unsigned char)(v >> 8)};
  put(b, x, 2);
}
static void put32(buf *b, uint32_t v) {
  unsigned char x[4] = {(unsigned char)v, (unsigned char)(v >> 8), (unsigned char)(v >> 16),
                        (unsigned char)(v >> 24)};
  put(b, x, 4);
}
static void elem(buf *b, unsigned g, unsigned e, const char *vr, const void *val, uint32_t len) {
  put16(b, g);
  put16(b, e);
  put(b, vr, 2);
  int longvr = strcmp(vr, "OB") == 0 || strcmp(vr, "OW") == 0 || strcmp(vr, "SQ") == 0 ||
               strcmp(vr, "UN") == 0 || strcmp(vr, "UT") == 0;
  if (longvr) {
    put16(b, 0);
    put32(b, len);
  } else {
    put16(b, len);
  }
  if (val != NULL) {
    put(b, val, len);
  }
}
static void elem_us(buf *b, unsigned g, unsigned e, unsigned v) {
  unsigned char x[2] = {(unsigned char)v, (unsigned char)(v >> 8)};
  elem(b, g, e, "US", x, 2);
}
static void header(buf *b) {
  memset(b->d, 0, 128);
  b->n = 128;
  put(b, "DICM", 4);
  elem(b, 0x0002, 0x0010, "UI", "1.2.840.10008.1.2.1\0", 20);
}
static void image_basics(buf *b, unsigned rows, unsigned cols, const char *frames) {
  elem(b, 0x0008, 0x0016, "UI", "1.2.840.10008.5.1.4.1.1.7\0", 26);
  elem(b, 0x0008, 0x0060, "CS", "OT", 2);
  elem_us(b, 0x0028, 0x0002, 1);
  elem(b, 0x0028, 0x0004, "CS", "MONOCHROME2 ", 12);
  if (frames != NULL) {
    elem(b, 0x0028, 0x0008, "IS", frames, (uint32_t)strlen(frames));
  }
  elem_us(b, 0x0028, 0x0010, rows);
  elem_us(b, 0x0028, 0x0011, cols);
  elem_us(b, 0x0028, 0x0100, 16);
  elem_us(b, 0x0028, 0x0101, 16);
  elem_us(b, 0x0028, 0x0102, 15);
  elem_us(b, 0x0028, 0x0103, 0);
}

static void synthetic_cases(void) {
  char p[512];
  buf *b = calloc(1, sizeof *b);
  if (b == NULL) {
    return;
  }
  snprintf(p, sizeof p, "%s/missing.dcm", tmpdir);
  expect_refused(p, "missing file");

  snprintf(p, sizeof p, "%s/empty.dcm", tmpdir);
  write_file(p, "", 0);
  expect_refused(p, "empty file");

  snprintf(p, sizeof p, "%s/text.dcm", tmpdir);
  const char *text = "This is not a DICOM file, just some text.\n";
  write_file(p, text, strlen(text));
  expect_refused(p, "text");

  carm_rng rng;
  carm_rng_seed(&rng, 1);
  for (int i = 0; i < 8; i++) {
    unsigned char r[3000];
    for (size_t j = 0; j < sizeof r; j++) {
      r[j] = (unsigned char)carm_rng_next(&rng);
    }
    if (i >= 4) {
      memset(r, 0, 128);
      memcpy(r + 128, "DICM", 4); /* random bytes after a valid prefix */
    }
    snprintf(p, sizeof p, "%s/random%d.dcm", tmpdir, i);
    write_file(p, r, sizeof r);
    expect_refused(p, "random bytes");
  }

  /* prefix only */
  b->n = 0;
  header(b);
  b->n = 132;
  snprintf(p, sizeof p, "%s/prefix.dcm", tmpdir);
  write_file(p, b->d, b->n);
  expect_refused(p, "prefix only");

  /* an element claiming 2 GiB */
  header(b);
  elem(b, 0x0010, 0x0010, "PN", "A^B ", 4);
  elem(b, 0x0009, 0x1010, "OB", NULL, 0x7ffffff0u);
  put32(b, 0);
  snprintf(p, sizeof p, "%s/huge_length.dcm", tmpdir);
  write_file(p, b->d, b->n);
  expect_refused(p, "huge element length");

  /* sequences nested 200 deep, never closed */
  header(b);
  for (int i = 0; i < 200; i++) {
    elem(b, 0x0040, 0x0555, "SQ", NULL, 0xffffffffu);
    put16(b, 0xfffe);
    put16(b, 0xe000);
    put32(b, 0xffffffffu);
  }
  snprintf(p, sizeof p, "%s/deep.dcm", tmpdir);
  write_file(p, b->d, b->n);
  expect_refused(p, "deep nesting");

  /* an item longer than its sequence */
  header(b);
  elem(b, 0x0040, 0x0555, "SQ", NULL, 16);
  put16(b, 0xfffe);
  put16(b, 0xe000);
  put32(b, 1000);
  put32(b, 0);
  put32(b, 0);
  snprintf(p, sizeof p, "%s/item_overflow.dcm", tmpdir);
  write_file(p, b->d, b->n);
  expect_refused(p, "item longer than its sequence");

  /* a sound structure but no pixel data */
  header(b);
  elem(b, 0x0008, 0x0060, "CS", "SR", 2);
  snprintf(p, sizeof p, "%s/no_pixels.dcm", tmpdir);
  write_file(p, b->d, b->n);
  expect_refused(p, "no pixel data");
  carm_dicom_meta m;
  CHECK(carm_dicom_read_meta(&m, p) == CARM_OK); /* the header itself is fine */
  CHECK(strcmp(m.modality, "SR") == 0);

  /* absurd sizes with a few bytes of pixel data (would need GiBs) */
  const struct {
    unsigned rows, cols;
    const char *frames;
  } sizes[] = {{65535, 65535, NULL}, {4096, 4096, "100000"}, {512, 512, "1"}, {0, 512, NULL}};
  for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
    header(b);
    image_basics(b, sizes[i].rows, sizes[i].cols, sizes[i].frames);
    unsigned char pix[64] = {0};
    elem(b, 0x7fe0, 0x0010, "OW", pix, sizeof pix);
    snprintf(p, sizeof p, "%s/size%zu.dcm", tmpdir, i);
    write_file(p, b->d, b->n);
    expect_refused(p, "absurd image size");
  }

  /* encapsulated pixel data whose fragments are garbage */
  header(b);
  b->n -= 20;
  elem(b, 0x0002, 0x0010, "UI", "1.2.840.10008.1.2.4.90", 22); /* JPEG 2000 */
  image_basics(b, 64, 64, NULL);
  elem(b, 0x7fe0, 0x0010, "OB", NULL, 0xffffffffu);
  put16(b, 0xfffe);
  put16(b, 0xe000);
  put32(b, 0); /* empty offset table */
  put16(b, 0xfffe);
  put16(b, 0xe000);
  put32(b, 32);
  for (int i = 0; i < 32; i++) {
    unsigned char x = (unsigned char)(i * 37);
    put(b, &x, 1);
  }
  put16(b, 0xfffe);
  put16(b, 0xe0dd);
  put32(b, 0);
  snprintf(p, sizeof p, "%s/bad_j2k.dcm", tmpdir);
  write_file(p, b->d, b->n);
  expect_refused(p, "garbage JPEG 2000 fragment");
  free(b);
}

static void truncated_real_files(const char *data) {
  static const char *const files[] = {"ct/pydicom_CT_small.dcm",
                                      "ct/pydicom-data_693_J2KR.dcm",
                                      "ct/fo-dicom_D_CLUNIE_CT1_RLE_FRAGS.dcm",
                                      "enhanced/eCT_Supplemental.dcm",
                                      "sc/pydicom_image_dfl_deflate.dcm",
                                      "seg/pydicom-data_liver_SEG.dcm",
                                      "xa/fo-dicom_XA_HasFragmentSequence_jpeg.dcm"};
  static const double fractions[] = {0.002, 0.05, 0.3, 0.6, 0.9, 0.999};
  for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
    char src[4400];
    snprintf(src, sizeof src, "%s/dicom/%s", data, files[i]);
    FILE *f = fopen(src, "rb");
    CHECK_MSG(f != NULL, "%s", src);
    if (f == NULL) {
      continue;
    }
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *d = malloc((size_t)size);
    CHECK(d != NULL && fread(d, 1, (size_t)size, f) == (size_t)size);
    fclose(f);
    carm_volume *orig = NULL;
    CHECK(carm_dicom_read_image(&orig, NULL, src) == CARM_OK);
    for (size_t k = 0; d != NULL && orig != NULL && k < sizeof fractions / sizeof fractions[0];
         k++) {
      size_t n = (size_t)((double)size * fractions[k]);
      char p[512];
      snprintf(p, sizeof p, "%s/trunc_%zu_%zu.dcm", tmpdir, i, k);
      write_file(p, d, n);
      carm_volume *v = NULL;
      if (k + 1 == sizeof fractions / sizeof fractions[0] &&
          carm_dicom_read_image(&v, NULL, p) == CARM_OK) {
        /* the last bytes were padding after a complete data set: then the
         * read must be complete and exact */
        CHECK_MSG(carm_volume_same_grid(v, orig, 0) &&
                      memcmp(v->data, orig->data, (size_t)carm_volume_count(v) * sizeof(float)) ==
                          0,
                  "%s: truncated copy read differently", files[i]);
        carm_volume_destroy(v);
      } else {
        expect_refused(p, "truncated real file");
      }
      remove(p);
    }
    carm_volume_destroy(orig);
    int flips = size < 600000 ? 12 : 2; /* keep the test fast */
    /* flipped bytes in the header: structure errors or a clean read */
    for (int k = 0; d != NULL && k < flips; k++) {
      unsigned char *c = malloc((size_t)size);
      if (c == NULL) {
        break;
      }
      memcpy(c, d, (size_t)size);
      size_t at = 132 + (size_t)(k * 97) % 2000;
      if (at < (size_t)size) {
        c[at] ^= 0xff;
      }
      char p[512];
      snprintf(p, sizeof p, "%s/flip_%zu_%d.dcm", tmpdir, i, k);
      write_file(p, c, (size_t)size);
      carm_volume *v = NULL;
      carm_status st = carm_dicom_read_image(&v, NULL, p);
      CHECK(st == CARM_OK ? v != NULL : v == NULL);
      carm_volume_destroy(v);
      remove(p);
      free(c);
      n_cases++;
    }
    free(d);
  }
}

int main(void) {
  snprintf(tmpdir, sizeof tmpdir, "/tmp/carm_dicom_hostile_XXXXXX");
  if (mkdtemp(tmpdir) == NULL) {
    perror("mkdtemp");
    return 1;
  }
  synthetic_cases();
  const char *data = getenv("CARM_DATA");
  char probe[4400];
  snprintf(probe, sizeof probe, "%s/dicom/ct", data ? data : "../shared/data");
  struct stat sb;
  if (stat(probe, &sb) == 0) {
    truncated_real_files(data ? data : "../shared/data");
  } else {
    printf("note: %s absent, truncated real files skipped\n", probe);
  }
  printf("%d hostile inputs handled\n", n_cases);
  char cmd[300];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
  CHECK(system(cmd) == 0);
  return check_done();
}
