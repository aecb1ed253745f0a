/* Reading DICOM: image series, Enhanced multi-frame objects, XA runs.
 * Parsing and decoding go through the GDCM adapter (dicom_gdcm.h); the
 * geometry, sorting, checks and conversions are here, in C. */
#include "carm/dicom.h"
#include "io/dicom_gdcm.h"
#include "io/dicom_internal.h"

#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* Largest decoded pixel buffer one object may produce. */
#define DICOM_MAX_PIXEL_BYTES ((uint64_t)8 << 30)
/* Largest number of files in one series. */
#define DICOM_MAX_FILES 100000

/* ---- small helpers over the adapter ---------------------------------------- */

static int get_str(const cdg_file *f, const char *path, char *buf, size_t cap) {
  return cdg_get(f, path, buf, cap) >= 0;
}

/* Parse up to `n` '\\'-separated numbers; returns how many were read, or -1
 * when a token is not a finite number. */
static int parse_numbers(const char *s, double *out, int n) {
  int count = 0;
  const char *p = s;
  while (*p != '\0' && count < n) {
    char *end = NULL;
    errno = 0;
    double v = strtod(p, &end);
    if (end == p || errno == ERANGE || !isfinite(v)) {
      return -1;
    }
    while (*end == ' ') {
      end++;
    }
    out[count++] = v;
    if (*end == '\\') {
      p = end + 1;
    } else if (*end == '\0') {
      break;
    } else {
      return -1;
    }
  }
  return count;
}

/* Exactly `n` numbers at `path`: 1; absent or malformed: 0. */
static int get_doubles(const cdg_file *f, const char *path, double *out, int n) {
  char buf[1024];
  if (cdg_get(f, path, buf, sizeof buf) <= 0) {
    return 0;
  }
  return parse_numbers(buf, out, n) == n;
}

static int get_double(const cdg_file *f, const char *path, double *out) {
  return get_doubles(f, path, out, 1);
}

/* A list of numbers of any length (malloc'ed); returns the count, 0 when
 * absent, -1 on a malformed value or no memory. */
static int64_t get_number_list(const cdg_file *f, const char *path, double **out) {
  *out = NULL;
  int64_t len = cdg_get(f, path, NULL, 0);
  if (len <= 0) {
    return len == 0 || len == -1 ? 0 : -1;
  }
  char *buf = malloc((size_t)len + 1);
  if (buf == NULL) {
    return -1;
  }
  cdg_get(f, path, buf, (size_t)len + 1);
  int64_t n = 1;
  for (int64_t i = 0; i < len; i++) {
    n += buf[i] == '\\';
  }
  double *v = malloc((size_t)n * sizeof *v);
  if (v == NULL || parse_numbers(buf, v, (int)n) != n) {
    free(buf);
    free(v);
    return -1;
  }
  free(buf);
  *out = v;
  return n;
}

static void fill_meta(const cdg_file *f, carm_dicom_meta *m) {
  memset(m, 0, sizeof *m);
  get_str(f, "0008,0016", m->sop_class_uid, sizeof m->sop_class_uid);
  get_str(f, "0008,0018", m->sop_instance_uid, sizeof m->sop_instance_uid);
  cdg_transfer_syntax(f, m->transfer_syntax_uid, sizeof m->transfer_syntax_uid);
  get_str(f, "0008,0060", m->modality, sizeof m->modality);
  get_str(f, "0020,000d", m->study_instance_uid, sizeof m->study_instance_uid);
  get_str(f, "0020,000e", m->series_instance_uid, sizeof m->series_instance_uid);
  get_str(f, "0020,0052", m->frame_of_reference_uid, sizeof m->frame_of_reference_uid);
  get_str(f, "0010,0010", m->patient_name, sizeof m->patient_name);
  get_str(f, "0010,0020", m->patient_id, sizeof m->patient_id);
  get_str(f, "0010,0030", m->patient_birth_date, sizeof m->patient_birth_date);
  get_str(f, "0010,0040", m->patient_sex, sizeof m->patient_sex);
  get_str(f, "0018,5100", m->patient_position, sizeof m->patient_position);
  get_str(f, "0008,0020", m->study_date, sizeof m->study_date);
  get_str(f, "0008,0030", m->study_time, sizeof m->study_time);
  get_str(f, "0020,0010", m->study_id, sizeof m->study_id);
  get_str(f, "0008,0050", m->accession_number, sizeof m->accession_number);
  get_str(f, "0008,0090", m->referring_physician, sizeof m->referring_physician);
  get_str(f, "0008,1030", m->study_description, sizeof m->study_description);
  get_str(f, "0008,103e", m->series_description, sizeof m->series_description);
  get_str(f, "0008,0070", m->manufacturer, sizeof m->manufacturer);
  get_str(f, "0028,0004", m->photometric, sizeof m->photometric);
  double v = 0.0;
  m->series_number = get_double(f, "0020,0011", &v) && fabs(v) < 1e15 ? (int64_t)v : 0;
  m->rows = get_double(f, "0028,0010", &v) && v >= 0 && v < 1e9 ? (int64_t)v : 0;
  m->columns = get_double(f, "0028,0011", &v) && v >= 0 && v < 1e9 ? (int64_t)v : 0;
  m->frames = get_double(f, "0028,0008", &v) && v >= 1 && v < 1e9 ? (int64_t)v : 1;
  m->rescale_slope = 1.0;
  m->rescale_intercept = 0.0;
  if (get_double(f, "0028,1053", &v)) {
    m->rescale_slope = v;
  } else if (get_double(f, "5200,9229[0]/0028,9145[0]/0028,1053", &v) ||
             get_double(f, "5200,9230[0]/0028,9145[0]/0028,1053", &v)) {
    m->rescale_slope = v;
  }
  if (get_double(f, "0028,1052", &v)) {
    m->rescale_intercept = v;
  } else if (get_double(f, "5200,9229[0]/0028,9145[0]/0028,1052", &v) ||
             get_double(f, "5200,9230[0]/0028,9145[0]/0028,1052", &v)) {
    m->rescale_intercept = v;
  }
  m->n_objects = 1;
}

static carm_status open_dicom(cdg_file **out, const char *path) {
  carm_status st = carm__dicom_precheck(path);
  if (st != CARM_OK) {
    return st;
  }
  char err[256] = "";
  cdg_file *f = cdg_open(path, err, sizeof err);
  if (f == NULL) {
    return carm_error(CARM_ERR_FORMAT, "%s: %s", path, err);
  }
  *out = f;
  return CARM_OK;
}

carm_status carm_dicom_read_meta(carm_dicom_meta *meta, const char *path) {
  if (meta == NULL || path == NULL) {
    return carm_error(CARM_ERR_INVALID, "carm_dicom_read_meta: NULL argument");
  }
  cdg_file *f = NULL;
  carm_status st = open_dicom(&f, path);
  if (st != CARM_OK) {
    return st;
  }
  fill_meta(f, meta);
  cdg_close(f);
  return CARM_OK;
}

