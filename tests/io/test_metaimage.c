/* MetaImage: round trips for every element type (raw, compressed, .mha and
 * .mhd+raw), rounding and clamping, hand-written headers for the key
 * variants (ElementSize, Position/Orientation, NDims 2 and 4, MSB data,
 * HeaderSize, relative data file) and ITK's TransformMatrix order. */
#include "carm/carm.h"
#include "check.h"
#include "io_test_util.h"

#include <math.h>
#include <string.h>

typedef struct type_case {
  carm_dtype dtype;
  double lo, hi; /* representable range used for the values */
  int integral;
} type_case;

static const type_case types[] = {
    {CARM_DTYPE_U8, 0, 255, 1},       {CARM_DTYPE_I8, -128, 127, 1},
    {CARM_DTYPE_U16, 0, 65535, 1},    {CARM_DTYPE_I16, -32768, 32767, 1},
    {CARM_DTYPE_U32, 0, 16777216, 1}, {CARM_DTYPE_I32, -16777216, 16777216, 1},
    {CARM_DTYPE_F32, -1e6, 1e6, 0},   {CARM_DTYPE_F64, -1e-3, 1e-3, 0}};

static void check_same_grid(const carm_volume *a, const carm_volume *b) {
  for (int i = 0; i < 3; i++) {
    CHECK(a->dims[i] == b->dims[i]);
    CHECK(a->spacing[i] == b->spacing[i]);
    CHECK(a->origin[i] == b->origin[i]);
    for (int j = 0; j < 3; j++) {
      CHECK(a->direction[i][j] == b->direction[i][j]);
    }
  }
}

static void test_round_trips(void) {
  const char *suffixes[] = {".mha", ".mhd"};
  for (size_t t = 0; t < sizeof types / sizeof types[0]; t++) {
    for (int compress = 0; compress <= 1; compress++) {
      for (int s = 0; s < 2; s++) {
        carm_volume *v = tu_volume(7, 5, 3, types[t].lo, types[t].hi, types[t].integral, t + 1);
        v->data[0] = (float)types[t].lo; /* extremes exactly */
        v->data[1] = (float)types[t].hi;
        char name[64];
        snprintf(name, sizeof name, "rt_%s_%d%s", carm_dtype_name(types[t].dtype), compress,
                 suffixes[s]);
        const char *p = tu_path(name);
        carm_write_opts o = CARM_WRITE_INIT;
        o.dtype = types[t].dtype;
        o.compress = compress;
        CHECK_MSG(carm_image_write(v, p, &o) == CARM_OK, "%s: %s", name, carm_last_error());
        carm_volume *r = NULL;
        carm_image_info info;
        CHECK_MSG(carm_image_read(&r, &info, p) == CARM_OK, "%s: %s", name, carm_last_error());
        if (r == NULL) {
          carm_volume_destroy(v);
          continue;
        }
        check_same_grid(v, r);
        CHECK(info.dtype == types[t].dtype);
        CHECK(info.compressed == compress);
        CHECK(strcmp(info.format, "MetaImage") == 0);
        int64_t bad = 0;
        for (int64_t i = 0; i < carm_volume_count(v); i++) {
          double want = types[t].dtype == CARM_DTYPE_F64 ? (double)v->data[i] : v->data[i];
          if ((double)r->data[i] != want) {
            bad++;
          }
        }
        CHECK_MSG(bad == 0, "%s: %lld values differ", name, (long long)bad);
        if (s == 1) {
          char data[80];
          snprintf(data, sizeof data, "rt_%s_%d.%s", carm_dtype_name(types[t].dtype), compress,
                   compress ? "zraw" : "raw");
          CHECK(tu_exists(tu_path(data)));
        }
        carm_volume_destroy(r);
        carm_volume_destroy(v);
      }
    }
  }
}

static void test_rounding_clamping(void) {
  int64_t dims[3] = {8, 1, 1};
  carm_volume *v = NULL;
  CHECK(carm_volume_create(&v, dims) == CARM_OK);
  const float in[8] = {2.5f, -2.5f, 2.49f, 300.0f, -7.0f, NAN, 254.5f, 0.5f};
  const float u8[8] = {3, 0, 2, 255, 0, 0, 255, 1};
  const float i8[8] = {3, -3, 2, 127, -7, 0, 127, 1};
  memcpy(v->data, in, sizeof in);
  carm_write_opts o = CARM_WRITE_INIT;
  o.dtype = CARM_DTYPE_U8;
  CHECK(carm_image_write(v, tu_path("clamp_u8.mha"), &o) == CARM_OK);
  o.dtype = CARM_DTYPE_I8;
  CHECK(carm_image_write(v, tu_path("clamp_i8.mha"), &o) == CARM_OK);
  carm_volume *a = NULL, *b = NULL;
  CHECK(carm_image_read(&a, NULL, tu_path("clamp_u8.mha")) == CARM_OK);
  CHECK(carm_image_read(&b, NULL, tu_path("clamp_i8.mha")) == CARM_OK);
  for (int i = 0; a != NULL && b != NULL && i < 8; i++) {
    CHECK_MSG(a->data[i] == u8[i], "u8[%d] = %g, want %g", i, (double)a->data[i], (double)u8[i]);
    CHECK_MSG(b->data[i] == i8[i], "i8[%d] = %g, want %g", i, (double)b->data[i], (double)i8[i]);
  }
  carm_volume_destroy(a);
  carm_volume_destroy(b);
  carm_volume_destroy(v);
}

