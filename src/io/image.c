/* carm_image_read / carm_image_write: format dispatch, element conversion
 * and atomic temporary files shared by the MetaImage and NIfTI back ends. */
#include "io/io_internal.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

const char *carm_dtype_name(carm_dtype dtype) {
  switch (dtype) {
  case CARM_DTYPE_U8: return "uint8";
  case CARM_DTYPE_I8: return "int8";
  case CARM_DTYPE_U16: return "uint16";
  case CARM_DTYPE_I16: return "int16";
  case CARM_DTYPE_U32: return "uint32";
  case CARM_DTYPE_I32: return "int32";
  case CARM_DTYPE_F32: return "float32";
  case CARM_DTYPE_F64: return "float64";
  case CARM_DTYPE_UNKNOWN: break;
  }
  return "unknown";
}

size_t io_dtype_size(carm_dtype dtype) {
  switch (dtype) {
  case CARM_DTYPE_U8:
  case CARM_DTYPE_I8: return 1;
  case CARM_DTYPE_U16:
  case CARM_DTYPE_I16: return 2;
  case CARM_DTYPE_U32:
  case CARM_DTYPE_I32:
  case CARM_DTYPE_F32: return 4;
  case CARM_DTYPE_F64: return 8;
  case CARM_DTYPE_UNKNOWN: break;
  }
  return 0;
}

int io_host_is_msb(void) {
  const uint16_t one = 1;
  unsigned char b[2];
  memcpy(b, &one, 2);
  return b[0] == 0;
}

int io_has_suffix(const char *path, const char *suffix) {
  size_t n = strlen(path);
  size_t m = strlen(suffix);
  return n >= m && strcasecmp(path + n - m, suffix) == 0;
}

/* Reverse the `size` (at most 8) bytes of one sample in place. */
static void swap_bytes(unsigned char *p, size_t size) {
  for (size_t i = 0; i < size / 2 && i < 4; i++) {
    unsigned char t = p[i];
    p[i] = p[size - 1 - i];
    p[size - 1 - i] = t;
  }
}

void io_decode(float *dst, const unsigned char *src, size_t n, carm_dtype dtype, int swap,
               int scale, double slope, double inter) {
  size_t es = io_dtype_size(dtype);
  for (size_t i = 0; i < n; i++) {
    unsigned char b[8];
    memcpy(b, src + i * es, es);
    if (swap) {
      swap_bytes(b, es);
    }
    double v = 0.0;
    switch (dtype) {
    case CARM_DTYPE_U8: v = b[0]; break;
    case CARM_DTYPE_I8: v = (int8_t)b[0]; break;
    case CARM_DTYPE_U16: {
      uint16_t x;
      memcpy(&x, b, 2);
      v = x;
      break;
    }
    case CARM_DTYPE_I16: {
      int16_t x;
      memcpy(&x, b, 2);
      v = x;
      break;
    }
    case CARM_DTYPE_U32: {
      uint32_t x;
      memcpy(&x, b, 4);
      v = x;
      break;
    }
    case CARM_DTYPE_I32: {
      int32_t x;
      memcpy(&x, b, 4);
      v = x;
      break;
    }
    case CARM_DTYPE_F32: {
      float x;
      memcpy(&x, b, 4);
      v = x;
      break;
    }
    case CARM_DTYPE_F64: {
      double x;
      memcpy(&x, b, 8);
      v = x;
      break;
    }
    case CARM_DTYPE_UNKNOWN: break;
    }
    if (scale) {
      v = v * slope + inter;
    }
    dst[i] = (float)v;
  }
}

/* Round half away from zero and clamp to [lo, hi]; NaN -> 0. */
static double round_clamp(float x, double lo, double hi) {
  if (isnan(x)) {
    return 0.0;
  }
  double r = round((double)x);
  if (r < lo) {
    return lo;
  }
  if (r > hi) {
    return hi;
  }
  return r;
}

void io_encode(unsigned char *dst, const float *src, size_t n, carm_dtype dtype) {
  size_t es = io_dtype_size(dtype);
  for (size_t i = 0; i < n; i++) {
    unsigned char *p = dst + i * es;
    switch (dtype) {
    case CARM_DTYPE_U8: p[0] = (unsigned char)round_clamp(src[i], 0, UINT8_MAX); break;
    case CARM_DTYPE_I8: {
      int8_t x = (int8_t)round_clamp(src[i], INT8_MIN, INT8_MAX);
      memcpy(p, &x, 1);
      break;
    }
    case CARM_DTYPE_U16: {
      uint16_t x = (uint16_t)round_clamp(src[i], 0, UINT16_MAX);
      memcpy(p, &x, 2);
      break;
    }
    case CARM_DTYPE_I16: {
      int16_t x = (int16_t)round_clamp(src[i], INT16_MIN, INT16_MAX);
      memcpy(p, &x, 2);
      break;
    }
    case CARM_DTYPE_U32: {
      uint32_t x = (uint32_t)round_clamp(src[i], 0, UINT32_MAX);
      memcpy(p, &x, 4);
      break;
    }
    case CARM_DTYPE_I32: {
      int32_t x = (int32_t)round_clamp(src[i], INT32_MIN, INT32_MAX);
      memcpy(p, &x, 4);
      break;
    }
    case CARM_DTYPE_F32: memcpy(p, &src[i], 4); break;
    case CARM_DTYPE_F64: {
      double x = src[i];
      memcpy(p, &x, 8);
      break;
    }
    case CARM_DTYPE_UNKNOWN: break;
    }
  }
}