/* ---- pixels ---------------------------------------------------------------- */

/* Stored value of sample `s` of pixel `i` in frame `k` (before rescale). */
static double px_sample(const cdg_pixels *px, int64_t k, int64_t i, int s) {
  int64_t npix = (int64_t)px->cols * px->rows;
  int64_t idx;
  if (px->samples > 1 && px->planar == 1) {
    idx = (k * px->samples + s) * npix + i;
  } else {
    idx = (k * npix + i) * px->samples + s;
  }
  const unsigned char *b = px->data;
  int stored = px->bits_stored > 0 && px->bits_stored <= px->bits_allocated ? px->bits_stored
                                                                            : px->bits_allocated;
  switch (px->bits_allocated) {
  case 1: return (double)((b[idx >> 3] >> (idx & 7)) & 1);
  case 8: {
    uint32_t v = b[idx];
    if (stored < 8) {
      v &= (1u << stored) - 1u;
    }
    if (px->pixel_rep == 1 && (v >> (stored - 1)) & 1u) {
      return (double)v - (double)(1u << stored);
    }
    return (double)v;
  }
  case 16: {
    uint16_t raw;
    memcpy(&raw, b + idx * 2, 2);
    uint32_t v = raw;
    if (stored < 16) {
      v &= (1u << stored) - 1u;
    }
    if (px->pixel_rep == 1 && (v >> (stored - 1)) & 1u) {
      return (double)v - (double)(1u << stored);
    }
    return (double)v;
  }
  case 32: {
    uint32_t v;
    memcpy(&v, b + idx * 4, 4);
    if (px->pixel_rep == 1) {
      int32_t sv;
      memcpy(&sv, &v, 4);
      return (double)sv;
    }
    return (double)v;
  }
  default: return 0.0;
  }
}

static carm_status check_pixels(const cdg_pixels *px, const char *path) {
  int ba = px->bits_allocated;
  if (ba != 1 && ba != 8 && ba != 16 && ba != 32) {
    return carm_error(CARM_ERR_UNSUPPORTED, "%s: %d bits allocated per sample", path, ba);
  }
  if (px->samples != 1 && px->samples != 3) {
    return carm_error(CARM_ERR_UNSUPPORTED, "%s: %d samples per pixel", path, px->samples);
  }
  uint64_t need = (uint64_t)px->cols * px->rows * px->frames * (uint64_t)px->samples * (uint64_t)ba;
  if ((need + 7) / 8 > px->bytes) {
    return carm_error(CARM_ERR_FORMAT, "%s: pixel data shorter than its header says", path);
  }
  return CARM_OK;
}

/* Frame `k` of `px` → dst (cols*rows floats), luminance for RGB, then
 * value·slope + intercept. YBR photometric: the first sample is Y. */
static void px_frame(const cdg_pixels *px, int64_t k, double slope, double intercept, float *dst) {
  int64_t npix = (int64_t)px->cols * px->rows;
  int rgb = px->samples == 3 && strncmp(px->photometric, "YBR", 3) != 0;
  int mono1 = strncmp(px->photometric, "MONOCHROME1", 11) == 0;
  (void)mono1; /* stored values are kept: the rescale gives the physical value */
  for (int64_t i = 0; i < npix; i++) {
    double v;
    if (px->samples == 3) {
      v = rgb ? 0.299 * px_sample(px, k, i, 0) + 0.587 * px_sample(px, k, i, 1) +
                    0.114 * px_sample(px, k, i, 2)
              : px_sample(px, k, i, 0);
    } else {
      v = px_sample(px, k, i, 0);
    }
    dst[i] = (float)(v * slope + intercept);
  }
}

/* An integer attribute in [lo, hi]; `def` when absent. 0 when malformed or
 * out of range. */
static int get_int(const cdg_file *f, const char *path, int64_t def, int64_t lo, int64_t hi,
                   int64_t *out) {
  char buf[64];
  int64_t len = cdg_get(f, path, buf, sizeof buf);
  if (len <= 0) {
    *out = def;
    return len == 0 || len == -1;
  }
  double v;
  if (parse_numbers(buf, &v, 1) < 1 || v != floor(v) || v < (double)lo || v > (double)hi) {
    return 0;
  }
  *out = (int64_t)v;
  return 1;
}

/* The pixel layout from the Image Pixel attributes, checked (GDCM asserts
 * on impossible formats, so nothing odd may reach it). */
static carm_status pixel_layout(const cdg_file *f, const char *path, cdg_pixels *px) {
  int64_t rows, cols, frames, samples, ba, bs, hb, rep, planar;
  if (!get_int(f, "0028,0010", 0, 1, 65535, &rows) || rows < 1 ||
      !get_int(f, "0028,0011", 0, 1, 65535, &cols) || cols < 1) {
    return carm_error(CARM_ERR_FORMAT, "%s: missing or invalid Rows/Columns", path);
  }
  if (!get_int(f, "0028,0008", 1, 1, 10000000, &frames)) {
    return carm_error(CARM_ERR_FORMAT, "%s: invalid Number of Frames", path);
  }
  if (!get_int(f, "0028,0002", 1, 1, 3, &samples) || samples == 2) {
    return carm_error(CARM_ERR_UNSUPPORTED, "%s: unsupported Samples per Pixel", path);
  }
  if (!get_int(f, "0028,0100", 0, 1, 32, &ba) || (ba != 1 && ba != 8 && ba != 16 && ba != 32)) {
    return carm_error(CARM_ERR_UNSUPPORTED, "%s: unsupported Bits Allocated", path);
  }
  if (!get_int(f, "0028,0101", ba, 1, ba, &bs) ||
      !get_int(f, "0028,0102", bs - 1, 0, ba - 1, &hb)) {
    return carm_error(CARM_ERR_FORMAT, "%s: invalid Bits Stored/High Bit", path);
  }
  if (hb != bs - 1) {
    return carm_error(CARM_ERR_UNSUPPORTED, "%s: High Bit %lld with Bits Stored %lld", path,
                      (long long)hb, (long long)bs);
  }
  if (!get_int(f, "0028,0103", 0, 0, 1, &rep) || !get_int(f, "0028,0006", 0, 0, 1, &planar)) {
    return carm_error(CARM_ERR_FORMAT, "%s: invalid Pixel Representation/Planar Configuration",
                      path);
  }
  memset(px, 0, sizeof *px);
  px->rows = (uint32_t)rows;
  px->cols = (uint32_t)cols;
  px->frames = (uint32_t)frames;
  px->samples = (int)samples;
  px->bits_allocated = (int)ba;
  px->bits_stored = (int)bs;
  px->high_bit = (int)hb;
  px->pixel_rep = (int)rep;
  px->planar = (int)planar;
  get_str(f, "0028,0004", px->photometric, sizeof px->photometric);
  return CARM_OK;
}

