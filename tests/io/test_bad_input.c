/* Broken files: every one must fail with the expected status and a message,
 * never crash, never hand back a volume. Also: every prefix of a valid file
 * fails, and single-byte corruption never crashes. */
#include "carm/carm.h"
#include "check.h"
#include "io_test_util.h"

#include <nifti/nifti1.h>
#include <nifti/nifti2.h>

#include <stddef.h>
#include <string.h>

static void expect_fail(const char *name, carm_status want, const char *must_contain) {
  carm_volume *v = NULL;
  carm_error_clear();
  carm_status st = carm_image_read(&v, NULL, tu_path(name));
  const char *msg = carm_last_error();
  CHECK_MSG(st == want, "%s: status %d (%s), want %d: %s", name, (int)st, carm_strerror(st),
            (int)want, msg);
  CHECK_MSG(v == NULL, "%s: a volume came back", name);
  CHECK_MSG(msg[0] != '\0', "%s: no message", name);
  if (must_contain != NULL) {
    CHECK_MSG(strstr(msg, must_contain) != NULL, "%s: message '%s' lacks '%s'", name, msg,
              must_contain);
  }
  printf("  %-22s -> %s: %s\n", name, carm_strerror(st), msg);
  carm_volume_destroy(v);
}

static void mha(const char *name, const char *header, size_t data_bytes) {
  size_t h = strlen(header);
  unsigned char *b = calloc(1, h + data_bytes + 1);
  memcpy(b, header, h);
  tu_write(tu_path(name), b, h + data_bytes);
  free(b);
}

#define HDR(dims, type, extra)                                                                     \
  "ObjectType = Image\nNDims = 3\nDimSize = " dims "\nElementType = " type "\n" extra              \
  "ElementDataFile = LOCAL\n"