/* Write a header (text) followed by `n` data bytes. */
static void write_mha(const char *path, const char *header, const void *data, size_t n) {
  size_t h = strlen(header);
  unsigned char *b = malloc(h + n + 1);
  memcpy(b, header, h);
  if (n > 0) {
    memcpy(b + h, data, n);
  }
  tu_write(path, b, h + n);
  free(b);
}

static void test_transform_order(void) {
  /* Column 0 (the x axis) is listed first: x runs along +y (LPS), y along -x. */
  const char *hdr = "ObjectType = Image\nNDims = 3\nBinaryData = True\n"
                    "BinaryDataByteOrderMSB = False\nCompressedData = False\n"
                    "TransformMatrix = 0 1 0 -1 0 0 0 0 1\nOffset = 10 20 30\n"
                    "ElementSpacing = 2 3 4\nDimSize = 2 2 1\nElementType = MET_UCHAR\n"
                    "ElementDataFile = LOCAL\n";
  const unsigned char data[4] = {1, 2, 3, 4};
  write_mha(tu_path("tm.mha"), hdr, data, 4);
  carm_volume *v = NULL;
  CHECK(carm_image_read(&v, NULL, tu_path("tm.mha")) == CARM_OK);
  if (v == NULL) {
    return;
  }
  double p[3];
  carm_volume_index_to_point(v, (const double[3]){1, 0, 0}, p);
  CHECK_NEAR(p[0], 10, 1e-12);
  CHECK_NEAR(p[1], 22, 1e-12);
  CHECK_NEAR(p[2], 30, 1e-12);
  carm_volume_index_to_point(v, (const double[3]){0, 1, 0}, p);
  CHECK_NEAR(p[0], 7, 1e-12);
  CHECK_NEAR(p[1], 20, 1e-12);
  CHECK(v->data[1] == 2 && v->data[2] == 3);
  /* Writing gives the same TransformMatrix text back. */
  CHECK(carm_image_write(v, tu_path("tm2.mha"), NULL) == CARM_OK);
  size_t n = 0;
  unsigned char *b = tu_read(tu_path("tm2.mha"), &n);
  CHECK(b != NULL && strstr((char *)b, "TransformMatrix = 0 1 0 -1 0 0 0 0 1\n") != NULL);
  CHECK(b != NULL && strstr((char *)b, "Offset = 10 20 30\n") != NULL);
  free(b);
  carm_volume_destroy(v);
}