static carm_status decode(const cdg_file *f, const char *path, const char *transfer_syntax,
                          cdg_pixels *px) {
  carm_status st = pixel_layout(f, path, px);
  if (st != CARM_OK) {
    return st;
  }
  /* The decoded size may not exceed what the file can hold: its own size
   * for native (uncompressed) pixel data, 1000 times that (plus 64 MiB) for
   * compressed data, so a tiny hostile file cannot make us allocate GiBs. */
  struct stat sb;
  if (stat(path, &sb) != 0) {
    return carm_error(CARM_ERR_IO, "%s: %s", path, strerror(errno));
  }
  uint64_t size = (uint64_t)sb.st_size;
  int native = strcmp(transfer_syntax, "1.2.840.10008.1.2") == 0 ||
               strcmp(transfer_syntax, "1.2.840.10008.1.2.1") == 0 ||
               strcmp(transfer_syntax, "1.2.840.10008.1.2.2") == 0;
  uint64_t max = native ? size : size * 1000 + ((uint64_t)64 << 20);
  if (max > DICOM_MAX_PIXEL_BYTES) {
    max = DICOM_MAX_PIXEL_BYTES;
  }
  char err[256] = "";
  if (cdg_decode(f, max, px, err, sizeof err) != 0) {
    return carm_error(CARM_ERR_FORMAT, "%s: %s", path, err);
  }
  st = check_pixels(px, path);
  if (st != CARM_OK) {
    free(px->data);
    px->data = NULL;
  }
  return st;
}

/* ---- geometry helpers -------------------------------------------------------- */

/* Orientation (6 numbers) → orthonormal row, column and normal; 0 when
 * degenerate. */
static int orientation_axes(const double iop[6], double dir[3][3]) {
  double r[3] = {iop[0], iop[1], iop[2]};
  double c[3] = {iop[3], iop[4], iop[5]};
  if (carm_vec3_normalize(r) < 1e-6 || carm_vec3_normalize(c) < 1e-6) {
    return 0;
  }
  if (fabs(carm_vec3_dot(r, c)) > 1e-3) {
    return 0;
  }
  double n[3];
  carm_vec3_cross(r, c, n);
  carm_vec3_normalize(n);
  for (int i = 0; i < 3; i++) {
    dir[i][0] = r[i];
    dir[i][1] = c[i];
    dir[i][2] = n[i];
  }
  return 1;
}

typedef struct frame_pos {
  int64_t index; /* frame or file index */
  double d;      /* position along the normal */
  double ipp[3];
} frame_pos;

static int cmp_pos(const void *a, const void *b) {
  const frame_pos *x = a;
  const frame_pos *y = b;
  if (x->d < y->d) {
    return -1;
  }
  if (x->d > y->d) {
    return 1;
  }
  return x->index < y->index ? -1 : x->index > y->index;
}

/* Sorted positions → slice spacing; checks distinct, uniform, no shear. */
static carm_status slice_spacing(const frame_pos *p, int64_t n, const double dir[3][3],
                                 const char *what, double *spacing) {
  if (n < 2) {
    *spacing = 1.0;
    return CARM_OK;
  }
  double span = p[n - 1].d - p[0].d;
  double mean = span / (double)(n - 1);
  for (int64_t i = 0; i + 1 < n; i++) {
    double gap = p[i + 1].d - p[i].d;
    if (gap < 1e-4) {
      return carm_error(CARM_ERR_FORMAT,
                        "%s: two slices at the same position (%.4f mm along the normal); "
                        "mixed or duplicated series",
                        what, p[i].d);
    }
    if (fabs(gap - mean) > 0.01 * mean + 1e-4) {
      return carm_error(CARM_ERR_UNSUPPORTED,
                        "%s: non-uniform slice spacing (gap %.4f mm after slice %lld, mean %.4f "
                        "mm); missing slices?",
                        what, gap, (long long)i, mean);
    }
  }
  /* every position must lie on the line origin + t·normal (no gantry tilt) */
  for (int64_t i = 1; i < n; i++) {
    double off[3];
    for (int a = 0; a < 3; a++) {
      off[a] = p[i].ipp[a] - p[0].ipp[a];
    }
    double along = off[0] * dir[0][2] + off[1] * dir[1][2] + off[2] * dir[2][2];
    double lat2 = carm_vec3_dot(off, off) - along * along;
    double lat = lat2 > 0 ? sqrt(lat2) : 0.0;
    if (lat > 0.01 * fabs(along) + 1e-3) {
      return carm_error(CARM_ERR_UNSUPPORTED,
                        "%s: slice positions are not along the slice normal (gantry tilt or "
                        "sheared series, %.3f mm off)",
                        what, lat);
    }
  }
  *spacing = mean;
  return CARM_OK;
}

/* Per-frame (or shared) functional group value: tries the per-frame item
 * of frame k, then the shared item. `sub` is "gggg,eeee[0]/gggg,eeee". */
static int fg_doubles(const cdg_file *f, int64_t k, const char *sub, double *out, int n) {
  char path[128];
  snprintf(path, sizeof path, "5200,9230[%lld]/%s", (long long)k, sub);
  if (get_doubles(f, path, out, n)) {
    return 1;
  }
  snprintf(path, sizeof path, "5200,9229[0]/%s", sub);
  return get_doubles(f, path, out, n);
}

/* A DICOM Segmentation → label volume: frames are grouped by plane
 * position; a voxel takes the number of the (last) segment that covers it. */