static void test_metaimage(void) {
  tu_write(tu_path("empty.mha"), "", 0);
  expect_fail("empty.mha", CARM_ERR_FORMAT, "empty");
  unsigned char junk[300];
  carm_rng rng;
  carm_rng_seed(&rng, 5);
  for (size_t i = 0; i < sizeof junk; i++) {
    junk[i] = (unsigned char)(carm_rng_next(&rng) & 0xff);
  }
  tu_write(tu_path("garbage.mha"), junk, sizeof junk);
  expect_fail("garbage.mha", CARM_ERR_FORMAT, NULL);
  mha("trunc_header.mha", "ObjectType = Image\nNDims = 3\nDimSize = 4 4", 0);
  expect_fail("trunc_header.mha", CARM_ERR_FORMAT, "ElementDataFile");
  mha("trunc_data.mha", HDR("4 4 4", "MET_UCHAR", ""), 10);
  expect_fail("trunc_data.mha", CARM_ERR_FORMAT, "shorter than declared");
  mha("huge.mha", HDR("100000 100000 100000", "MET_FLOAT", ""), 16);
  expect_fail("huge.mha", CARM_ERR_RANGE, "exceeds");
  /* Big but allowed (40 GB as float32): refused from the file size, before
   * any allocation. */
  mha("big_short.mha", HDR("10000 10000 100", "MET_UCHAR", ""), 16);
  expect_fail("big_short.mha", CARM_ERR_FORMAT, "shorter than declared");
  mha("zero_spacing.mha", HDR("2 2 2", "MET_UCHAR", "ElementSpacing = 1 0 1\n"), 8);
  expect_fail("zero_spacing.mha", CARM_ERR_RANGE, "spacing");
  mha("neg_spacing.mha", HDR("2 2 2", "MET_UCHAR", "ElementSpacing = 1 1 -2\n"), 8);
  expect_fail("neg_spacing.mha", CARM_ERR_RANGE, "spacing");
  mha("nan_spacing.mha", HDR("2 2 2", "MET_UCHAR", "ElementSpacing = nan 1 1\n"), 8);
  expect_fail("nan_spacing.mha", CARM_ERR_FORMAT, "non-finite");
  mha("inf_origin.mha", HDR("2 2 2", "MET_UCHAR", "Offset = 0 inf 0\n"), 8);
  expect_fail("inf_origin.mha", CARM_ERR_FORMAT, "non-finite");
  mha("short_list.mha", HDR("2 2 2", "MET_UCHAR", "ElementSpacing = 1 1\n"), 8);
  expect_fail("short_list.mha", CARM_ERR_FORMAT, "ElementSpacing");
  mha("zero_dim.mha", HDR("2 0 2", "MET_UCHAR", ""), 8);
  expect_fail("zero_dim.mha", CARM_ERR_RANGE, "DimSize");
  mha("neg_dim.mha", HDR("2 -3 2", "MET_UCHAR", ""), 8);
  expect_fail("neg_dim.mha", CARM_ERR_RANGE, "DimSize");
  mha("frac_dim.mha", HDR("2 2.5 2", "MET_UCHAR", ""), 8);
  expect_fail("frac_dim.mha", CARM_ERR_RANGE, "DimSize");
  mha("channels.mha", HDR("2 2 2", "MET_UCHAR", "ElementNumberOfChannels = 3\n"), 24);
  expect_fail("channels.mha", CARM_ERR_UNSUPPORTED, "ElementNumberOfChannels");
  mha("type.mha", HDR("2 2 2", "MET_OTHER", ""), 8);
  expect_fail("type.mha", CARM_ERR_UNSUPPORTED, "ElementType");
  mha("no_type.mha", "NDims = 3\nDimSize = 2 2 2\nElementDataFile = LOCAL\n", 8);
  expect_fail("no_type.mha", CARM_ERR_FORMAT, "ElementType");
  mha("ndims5.mha",
      "NDims = 5\nDimSize = 1 1 1 1 1\nElementType = MET_UCHAR\n"
      "ElementDataFile = LOCAL\n",
      1);
  expect_fail("ndims5.mha", CARM_ERR_UNSUPPORTED, "NDims");
  mha("ndims_x.mha", "NDims = three\nElementDataFile = LOCAL\n", 1);
  expect_fail("ndims_x.mha", CARM_ERR_FORMAT, "NDims");
  mha("time.mha",
      "NDims = 4\nDimSize = 1 1 1 3\nElementType = MET_UCHAR\n"
      "ElementDataFile = LOCAL\n",
      3);
  expect_fail("time.mha", CARM_ERR_UNSUPPORTED, "time points");
  mha("singular.mha", HDR("2 2 2", "MET_UCHAR", "TransformMatrix = 1 0 0 1 0 0 0 0 1\n"), 8);
  expect_fail("singular.mha", CARM_ERR_GEOMETRY, "singular");
  mha("list.mhd",
      "NDims = 3\nDimSize = 2 2 2\nElementType = MET_UCHAR\nElementDataFile = LIST\n"
      "a.raw\n",
      0);
  expect_fail("list.mhd", CARM_ERR_UNSUPPORTED, "LIST");
  mha("pattern.mhd",
      "NDims = 3\nDimSize = 2 2 2\nElementType = MET_UCHAR\n"
      "ElementDataFile = slice%03d.raw 1 2 1\n",
      0);
  expect_fail("pattern.mhd", CARM_ERR_UNSUPPORTED, "pattern");
  mha("missing.mhd",
      "NDims = 3\nDimSize = 2 2 2\nElementType = MET_UCHAR\n"
      "ElementDataFile = missing.raw\n",
      0);
  expect_fail("missing.mhd", CARM_ERR_NOTFOUND, "missing.raw");
  mha("ascii.mha", HDR("2 2 2", "MET_UCHAR", "BinaryData = False\n"), 8);
  expect_fail("ascii.mha", CARM_ERR_UNSUPPORTED, "ASCII");
  mha("badbool.mha", HDR("2 2 2", "MET_UCHAR", "CompressedData = maybe\n"), 8);
  expect_fail("badbool.mha", CARM_ERR_FORMAT, "CompressedData");
  mha("noeq.mha", "NDims 3\nElementDataFile = LOCAL\n", 8);
  expect_fail("noeq.mha", CARM_ERR_FORMAT, "Key = Value");
  char longline[6000];
  memset(longline, 'a', sizeof longline - 1);
  longline[sizeof longline - 1] = '\0';
  mha("longline.mha", longline, 0);
  expect_fail("longline.mha", CARM_ERR_FORMAT, "longer than");
  mha("comp_size.mha",
      HDR("2 2 2", "MET_UCHAR",
          "CompressedData = True\n"
          "CompressedDataSize = 100000\n"),
      8);
  expect_fail("comp_size.mha", CARM_ERR_FORMAT, "CompressedDataSize");
  mha("comp_junk.mha", HDR("2 2 2", "MET_UCHAR", "CompressedData = True\n"), 8);
  expect_fail("comp_junk.mha", CARM_ERR_FORMAT, "corrupt");

  /* A real compressed file, then corrupted and truncated. */
  carm_volume *v = tu_volume(16, 16, 8, -1000, 1000, 1, 1);
  carm_write_opts o = CARM_WRITE_INIT;
  o.compress = 1;
  o.dtype = CARM_DTYPE_I16;
  CHECK(carm_image_write(v, tu_path("good_z.mha"), &o) == CARM_OK);
  size_t n = 0;
  unsigned char *b = tu_read(tu_path("good_z.mha"), &n);
  unsigned char *edf = (unsigned char *)strstr((char *)b, "LOCAL\n") + 6;
  size_t hdr_len = (size_t)(edf - b);
  unsigned char *c = malloc(n);
  memcpy(c, b, n);
  for (size_t i = hdr_len + (n - hdr_len) / 2; i < hdr_len + (n - hdr_len) / 2 + 8; i++) {
    c[i] ^= 0x5a;
  }
  tu_write(tu_path("corrupt_z.mha"), c, n);
  expect_fail("corrupt_z.mha", CARM_ERR_FORMAT, "corrupt");
  tu_write(tu_path("trunc_z.mha"), b, hdr_len + (n - hdr_len) / 2);
  expect_fail("trunc_z.mha", CARM_ERR_FORMAT, "CompressedDataSize");
  /* Without CompressedDataSize the truncation is found by zlib. */
  char *cds = strstr((char *)b, "CompressedDataSize");
  memcpy(cds, "XompressedDataSize", 18);
  tu_write(tu_path("trunc_z2.mha"), b, hdr_len + (n - hdr_len) / 2);
  expect_fail("trunc_z2.mha", CARM_ERR_FORMAT, "shorter than declared");
  /* Declared size far beyond what zlib can expand to: refused up front. */
  free(c);
  free(b);
  mha("ratio.mha", HDR("3000 3000 100", "MET_UCHAR", "CompressedData = True\n"), 100);
  expect_fail("ratio.mha", CARM_ERR_FORMAT, "cannot hold");

  /* Every prefix of a valid raw file fails; byte flips never crash. */
  CHECK(carm_image_write(v, tu_path("good.mha"), NULL) == CARM_OK);
  b = tu_read(tu_path("good.mha"), &n);
  int prefix_ok = 0;
  for (size_t len = 0; len < n; len += (len < 600 ? 1 : 97)) {
    tu_write(tu_path("prefix.mha"), b, len);
    carm_volume *r = NULL;
    if (carm_image_read(&r, NULL, tu_path("prefix.mha")) == CARM_OK || r != NULL) {
      prefix_ok++;
    }
    carm_volume_destroy(r);
  }
  CHECK_MSG(prefix_ok == 0, "%d prefixes of good.mha were accepted", prefix_ok);
  for (size_t i = 0; i < 600 && i < n; i++) {
    unsigned char keep = b[i];
    b[i] ^= 0xff;
    tu_write(tu_path("flip.mha"), b, n);
    carm_volume *r = NULL;
    carm_status st = carm_image_read(&r, NULL, tu_path("flip.mha"));
    CHECK((st == CARM_OK) == (r != NULL));
    carm_volume_destroy(r);
    b[i] = keep;
  }
  free(b);
  carm_volume_destroy(v);
}