carm_status io_read_voxels(carm_volume *vol, io_read_fn read, void *ctx, carm_dtype dtype, int swap,
                           int scale, double slope, double inter, const char *what) {
  size_t es = io_dtype_size(dtype);
  int64_t count = carm_volume_count(vol);
  int64_t want = count * (int64_t)es;
  size_t cap = (size_t)1 << 20;
  unsigned char *buf = malloc(cap);
  if (buf == NULL) {
    return carm_error(CARM_ERR_NOMEM, "cannot allocate a read buffer");
  }
  int64_t done = 0; /* bytes */
  size_t carry = 0; /* bytes of a partial element kept at buf[0] */
  carm_status st = CARM_OK;
  while (done < want) {
    size_t ask = cap - carry;
    if ((int64_t)ask > want - done) {
      ask = (size_t)(want - done);
    }
    int64_t got = read(ctx, buf + carry, ask);
    if (got < 0) {
      st = (carm_status)got;
      break;
    }
    if (got == 0) {
      st = carm_error(CARM_ERR_FORMAT,
                      "%s is shorter than declared: %lld of %lld bytes (%lld x %lld x %lld %s)",
                      what, (long long)done, (long long)want, (long long)vol->dims[0],
                      (long long)vol->dims[1], (long long)vol->dims[2], carm_dtype_name(dtype));
      break;
    }
    size_t have = carry + (size_t)got;
    size_t whole = have / es;
    io_decode(vol->data + (done - (int64_t)carry) / (int64_t)es, buf, whole, dtype, swap, scale,
              slope, inter);
    done += got;
    carry = have - whole * es;
    if (carry > 0) {
      memmove(buf, buf + whole * es, carry);
    }
  }
  free(buf);
  return st;
}

carm_status io_error_prefix(carm_status st, const char *path) {
  char msg[1024];
  snprintf(msg, sizeof msg, "%s", carm_last_error());
  if (strstr(msg, path) != NULL) {
    return carm_error(st, "%s", msg);
  }
  return carm_error(st, "%s: %s", path, msg);
}

carm_status io_check_writable(const carm_volume *vol) {
  if (vol == NULL || vol->data == NULL) {
    return carm_error(CARM_ERR_INVALID, "no volume to write");
  }
  return carm_volume_check_grid(vol);
}

/* First bytes of a file, for format detection. */
static size_t peek(const char *path, unsigned char *buf, size_t cap) {
  FILE *f = fopen(path, "rb");
  if (f == NULL) {
    return 0;
  }
  size_t n = fread(buf, 1, cap, f);
  fclose(f);
  return n;
}

static int looks_like_nifti(const unsigned char *b, size_t n) {
  if (n >= 2 && b[0] == 0x1f && b[1] == 0x8b) {
    return 1; /* gzip: only NIfTI is stored that way */
  }
  if (n < 4) {
    return 0;
  }
  int32_t le =
      (int32_t)((uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24);
  int32_t be =
      (int32_t)((uint32_t)b[3] | (uint32_t)b[2] << 8 | (uint32_t)b[1] << 16 | (uint32_t)b[0] << 24);
  return le == 348 || le == 540 || be == 348 || be == 540;
}

carm_status carm_image_read(carm_volume **out, carm_image_info *info, const char *path) {
  if (out == NULL || path == NULL) {
    return carm_error(CARM_ERR_INVALID, "carm_image_read: NULL argument");
  }
  struct stat sb;
  if (stat(path, &sb) != 0) {
    return carm_error(errno == ENOENT ? CARM_ERR_NOTFOUND : CARM_ERR_IO, "cannot open %s: %s", path,
                      strerror(errno));
  }
  if (!S_ISREG(sb.st_mode)) {
    return carm_error(CARM_ERR_IO, "%s is not a regular file", path);
  }
  if (sb.st_size == 0) {
    return carm_error(CARM_ERR_FORMAT, "%s is empty", path);
  }
  carm_image_info local;
  memset(&local, 0, sizeof local);
  local.scl_slope = 1.0;
  carm_status st;
  if (io_has_suffix(path, ".nii") || io_has_suffix(path, ".nii.gz")) {
    st = io_nifti_read(out, &local, path);
  } else if (io_has_suffix(path, ".mha") || io_has_suffix(path, ".mhd")) {
    st = io_metaimage_read(out, &local, path);
  } else {
    unsigned char head[8];
    size_t n = peek(path, head, sizeof head);
    if (looks_like_nifti(head, n)) {
      st = io_nifti_read(out, &local, path);
    } else {
      st = io_metaimage_read(out, &local, path);
    }
  }
  if (st == CARM_OK && info != NULL) {
    *info = local;
  }
  return st;
}

carm_status carm_image_write(const carm_volume *vol, const char *path,
                             const carm_write_opts *opts) {
  if (path == NULL) {
    return carm_error(CARM_ERR_INVALID, "carm_image_write: NULL path");
  }
  carm_write_opts def = CARM_WRITE_INIT;
  if (opts == NULL) {
    opts = &def;
  }
  if (opts->version != 1) {
    return carm_error(CARM_ERR_INVALID, "carm_write_opts.version is %d (must be 1)", opts->version);
  }
  if (io_dtype_size(opts->dtype) == 0) {
    return carm_error(CARM_ERR_INVALID, "unknown output element type %d", (int)opts->dtype);
  }
  carm_status st = io_check_writable(vol);
  if (st != CARM_OK) {
    return st;
  }
  if (io_has_suffix(path, ".nii") || io_has_suffix(path, ".nii.gz")) {
    return io_nifti_write(vol, path, opts, 0);
  }
  if (io_has_suffix(path, ".mha") || io_has_suffix(path, ".mhd")) {
    return io_metaimage_write(vol, path, opts);
  }
  return carm_error(CARM_ERR_UNSUPPORTED,
                    "cannot tell the format of %s: use .mha, .mhd, .nii or .nii.gz", path);
}