static carm_status read_seg(carm_volume **out, const cdg_file *f, const cdg_pixels *px,
                            const char *path) {
  int64_t nf = px->frames;
  double iop[6];
  double dir[3][3];
  double ps[2];
  if (!(fg_doubles(f, 0, "0020,9116[0]/0020,0037", iop, 6) && orientation_axes(iop, dir))) {
    return carm_error(CARM_ERR_FORMAT, "%s: segmentation without a valid plane orientation", path);
  }
  if (!fg_doubles(f, 0, "0028,9110[0]/0028,0030", ps, 2) || !(ps[0] > 0 && ps[1] > 0)) {
    return carm_error(CARM_ERR_FORMAT, "%s: segmentation without a valid pixel spacing", path);
  }
  frame_pos *pos = calloc((size_t)nf, sizeof *pos);
  frame_pos *uniq = calloc((size_t)nf, sizeof *uniq);
  int64_t *slice_of = calloc((size_t)nf, sizeof *slice_of);
  float *frame = malloc((size_t)px->cols * px->rows * sizeof *frame);
  carm_volume *vol = NULL;
  carm_status st = CARM_OK;
  if (pos == NULL || uniq == NULL || slice_of == NULL || frame == NULL) {
    st = carm_error(CARM_ERR_NOMEM, "%s: no memory", path);
    goto cleanup;
  }
  for (int64_t k = 0; k < nf; k++) {
    pos[k].index = k;
    if (!fg_doubles(f, k, "0020,9113[0]/0020,0032", pos[k].ipp, 3)) {
      st = carm_error(CARM_ERR_FORMAT, "%s: frame %lld has no plane position", path,
                      (long long)k + 1);
      goto cleanup;
    }
    pos[k].d = pos[k].ipp[0] * dir[0][2] + pos[k].ipp[1] * dir[1][2] + pos[k].ipp[2] * dir[2][2];
  }
  qsort(pos, (size_t)nf, sizeof *pos, cmp_pos);
  /* slice spacing: Spacing Between Slices, else the smallest gap; empty
   * slices of a sparse segmentation are filled in */
  double dz = 0.0;
  double v;
  if (!(fg_doubles(f, 0, "0028,9110[0]/0018,0088", &v, 1) && v > 0)) {
    v = 0.0;
    for (int64_t k = 0; k + 1 < nf; k++) {
      double gap = pos[k + 1].d - pos[k].d;
      if (gap > 1e-3 && (v == 0.0 || gap < v)) {
        v = gap;
      }
    }
  }
  dz = v > 0 ? v : 1.0;
  double span = (pos[nf - 1].d - pos[0].d) / dz;
  if (span > 100000.0) {
    st = carm_error(CARM_ERR_RANGE, "%s: segmentation spans %.0f slices", path, span);
    goto cleanup;
  }
  int64_t nu = (int64_t)nearbyint(span) + 1;
  for (int64_t k = 0; k < nf; k++) {
    double t = (pos[k].d - pos[0].d) / dz;
    double r = nearbyint(t);
    if (fabs(t - r) > 0.01) {
      st = carm_error(CARM_ERR_UNSUPPORTED, "%s: frame %lld lies between slices", path,
                      (long long)pos[k].index + 1);
      goto cleanup;
    }
    slice_of[pos[k].index] = (int64_t)r;
    double off[3];
    for (int a = 0; a < 3; a++) {
      off[a] = pos[k].ipp[a] - pos[0].ipp[a] - dir[a][2] * (pos[k].d - pos[0].d);
    }
    if (carm_vec3_norm(off) > 0.01 * dz + 1e-3) {
      st = carm_error(CARM_ERR_UNSUPPORTED, "%s: frame %lld is off the slice normal", path,
                      (long long)pos[k].index + 1);
      goto cleanup;
    }
  }
  uniq[0] = pos[0];
  int64_t dims[3] = {px->cols, px->rows, nu};
  st = carm_volume_create(&vol, dims);
  if (st != CARM_OK) {
    goto cleanup;
  }
  vol->spacing[0] = ps[1];
  vol->spacing[1] = ps[0];
  vol->spacing[2] = dz;
  memcpy(vol->direction, dir, sizeof dir);
  memcpy(vol->origin, uniq[0].ipp, sizeof vol->origin);
  int64_t npix = (int64_t)px->cols * px->rows;
  for (int64_t k = 0; k < nf; k++) {
    char p[96];
    double seg = 1.0;
    snprintf(p, sizeof p, "5200,9230[%lld]/0062,000a[0]/0062,000b", (long long)k);
    if (!get_double(f, p, &seg) || seg < 1 || seg > 65535) {
      st = carm_error(CARM_ERR_FORMAT, "%s: frame %lld has no valid segment number", path,
                      (long long)k + 1);
      goto cleanup;
    }
    px_frame(px, k, 1.0, 0.0, frame);
    float *dst = vol->data + slice_of[k] * npix;
    for (int64_t i = 0; i < npix; i++) {
      if (frame[i] > 0.5f) {
        dst[i] = (float)seg;
      }
    }
  }
  *out = vol;
  vol = NULL;

cleanup:
  carm_volume_destroy(vol);
  free(frame);
  free(slice_of);
  free(uniq);
  free(pos);
  return st;
}

/* ---- one object --------------------------------------------------------------- */