/* A valid NIfTI-1 file's bytes, to be broken. */
static unsigned char *good_nifti(size_t *n, const char *name) {
  carm_volume *v = tu_volume(6, 5, 4, -100, 100, 1, 2);
  carm_write_opts o = CARM_WRITE_INIT;
  o.dtype = CARM_DTYPE_I16;
  CHECK(carm_image_write(v, tu_path(name), &o) == CARM_OK);
  carm_volume_destroy(v);
  return tu_read(tu_path(name), n);
}

static void nii_patch(const char *name, size_t off, const void *p, size_t len) {
  size_t n = 0;
  unsigned char *b = good_nifti(&n, "base.nii");
  memcpy(b + off, p, len);
  tu_write(tu_path(name), b, n);
  free(b);
}

static void test_nifti(void) {
  tu_write(tu_path("empty.nii"), "", 0);
  expect_fail("empty.nii", CARM_ERR_FORMAT, "empty");
  unsigned char junk[600];
  carm_rng rng;
  carm_rng_seed(&rng, 6);
  for (size_t i = 0; i < sizeof junk; i++) {
    junk[i] = (unsigned char)(carm_rng_next(&rng) & 0xff);
  }
  tu_write(tu_path("garbage.nii"), junk, sizeof junk);
  expect_fail("garbage.nii", CARM_ERR_FORMAT, "not a NIfTI");
  tu_write(tu_path("garbage.nii.gz"), junk, sizeof junk);
  expect_fail("garbage.nii.gz", CARM_ERR_FORMAT, "not a NIfTI");
  size_t n = 0;
  unsigned char *b = good_nifti(&n, "good.nii");
  tu_write(tu_path("trunc_header.nii"), b, 200);
  expect_fail("trunc_header.nii", CARM_ERR_FORMAT, "truncated");
  tu_write(tu_path("trunc_data.nii"), b, n - 7);
  expect_fail("trunc_data.nii", CARM_ERR_FORMAT, "shorter than declared");
  int prefix_ok = 0;
  for (size_t len = 0; len < n; len++) {
    tu_write(tu_path("prefix.nii"), b, len);
    carm_volume *r = NULL;
    if (carm_image_read(&r, NULL, tu_path("prefix.nii")) == CARM_OK || r != NULL) {
      prefix_ok++;
    }
    carm_volume_destroy(r);
  }
  CHECK_MSG(prefix_ok == 0, "%d prefixes of good.nii were accepted", prefix_ok);
  free(b);

  short d16[8] = {3, 32767, 32767, 32767, 1, 1, 1, 1};
  nii_patch("huge.nii", offsetof(nifti_1_header, dim), d16, sizeof d16);
  expect_fail("huge.nii", CARM_ERR_RANGE, "exceeds");
  short d4[8] = {4, 6, 5, 4, 5, 1, 1, 1};
  nii_patch("4d.nii", offsetof(nifti_1_header, dim), d4, sizeof d4);
  expect_fail("4d.nii", CARM_ERR_UNSUPPORTED, "dim[4]");
  short dneg[8] = {3, 6, -5, 4, 1, 1, 1, 1};
  nii_patch("negdim.nii", offsetof(nifti_1_header, dim), dneg, sizeof dneg);
  expect_fail("negdim.nii", CARM_ERR_RANGE, "dim[2]");
  short d0[8] = {0, 6, 5, 4, 1, 1, 1, 1};
  nii_patch("dim0.nii", offsetof(nifti_1_header, dim), d0, sizeof d0);
  expect_fail("dim0.nii", CARM_ERR_FORMAT, "dim[0]");
  short rgb = NIFTI_TYPE_RGB24;
  nii_patch("rgb.nii", offsetof(nifti_1_header, datatype), &rgb, 2);
  expect_fail("rgb.nii", CARM_ERR_UNSUPPORTED, "datatype");
  float off = 100.0f;
  nii_patch("voxoff.nii", offsetof(nifti_1_header, vox_offset), &off, 4);
  expect_fail("voxoff.nii", CARM_ERR_FORMAT, "vox_offset");
  off = NAN;
  nii_patch("voxoff_nan.nii", offsetof(nifti_1_header, vox_offset), &off, 4);
  expect_fail("voxoff_nan.nii", CARM_ERR_FORMAT, "vox_offset");
  off = 1e9f;
  nii_patch("voxoff_far.nii", offsetof(nifti_1_header, vox_offset), &off, 4);
  expect_fail("voxoff_far.nii", CARM_ERR_FORMAT, "shorter than declared");
  nii_patch("magic.nii", offsetof(nifti_1_header, magic), "ni1", 4);
  expect_fail("magic.nii", CARM_ERR_UNSUPPORTED, "pair");
  nii_patch("analyze.nii", offsetof(nifti_1_header, magic), "\0\0\0", 4);
  expect_fail("analyze.nii", CARM_ERR_UNSUPPORTED, "ANALYZE");
  float nanrow[4] = {1, 0, NAN, 0};
  nii_patch("nan_srow.nii", offsetof(nifti_1_header, srow_y), nanrow, sizeof nanrow);
  expect_fail("nan_srow.nii", CARM_ERR_FORMAT, "sform");
  float zerorow[4] = {0, 0, 0, 0};
  nii_patch("zero_col.nii", offsetof(nifti_1_header, srow_x), zerorow, sizeof zerorow);
  /* srow_x all zero leaves the columns non-zero but the matrix singular. */
  expect_fail("zero_col.nii", CARM_ERR_GEOMETRY, "singular");
  /* qform only, with a zero, a negative and a NaN pixdim. */
  size_t m = 0;
  unsigned char *q = good_nifti(&m, "q.nii");
  short zero = 0;
  memcpy(q + offsetof(nifti_1_header, sform_code), &zero, 2);
  float pd[3] = {0.0f, -1.0f, NAN};
  const char *names[3] = {"pixdim_zero.nii", "pixdim_neg.nii", "pixdim_nan.nii"};
  for (int i = 0; i < 3; i++) {
    memcpy(q + offsetof(nifti_1_header, pixdim) + 8, &pd[i], 4);
    tu_write(tu_path(names[i]), q, m);
    expect_fail(names[i], CARM_ERR_RANGE, "pixdim[2]");
  }
  free(q);

  /* NIfTI-2 with 100000^3 voxels. */
  nifti_2_header h2;
  memset(&h2, 0, sizeof h2);
  h2.sizeof_hdr = 540;
  memcpy(h2.magic, "n+2\0\r\n\032\n", 8);
  h2.datatype = NIFTI_TYPE_FLOAT32;
  h2.bitpix = 32;
  h2.dim[0] = 3;
  h2.dim[1] = h2.dim[2] = h2.dim[3] = 100000;
  h2.pixdim[1] = h2.pixdim[2] = h2.pixdim[3] = 1.0;
  h2.vox_offset = 544;
  unsigned char buf2[600];
  memset(buf2, 0, sizeof buf2);
  memcpy(buf2, &h2, sizeof h2);
  tu_write(tu_path("huge2.nii"), buf2, sizeof buf2);
  expect_fail("huge2.nii", CARM_ERR_RANGE, "exceeds");
  h2.dim[1] = h2.dim[2] = h2.dim[3] = 2;
  h2.vox_offset = 10;
  memcpy(buf2, &h2, sizeof h2);
  tu_write(tu_path("voxoff2.nii"), buf2, sizeof buf2);
  expect_fail("voxoff2.nii", CARM_ERR_FORMAT, "vox_offset");

  /* Compressed: truncated and corrupted gzip streams. */
  b = good_nifti(&n, "good.nii.gz");
  tu_write(tu_path("trunc.nii.gz"), b, n / 2);
  expect_fail("trunc.nii.gz", CARM_ERR_FORMAT, NULL);
  tu_write(tu_path("trunc_tail.nii.gz"), b, n - 4);
  expect_fail("trunc_tail.nii.gz", CARM_ERR_FORMAT, NULL);
  for (size_t i = n / 2; i < n / 2 + 4; i++) {
    b[i] ^= 0x33;
  }
  tu_write(tu_path("corrupt.nii.gz"), b, n);
  expect_fail("corrupt.nii.gz", CARM_ERR_FORMAT, "corrupt");
  free(b);
  expect_fail("does_not_exist.nii", CARM_ERR_NOTFOUND, "does_not_exist");
  /* A gzip file far too small for its declared size (2000x2000x500
   * float32, 8 GB, from a few hundred bytes). */
  nifti_1_header h1;
  memset(&h1, 0, sizeof h1);
  h1.sizeof_hdr = 348;
  h1.dim[0] = 3;
  h1.dim[1] = h1.dim[2] = 2000;
  h1.dim[3] = 500;
  h1.datatype = NIFTI_TYPE_FLOAT32;
  h1.bitpix = 32;
  h1.pixdim[1] = h1.pixdim[2] = h1.pixdim[3] = 1.0f;
  h1.vox_offset = 352;
  memcpy(h1.magic, "n+1", 4);
  tu_write(tu_path("ratio_raw.nii"), &h1, sizeof h1);
  char cmd[1200];
  snprintf(cmd, sizeof cmd, "gzip -c %s > %s", tu_path("ratio_raw.nii"), tu_path("ratio.nii.gz"));
  CHECK(system(cmd) == 0);
  expect_fail("ratio.nii.gz", CARM_ERR_FORMAT, "cannot hold");
}

int main(void) {
  tu_mkdir();
  test_metaimage();
  test_nifti();
  tu_cleanup();
  return check_done();
}