static void test_header_variants(void) {
  /* NDims 2, ElementSize, Position and Orientation, big-endian shorts. */
  const unsigned char be[6] = {0x01, 0x02, 0xff, 0xfe, 0x00, 0x07};
  write_mha(tu_path("v2d.mha"),
            "NDims = 2\nDimSize = 3 1\nElementSize = 0.5 0.25\nPosition = 1 2\n"
            "Orientation = 1 0 0 1\nElementByteOrderMSB = True\nElementType = MET_SHORT\n"
            "ElementDataFile = LOCAL\n",
            be, 6);
  carm_volume *v = NULL;
  CHECK_MSG(carm_image_read(&v, NULL, tu_path("v2d.mha")) == CARM_OK, "%s", carm_last_error());
  if (v != NULL) {
    CHECK(v->dims[0] == 3 && v->dims[1] == 1 && v->dims[2] == 1);
    CHECK(v->spacing[0] == 0.5 && v->spacing[1] == 0.25 && v->spacing[2] == 1.0);
    CHECK(v->origin[0] == 1 && v->origin[1] == 2 && v->origin[2] == 0);
    CHECK(v->data[0] == 258 && v->data[1] == -2 && v->data[2] == 7);
  }
  carm_volume_destroy(v);

  /* NDims 4 with one time point. */
  const unsigned char d4[2] = {5, 6};
  write_mha(tu_path("v4d.mha"),
            "NDims = 4\nDimSize = 1 2 1 1\nElementSpacing = 1 1 1 1\nOffset = 0 0 0 0\n"
            "TransformMatrix = 1 0 0 0 0 1 0 0 0 0 1 0 0 0 0 1\nElementType = MET_UCHAR\n"
            "ElementDataFile = LOCAL\n",
            d4, 2);
  v = NULL;
  CHECK_MSG(carm_image_read(&v, NULL, tu_path("v4d.mha")) == CARM_OK, "%s", carm_last_error());
  CHECK(v != NULL && v->dims[1] == 2 && v->data[1] == 6);
  carm_volume_destroy(v);

  /* .mhd with a data file in a sub-folder and a 3-byte HeaderSize to skip. */
  mkdir(tu_path("sub"), 0755);
  const unsigned char raw[7] = {9, 9, 9, 10, 0, 20, 0};
  tu_write(tu_path("sub/data.bin"), raw, 7);
  write_mha(tu_path("hs.mhd"),
            "NDims = 3\nDimSize = 2 1 1\nElementType = MET_USHORT\nHeaderSize = 3\n"
            "ElementDataFile = sub/data.bin\n",
            NULL, 0);
  v = NULL;
  CHECK_MSG(carm_image_read(&v, NULL, tu_path("hs.mhd")) == CARM_OK, "%s", carm_last_error());
  CHECK(v != NULL && v->data[0] == 10 && v->data[1] == 20);
  carm_volume_destroy(v);

  /* HeaderSize = -1: the data sits at the end of the file. */
  write_mha(tu_path("hs1.mhd"),
            "NDims = 3\nDimSize = 1 1 1\nElementType = MET_USHORT\nHeaderSize = -1\n"
            "ElementDataFile = sub/data.bin\n",
            NULL, 0);
  v = NULL;
  CHECK_MSG(carm_image_read(&v, NULL, tu_path("hs1.mhd")) == CARM_OK, "%s", carm_last_error());
  CHECK(v != NULL && v->data[0] == 20);
  carm_volume_destroy(v);

  /* A non-unit TransformMatrix column scales its axis: folded into spacing. */
  const unsigned char d1[1] = {1};
  write_mha(tu_path("scaled_tm.mha"),
            "NDims = 3\nDimSize = 1 1 1\nElementSpacing = 1.5 1 1\n"
            "TransformMatrix = 0 2 0 1 0 0 0 0 1\nElementType = MET_UCHAR\n"
            "ElementDataFile = LOCAL\n",
            d1, 1);
  v = NULL;
  CHECK_MSG(carm_image_read(&v, NULL, tu_path("scaled_tm.mha")) == CARM_OK, "%s",
            carm_last_error());
  CHECK(v != NULL && v->spacing[0] == 3.0 && v->direction[1][0] == 1.0 && v->spacing[1] == 1.0);
  carm_volume_destroy(v);

  /* MET_LONG is 4 bytes in MetaIO. CRLF line ends are accepted. */
  const int32_t l[2] = {-5, 100000};
  write_mha(tu_path("long.mha"),
            "NDims = 3\r\nDimSize = 2 1 1\r\nElementType = MET_LONG\r\nElementDataFile = LOCAL\r\n",
            l, sizeof l);
  v = NULL;
  CHECK_MSG(carm_image_read(&v, NULL, tu_path("long.mha")) == CARM_OK, "%s", carm_last_error());
  CHECK(v != NULL && v->data[0] == -5 && v->data[1] == 100000);
  carm_volume_destroy(v);
}

static void test_overwrite_and_temp(void) {
  carm_volume *v = tu_volume(4, 4, 4, 0, 1, 0, 9);
  int before = tu_count_files();
  CHECK(carm_image_write(v, tu_path("ow.mha"), NULL) == CARM_OK);
  v->data[0] = 42.0f;
  CHECK(carm_image_write(v, tu_path("ow.mha"), NULL) == CARM_OK);
  carm_volume *r = NULL;
  CHECK(carm_image_read(&r, NULL, tu_path("ow.mha")) == CARM_OK);
  CHECK(r != NULL && r->data[0] == 42.0f);
  CHECK(tu_count_files() == before + 1); /* no temporary file left */
  /* A bad destination fails cleanly. */
  CHECK(carm_image_write(v, tu_path("no/such/dir/x.mha"), NULL) == CARM_ERR_IO);
  CHECK(carm_image_write(v, tu_path("x.png"), NULL) == CARM_ERR_UNSUPPORTED);
  carm_write_opts o = CARM_WRITE_INIT;
  o.version = 2;
  CHECK(carm_image_write(v, tu_path("x.mha"), &o) == CARM_ERR_INVALID);
  v->spacing[1] = 0.0;
  CHECK(carm_image_write(v, tu_path("x.mha"), NULL) < 0);
  CHECK(!tu_exists(tu_path("x.mha")));
  carm_volume_destroy(r);
  carm_volume_destroy(v);
}

int main(void) {
  tu_mkdir();
  test_round_trips();
  test_rounding_clamping();
  test_transform_order();
  test_header_variants();
  test_overwrite_and_temp();
  tu_cleanup();
  return check_done();
}