carm_status carm_dicom_read_image(carm_volume **out, carm_dicom_meta *meta, const char *path) {
  if (out == NULL || path == NULL) {
    return carm_error(CARM_ERR_INVALID, "carm_dicom_read_image: NULL argument");
  }
  cdg_file *f = NULL;
  carm_status st = open_dicom(&f, path);
  if (st != CARM_OK) {
    return st;
  }
  cdg_pixels px = {0};
  carm_volume *vol = NULL;
  frame_pos *pos = NULL;
  carm_dicom_meta m;
  fill_meta(f, &m);
  if (!cdg_has(f, "7fe0,0010")) {
    st = carm_error(CARM_ERR_UNSUPPORTED, "%s: no pixel data (a %s object)", path,
                    m.modality[0] != '\0' ? m.modality : "non-image");
    goto cleanup;
  }
  st = decode(f, path, m.transfer_syntax_uid, &px);
  if (st != CARM_OK) {
    goto cleanup;
  }
  int64_t nf = px.frames;
  if (strcmp(m.modality, "SEG") == 0 && cdg_count(f, "5200,9230") == nf &&
      cdg_has(f, "5200,9230[0]/0062,000a")) {
    st = read_seg(&vol, f, &px, path);
    if (st == CARM_OK) {
      m.rows = px.rows;
      m.columns = px.cols;
      m.frames = nf;
      if (meta != NULL) {
        *meta = m;
      }
      *out = vol;
      vol = NULL;
    }
    goto cleanup;
  }
  int64_t dims[3] = {px.cols, px.rows, nf};
  st = carm_volume_create(&vol, dims);
  if (st != CARM_OK) {
    goto cleanup;
  }
  int enhanced = cdg_count(f, "5200,9230") == nf;

  /* in-plane geometry */
  double iop[6];
  double dir[3][3];
  carm_mat3_identity(dir);
  int have_dir = 0;
  if ((enhanced && fg_doubles(f, 0, "0020,9116[0]/0020,0037", iop, 6)) ||
      get_doubles(f, "0020,0037", iop, 6)) {
    have_dir = orientation_axes(iop, dir);
  }
  double ps[2] = {1.0, 1.0};
  if ((enhanced && fg_doubles(f, 0, "0028,9110[0]/0028,0030", ps, 2)) ||
      get_doubles(f, "0028,0030", ps, 2) || get_doubles(f, "0018,1164", ps, 2)) {
    if (!(ps[0] > 0 && ps[1] > 0)) {
      st = carm_error(CARM_ERR_FORMAT, "%s: pixel spacing %g\\%g is not positive", path, ps[0],
                      ps[1]);
      goto cleanup;
    }
  } else {
    ps[0] = ps[1] = 1.0;
  }

  /* positions of every frame (per-frame groups or the one position) */
  pos = calloc((size_t)nf, sizeof *pos);
  if (pos == NULL) {
    st = carm_error(CARM_ERR_NOMEM, "%s: no memory for %lld frames", path, (long long)nf);
    goto cleanup;
  }
  int have_pos = 1;
  for (int64_t k = 0; k < nf; k++) {
    pos[k].index = k;
    double ipp[3];
    int ok = enhanced ? fg_doubles(f, k, "0020,9113[0]/0020,0032", ipp, 3)
                      : (nf == 1 && get_doubles(f, "0020,0032", ipp, 3));
    if (ok && enhanced) {
      double iopk[6];
      double dk[3][3];
      if (fg_doubles(f, k, "0020,9116[0]/0020,0037", iopk, 6) && orientation_axes(iopk, dk)) {
        for (int a = 0; a < 3; a++) {
          for (int b = 0; b < 3; b++) {
            if (fabs(dk[a][b] - dir[a][b]) > 1e-4) {
              st = carm_error(CARM_ERR_UNSUPPORTED,
                              "%s: frame %lld has another orientation than frame 0", path,
                              (long long)k + 1);
              goto cleanup;
            }
          }
        }
      }
    }
    if (!ok) {
      have_pos = 0;
      break;
    }
    memcpy(pos[k].ipp, ipp, sizeof ipp);
    pos[k].d = ipp[0] * dir[0][2] + ipp[1] * dir[1][2] + ipp[2] * dir[2][2];
  }
  double dz = 1.0;
  if (have_pos && have_dir && nf > 1) {
    qsort(pos, (size_t)nf, sizeof *pos, cmp_pos);
    st = slice_spacing(pos, nf, dir, path, &dz);
    if (st != CARM_OK) {
      goto cleanup;
    }
  } else {
    for (int64_t k = 0; k < nf; k++) {
      pos[k].index = k;
    }
    double v;
    if (get_double(f, "0018,0088", &v) && v > 0) {
      dz = v;
    } else if (get_double(f, "0018,0050", &v) && v > 0) {
      dz = v;
    }
  }
  vol->spacing[0] = ps[1];
  vol->spacing[1] = ps[0];
  vol->spacing[2] = dz;
  memcpy(vol->direction, dir, sizeof dir);
  if (have_pos) {
    memcpy(vol->origin, pos[0].ipp, sizeof vol->origin);
  }

  /* pixels, rescaled frame by frame */
  int64_t npix = (int64_t)px.cols * px.rows;
  for (int64_t z = 0; z < nf; z++) {
    int64_t k = pos[z].index;
    double slope = m.rescale_slope;
    double inter = m.rescale_intercept;
    if (enhanced) {
      double v;
      if (fg_doubles(f, k, "0028,9145[0]/0028,1053", &v, 1)) {
        slope = v;
      }
      if (fg_doubles(f, k, "0028,9145[0]/0028,1052", &v, 1)) {
        inter = v;
      }
    }
    px_frame(&px, k, slope, inter, vol->data + z * npix);
  }
  st = carm_volume_check_grid(vol);
  if (st != CARM_OK) {
    goto cleanup;
  }
  m.rows = px.rows;
  m.columns = px.cols;
  m.frames = nf;
  if (meta != NULL) {
    *meta = m;
  }
  *out = vol;
  vol = NULL;

cleanup:
  free(pos);
  free(px.data);
  carm_volume_destroy(vol);
  cdg_close(f);
  return st;
}

/* ---- series ----------------------------------------------------------------- */

typedef struct file_list {
  char **paths;
  int64_t n, cap;
  unsigned char *from_dir; /* 1 when found by listing a folder */
} file_list;

static void file_list_free(file_list *l) {
  for (int64_t i = 0; i < l->n; i++) {
    free(l->paths[i]);
  }
  free(l->paths);
  free(l->from_dir);
}

static carm_status file_list_add(file_list *l, const char *path, int from_dir) {
  if (l->n >= DICOM_MAX_FILES) {
    return carm_error(CARM_ERR_RANGE, "more than %d files in one series", DICOM_MAX_FILES);
  }
  if (l->n == l->cap) {
    int64_t cap = l->cap ? l->cap * 2 : 64;
    char **p = realloc(l->paths, (size_t)cap * sizeof *p);
    if (p == NULL) {
      return carm_error(CARM_ERR_NOMEM, "no memory for the file list");
    }
    l->paths = p;
    unsigned char *d = realloc(l->from_dir, (size_t)cap);
    if (d == NULL) {
      return carm_error(CARM_ERR_NOMEM, "no memory for the file list");
    }
    l->from_dir = d;
    l->cap = cap;
  }
  size_t len = strlen(path);
  char *copy = malloc(len + 1);
  if (copy == NULL) {
    return carm_error(CARM_ERR_NOMEM, "no memory for the file list");
  }
  memcpy(copy, path, len + 1);
  l->paths[l->n] = copy;
  l->from_dir[l->n] = (unsigned char)from_dir;
  l->n++;
  return CARM_OK;
}

static int cmp_str(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

static carm_status list_dir(file_list *l, const char *dir) {
  DIR *d = opendir(dir);
  if (d == NULL) {
    return carm_error(CARM_ERR_IO, "%s: cannot open folder: %s", dir, strerror(errno));
  }
  int64_t first = l->n;
  carm_status st = CARM_OK;
  struct dirent *e;
  while ((e = readdir(d)) != NULL) {
    if (e->d_name[0] == '.') {
      continue;
    }
    size_t len = strlen(dir) + strlen(e->d_name) + 2;
    char *p = malloc(len);
    if (p == NULL) {
      st = carm_error(CARM_ERR_NOMEM, "no memory for the file list");
      break;
    }
    snprintf(p, len, "%s/%s", dir, e->d_name);
    struct stat sb;
    if (stat(p, &sb) == 0 && S_ISREG(sb.st_mode) && strcmp(e->d_name, "DICOMDIR") != 0) {
      st = file_list_add(l, p, 1);
    }
    free(p);
    if (st != CARM_OK) {
      break;
    }
  }
  closedir(d);
  if (st == CARM_OK) {
    qsort(l->paths + first, (size_t)(l->n - first), sizeof *l->paths, cmp_str);
  }
  return st;
}

/* Whether the file starts like a Part 10 DICOM file (128 bytes, "DICM"). */
static int has_dicm_prefix(const char *path) {
  FILE *fp = fopen(path, "rb");
  if (fp == NULL) {
    return 0;
  }
  unsigned char b[132];
  size_t n = fread(b, 1, sizeof b, fp);
  fclose(fp);
  return n == sizeof b && memcmp(b + 128, "DICM", 4) == 0;
}

typedef struct slice_info {
  const char *path;
  char series[65];
  char ts[65];
  double iop[6];
  double ipp[3];
  double ps[2];
  double slope, inter;
  int64_t rows, cols;
  int multi;      /* a multi-frame object */
  carm_status st; /* why it cannot be a slice of a series */
  char why[256];
} slice_info;

static carm_status read_slice_info(const char *path, int from_dir, slice_info *s, int *skip) {
  *skip = 0;
  cdg_file *f = NULL;
  carm_status st = open_dicom(&f, path);
  if (st != CARM_OK) {
    if (from_dir && !has_dicm_prefix(path)) {
      *skip = 1; /* a folder may hold other files; a broken DICOM file is an error */
      carm_error_clear();
      return CARM_OK;
    }
    return st;
  }
  s->path = path;
  if (!cdg_has(f, "7fe0,0010")) {
    s->path = NULL;
    if (from_dir) {
      *skip = 1;
    } else {
      st = carm_error(CARM_ERR_UNSUPPORTED, "%s: not an image (no pixel data)", path);
    }
    cdg_close(f);
    return st;
  }
  carm_dicom_meta m;
  fill_meta(f, &m);
  s->path = path;
  memcpy(s->series, m.series_instance_uid, sizeof s->series);
  memcpy(s->ts, m.transfer_syntax_uid, sizeof s->ts);
  s->rows = m.rows;
  s->cols = m.columns;
  s->slope = m.rescale_slope;
  s->inter = m.rescale_intercept;
  if (m.frames > 1) {
    s->multi = 1;
    st = carm_error(CARM_ERR_UNSUPPORTED,
                    "%s: a multi-frame object (%lld frames) among several files; read it alone",
                    path, (long long)m.frames);
  } else if (!get_doubles(f, "0020,0037", s->iop, 6)) {
    st = carm_error(CARM_ERR_FORMAT, "%s: no valid Image Orientation (Patient) (0020,0037)", path);
  } else if (!get_doubles(f, "0020,0032", s->ipp, 3)) {
    st = carm_error(CARM_ERR_FORMAT, "%s: no valid Image Position (Patient) (0020,0032)", path);
  } else if (!get_doubles(f, "0028,0030", s->ps, 2) || !(s->ps[0] > 0 && s->ps[1] > 0)) {
    st = carm_error(CARM_ERR_FORMAT, "%s: no valid Pixel Spacing (0028,0030)", path);
  }
  cdg_close(f);
  return st;
}

static carm_status read_series(carm_volume **out, carm_dicom_meta *meta, const file_list *l) {
  carm_status st = CARM_OK;
  slice_info *s = calloc((size_t)l->n, sizeof *s);
  frame_pos *pos = calloc((size_t)l->n, sizeof *pos);
  carm_volume *vol = NULL;
  cdg_pixels px = {0};
  if (s == NULL || pos == NULL) {
    st = carm_error(CARM_ERR_NOMEM, "no memory for %lld slices", (long long)l->n);
    goto cleanup;
  }
  int64_t n = 0;
  for (int64_t i = 0; i < l->n; i++) {
    int skip = 0;
    st = read_slice_info(l->paths[i], l->from_dir[i], &s[n], &skip);
    if (st != CARM_OK && s[n].path == NULL) {
      goto cleanup; /* not a DICOM image at all */
    }
    s[n].st = st;
    snprintf(s[n].why, sizeof s[n].why, "%s", st != CARM_OK ? carm_last_error() : "");
    st = CARM_OK;
    n += !skip;
  }
  if (n == 0) {
    st =
        carm_error(CARM_ERR_NOTFOUND, "no DICOM image among the %lld files given", (long long)l->n);
    goto cleanup;
  }
  if (n == 1) {
    st = carm_dicom_read_image(out, meta, s[0].path);
    goto cleanup;
  }
  for (int64_t i = 0; i < n; i++) {
    if (s[i].st != CARM_OK) {
      st = carm_error(s[i].st, "%s", s[i].why);
      goto cleanup;
    }
  }
  double dir[3][3];
  if (!orientation_axes(s[0].iop, dir)) {
    st = carm_error(CARM_ERR_FORMAT, "%s: degenerate Image Orientation (Patient)", s[0].path);
    goto cleanup;
  }
  for (int64_t i = 1; i < n; i++) {
    if (strcmp(s[i].series, s[0].series) != 0) {
      st = carm_error(CARM_ERR_FORMAT,
                      "mixed series: %s has Series Instance UID %s, %s has %s; give one series",
                      s[i].path, s[i].series, s[0].path, s[0].series);
      goto cleanup;
    }
    if (s[i].rows != s[0].rows || s[i].cols != s[0].cols) {
      st = carm_error(CARM_ERR_FORMAT, "mixed series: %s is %lldx%lld, %s is %lldx%lld", s[i].path,
                      (long long)s[i].cols, (long long)s[i].rows, s[0].path, (long long)s[0].cols,
                      (long long)s[0].rows);
      goto cleanup;
    }
    for (int a = 0; a < 6; a++) {
      if (fabs(s[i].iop[a] - s[0].iop[a]) > 1e-4) {
        st = carm_error(CARM_ERR_FORMAT,
                        "mixed series: %s has another Image Orientation (Patient) than %s",
                        s[i].path, s[0].path);
        goto cleanup;
      }
    }
    for (int a = 0; a < 2; a++) {
      if (fabs(s[i].ps[a] - s[0].ps[a]) > 1e-4 * s[0].ps[a]) {
        st = carm_error(CARM_ERR_FORMAT, "mixed series: %s has another Pixel Spacing than %s",
                        s[i].path, s[0].path);
        goto cleanup;
      }
    }
  }
  for (int64_t i = 0; i < n; i++) {
    pos[i].index = i;
    memcpy(pos[i].ipp, s[i].ipp, sizeof pos[i].ipp);
    pos[i].d = s[i].ipp[0] * dir[0][2] + s[i].ipp[1] * dir[1][2] + s[i].ipp[2] * dir[2][2];
  }
  qsort(pos, (size_t)n, sizeof *pos, cmp_pos);
  double dz = 1.0;
  st = slice_spacing(pos, n, dir, "series", &dz);
  if (st != CARM_OK) {
    goto cleanup;
  }
  int64_t dims[3] = {s[0].cols, s[0].rows, n};
  st = carm_volume_create(&vol, dims);
  if (st != CARM_OK) {
    goto cleanup;
  }
  vol->spacing[0] = s[0].ps[1];
  vol->spacing[1] = s[0].ps[0];
  vol->spacing[2] = dz;
  memcpy(vol->direction, dir, sizeof dir);
  memcpy(vol->origin, pos[0].ipp, sizeof vol->origin);
  int64_t npix = dims[0] * dims[1];
  for (int64_t z = 0; z < n; z++) {
    const slice_info *si = &s[pos[z].index];
    /* checked by read_slice_info a moment ago: no second pre-check */
    char err[256] = "";
    cdg_file *f = cdg_open_trusted(si->path, err, sizeof err);
    if (f == NULL) {
      st = carm_error(CARM_ERR_FORMAT, "%s: %s", si->path, err);
    } else {
      st = decode(f, si->path, si->ts, &px);
      cdg_close(f);
    }
    if (st != CARM_OK) {
      goto cleanup;
    }
    if ((int64_t)px.cols != dims[0] || (int64_t)px.rows != dims[1] || px.frames != 1) {
      st = carm_error(CARM_ERR_FORMAT, "%s: decoded image is not %lldx%lld", si->path,
                      (long long)dims[0], (long long)dims[1]);
      goto cleanup;
    }
    px_frame(&px, 0, si->slope, si->inter, vol->data + z * npix);
    free(px.data);
    px.data = NULL;
  }
  if (meta != NULL) {
    carm_dicom_meta m;
    st = carm_dicom_read_meta(&m, s[pos[0].index].path);
    if (st != CARM_OK) {
      goto cleanup;
    }
    m.n_objects = n;
    m.frames = 1;
    *meta = m;
  }
  *out = vol;
  vol = NULL;

cleanup:
  free(px.data);
  carm_volume_destroy(vol);
  free(pos);
  free(s);
  return st;
}

carm_status carm_dicom_read_volume(carm_volume **out, carm_dicom_meta *meta,
                                   const char *const *paths, size_t n_paths) {
  if (out == NULL || paths == NULL || n_paths == 0) {
    return carm_error(CARM_ERR_INVALID, "carm_dicom_read_volume: no input");
  }
  file_list l = {0};
  carm_status st = CARM_OK;
  for (size_t i = 0; i < n_paths && st == CARM_OK; i++) {
    struct stat sb;
    if (paths[i] == NULL || stat(paths[i], &sb) != 0) {
      st = carm_error(CARM_ERR_IO, "%s: %s", paths[i] ? paths[i] : "(null)",
                      paths[i] ? strerror(errno) : "NULL path");
    } else if (S_ISDIR(sb.st_mode)) {
      st = list_dir(&l, paths[i]);
    } else {
      st = file_list_add(&l, paths[i], 0);
    }
  }
  if (st == CARM_OK) {
    if (l.n == 0) {
      st = carm_error(CARM_ERR_NOTFOUND, "%s: no files", paths[0]);
    } else {
      st = read_series(out, meta, &l);
    }
  }
  file_list_free(&l);
  return st;
}

/* ---- X-ray angiography -------------------------------------------------------- */

carm_status carm_dicom_positioner_to_view(carm_view *view, double primary_deg, double secondary_deg,
                                          double sid_mm, double sdd_mm) {
  if (view == NULL) {
    return carm_error(CARM_ERR_INVALID, "carm_dicom_positioner_to_view: NULL view");
  }
  if (!isfinite(primary_deg) || !isfinite(secondary_deg) || fabs(secondary_deg) > 90.0) {
    return carm_error(CARM_ERR_GEOMETRY, "positioner angles %g/%g deg out of range", primary_deg,
                      secondary_deg);
  }
  if (!(sdd_mm > sid_mm)) {
    return carm_error(CARM_ERR_GEOMETRY,
                      "source-detector distance %g mm must exceed source-isocentre %g mm", sdd_mm,
                      sid_mm);
  }
  double t = view->time_s;
  /* HFS world: x = L, y = I, z = P; LAO θ puts the source at patient right
   * (gantry −θ), CRA φ puts it towards the feet (out-of-plane −φ) */
  carm_status st =
      carm_view_set(view, sid_mm, sdd_mm, -primary_deg, 0.0, 0.0, -secondary_deg, 0.0, 0.0, 0.0);
  view->time_s = t;
  return st;
}

static carm_status xa_angles(const cdg_file *f, const char *path, int64_t nf, double base_tag_val,
                             const char *inc_tag, double *angles) {
  double *inc = NULL;
  int64_t ni = get_number_list(f, inc_tag, &inc);
  if (ni < 0) {
    return carm_error(CARM_ERR_FORMAT, "%s: malformed (%s) angle increments", path, inc_tag);
  }
  if (ni != 0 && ni != 1 && ni != nf) {
    free(inc);
    return carm_error(CARM_ERR_FORMAT, "%s: %lld angle increments (%s) for %lld frames", path,
                      (long long)ni, inc_tag, (long long)nf);
  }
  double a = base_tag_val;
  for (int64_t k = 0; k < nf; k++) {
    if (ni == nf) {
      a += inc[k];
    } else if (ni == 1 && k > 0) {
      a += inc[0];
    }
    angles[k] = a;
  }
  free(inc);
  return CARM_OK;
}

carm_status carm_dicom_read_xa(carm_volume **projections, carm_geometry **geometry,
                               carm_dicom_meta *meta, const char *path,
                               const carm_dicom_xa_opts *opts) {
  if (projections == NULL || geometry == NULL || path == NULL) {
    return carm_error(CARM_ERR_INVALID, "carm_dicom_read_xa: NULL argument");
  }
  carm_dicom_xa_opts defaults = CARM_DICOM_XA_INIT;
  if (opts == NULL) {
    opts = &defaults;
  }
  if (opts->version != 1) {
    return carm_error(CARM_ERR_INVALID, "carm_dicom_read_xa: options version %d", opts->version);
  }
  carm_volume *vol = NULL;
  carm_geometry *geo = NULL;
  carm_geometry *cal = NULL;
  cdg_file *f = NULL;
  double *prim = NULL;
  double *sec = NULL;
  double *ftv = NULL;
  carm_dicom_meta m;
  carm_status st = carm_dicom_read_image(&vol, &m, path);
  if (st != CARM_OK) {
    return st;
  }
  char err[256] = "";
  f = cdg_open_trusted(path, err, sizeof err); /* read_image checked it */
  if (f == NULL) {
    st = carm_error(CARM_ERR_FORMAT, "%s: %s", path, err);
    goto cleanup;
  }
  int64_t nf = vol->dims[2];
  double sid = 0.0;
  double sdd = 0.0;
  double ps[2] = {0.0, 0.0};
  int have_sid = get_double(f, "0018,9402", &sid) || get_double(f, "0018,1111", &sid);
  int have_sdd = get_double(f, "0018,1110", &sdd);
  int have_ps = get_doubles(f, "0018,1164", ps, 2) && ps[0] > 0 && ps[1] > 0;
  double a0 = 0.0;
  double b0 = 0.0;
  int have_a = get_double(f, "0018,1510", &a0);
  int have_b = get_double(f, "0018,1511", &b0);
  if (opts->require_geometry && !(have_sid && have_sdd && have_ps && have_a && have_b)) {
    st = carm_error(CARM_ERR_GEOMETRY, "%s: incomplete geometry:%s%s%s%s%s", path,
                    have_sid ? "" : " no Distance Source to Isocenter (0018,9402/0018,1111);",
                    have_sdd ? "" : " no Distance Source to Detector (0018,1110);",
                    have_ps ? "" : " no Imager Pixel Spacing (0018,1164);",
                    have_a ? "" : " no Positioner Primary Angle (0018,1510);",
                    have_b ? "" : " no Positioner Secondary Angle (0018,1511);");
    goto cleanup;
  }
  if (!have_sid) {
    sid = opts->default_sid_mm;
  }
  if (!have_sdd) {
    sdd = opts->default_sdd_mm;
  }
  if (!have_ps) {
    ps[0] = ps[1] = opts->default_pixel_mm;
  }
  if (!(ps[0] > 0 && ps[1] > 0 && isfinite(ps[0]) && isfinite(ps[1]))) {
    st = carm_error(CARM_ERR_GEOMETRY, "%s: detector pixel spacing must be positive", path);
    goto cleanup;
  }
  prim = malloc((size_t)nf * sizeof *prim);
  sec = malloc((size_t)nf * sizeof *sec);
  if (prim == NULL || sec == NULL) {
    st = carm_error(CARM_ERR_NOMEM, "no memory for %lld angles", (long long)nf);
    goto cleanup;
  }
  st = xa_angles(f, path, nf, a0, "0018,1520", prim);
  if (st == CARM_OK) {
    st = xa_angles(f, path, nf, b0, "0018,1521", sec);
  }
  if (st != CARM_OK) {
    goto cleanup;
  }
  st = carm_geometry_create(&geo, nf);
  if (st != CARM_OK) {
    goto cleanup;
  }
  /* time stamps */
  int64_t nt = get_number_list(f, "0018,1065", &ftv);
  double frame_time_ms = 0.0;
  int have_ft = get_double(f, "0018,1063", &frame_time_ms) && frame_time_ms > 0;
  double t_ms = 0.0;
  for (int64_t k = 0; k < nf; k++) {
    if (nt == nf) {
      t_ms += ftv[k];
      geo->views[k].time_s = t_ms / 1000.0;
    } else if (have_ft) {
      geo->views[k].time_s = (double)k * frame_time_ms / 1000.0;
    }
    st = carm_dicom_positioner_to_view(&geo->views[k], prim[k], sec[k], sid, sdd);
    if (st != CARM_OK) {
      char why[256];
      snprintf(why, sizeof why, "%s", carm_last_error());
      carm_error(st, "%s: frame %lld: %s", path, (long long)k + 1, why);
      goto cleanup;
    }
  }
  if (opts->calibration_path != NULL) {
    st = carm_dicom_read_calibration(&cal, opts->calibration_path);
    if (st != CARM_OK) {
      goto cleanup;
    }
    if (cal->n_views != nf) {
      st = carm_error(CARM_ERR_GEOMETRY, "%s: %lld matrices for %lld frames of %s",
                      opts->calibration_path, (long long)cal->n_views, (long long)nf, path);
      goto cleanup;
    }
    for (int64_t k = 0; k < nf; k++) {
      double t = geo->views[k].time_s;
      geo->views[k] = cal->views[k];
      geo->views[k].time_s = t;
    }
  }
  /* detector frame: u = 0, v = 0 at the image centre, u along columns, v
   * along rows (docs/dicom.md) */
  geo->patient = CARM_PATIENT_HFS;
  vol->spacing[0] = ps[1];
  vol->spacing[1] = ps[0];
  vol->spacing[2] = 1.0;
  carm_mat3_identity(vol->direction);
  vol->origin[0] = -0.5 * (double)(vol->dims[0] - 1) * ps[1];
  vol->origin[1] = -0.5 * (double)(vol->dims[1] - 1) * ps[0];
  vol->origin[2] = 0.0;
  if (meta != NULL) {
    *meta = m;
  }
  *projections = vol;
  *geometry = geo;
  vol = NULL;
  geo = NULL;

cleanup:
  free(prim);
  free(sec);
  free(ftv);
  cdg_close(f);
  carm_geometry_destroy(cal);
  carm_geometry_destroy(geo);
  carm_volume_destroy(vol);
  return st;
}

carm_status carm_dicom_read_calibration(carm_geometry **out, const char *path) {
  if (out == NULL || path == NULL) {
    return carm_error(CARM_ERR_INVALID, "carm_dicom_read_calibration: NULL argument");
  }
  FILE *fp = fopen(path, "r");
  if (fp == NULL) {
    return carm_error(CARM_ERR_IO, "%s: %s", path, strerror(errno));
  }
  double *vals = NULL;
  size_t n = 0;
  size_t cap = 0;
  carm_status st = CARM_OK;
  char line[4096];
  long lineno = 0;
  while (st == CARM_OK && fgets(line, sizeof line, fp) != NULL) {
    lineno++;
    char *hash = strchr(line, '#');
    if (hash != NULL) {
      *hash = '\0';
    }
    char *p = line;
    for (;;) {
      while (*p == ' ' || *p == '\t' || *p == ',' || *p == '\r' || *p == '\n') {
        p++;
      }
      if (*p == '\0') {
        break;
      }
      char *end = NULL;
      errno = 0;
      double v = strtod(p, &end);
      if (end == p || errno == ERANGE || !isfinite(v)) {
        st = carm_error(CARM_ERR_FORMAT, "%s:%ld: not a number near \"%.20s\"", path, lineno, p);
        break;
      }
      if (n == cap) {
        cap = cap ? cap * 2 : 240;
        if (cap > (size_t)CARM_GEOMETRY_MAX_VIEWS * 12) {
          st = carm_error(CARM_ERR_RANGE, "%s: too many matrices", path);
          break;
        }
        double *nv = realloc(vals, cap * sizeof *nv);
        if (nv == NULL) {
          st = carm_error(CARM_ERR_NOMEM, "%s: no memory", path);
          break;
        }
        vals = nv;
      }
      vals[n++] = v;
      p = end;
    }
  }
  fclose(fp);
  carm_geometry *geo = NULL;
  if (st == CARM_OK && (n == 0 || n % 12 != 0)) {
    st = carm_error(CARM_ERR_FORMAT, "%s: %zu numbers, expected 12 per view", path, n);
  }
  if (st == CARM_OK) {
    st = carm_geometry_create(&geo, (int64_t)(n / 12));
  }
  for (size_t k = 0; st == CARM_OK && k < n / 12; k++) {
    double p[3][4];
    memcpy(p, vals + 12 * k, sizeof p);
    double residual = 0.0;
    st = carm_view_from_matrix(&geo->views[k], p, &residual);
    if (st != CARM_OK) {
      char why[256];
      snprintf(why, sizeof why, "%s", carm_last_error());
      carm_error(st, "%s: matrix %zu: %s", path, k + 1, why);
    }
  }
  free(vals);
  if (st != CARM_OK) {
    carm_geometry_destroy(geo);
    return st;
  }
  *out = geo;
  return CARM_OK;
}
