/* NIfTI-1 and NIfTI-2 single-file images (.nii, .nii.gz).
 *
 * nifti_clib supplies the header structures, byte swapping and the
 * quaternion <-> matrix conversions (the subtle part). carm reads and writes
 * the bytes itself, through zlib, so that every header field is validated
 * before anything is allocated, a short or corrupt file becomes an error
 * message (nifti_clib prints and may go on with partial data), and writes are
 * atomic.
 *
 * Orientation: NIfTI maps (i, j, k) to RAS millimetres; carm uses LPS, so
 * M_lps = diag(-1, -1, 1) · M_ras. Preference: sform when sform_code > 0,
 * else qform when qform_code > 0, else pixdim only (NIfTI "method 1"). */
#include "io/io_internal.h"

#include <nifti2_io.h>

#include <errno.h>
#include <pthread.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

/* Header fields carm uses, in one width whatever the version. */
typedef struct nii_hdr {
  int version;
  int swap;
  int64_t dim[8];
  double pixdim[8];
  int64_t vox_offset;
  int datatype;
  double scl_slope, scl_inter;
  int qform_code, sform_code;
  double qb, qc, qd, qx, qy, qz;
  double srow[3][4];
} nii_hdr;

static carm_dtype dtype_from_nifti(int dt) {
  switch (dt) {
  case NIFTI_TYPE_UINT8: return CARM_DTYPE_U8;
  case NIFTI_TYPE_INT8: return CARM_DTYPE_I8;
  case NIFTI_TYPE_UINT16: return CARM_DTYPE_U16;
  case NIFTI_TYPE_INT16: return CARM_DTYPE_I16;
  case NIFTI_TYPE_UINT32: return CARM_DTYPE_U32;
  case NIFTI_TYPE_INT32: return CARM_DTYPE_I32;
  case NIFTI_TYPE_FLOAT32: return CARM_DTYPE_F32;
  case NIFTI_TYPE_FLOAT64: return CARM_DTYPE_F64;
  default: break;
  }
  return CARM_DTYPE_UNKNOWN;
}

static int nifti_from_dtype(carm_dtype d) {
  switch (d) {
  case CARM_DTYPE_U8: return NIFTI_TYPE_UINT8;
  case CARM_DTYPE_I8: return NIFTI_TYPE_INT8;
  case CARM_DTYPE_U16: return NIFTI_TYPE_UINT16;
  case CARM_DTYPE_I16: return NIFTI_TYPE_INT16;
  case CARM_DTYPE_U32: return NIFTI_TYPE_UINT32;
  case CARM_DTYPE_I32: return NIFTI_TYPE_INT32;
  case CARM_DTYPE_F32: return NIFTI_TYPE_FLOAT32;
  case CARM_DTYPE_F64: return NIFTI_TYPE_FLOAT64;
  case CARM_DTYPE_UNKNOWN: break;
  }
  return 0;
}

static int32_t bswap32(int32_t v) {
  uint32_t u = (uint32_t)v;
  return (int32_t)((u >> 24) | ((u >> 8) & 0xff00u) | ((u << 8) & 0xff0000u) | (u << 24));
}

/* Decode the raw header bytes (`n` of them) into `h`. */
static carm_status parse_header(const unsigned char *buf, size_t n, nii_hdr *h, const char *path) {
  memset(h, 0, sizeof *h);
  if (n < 4) {
    return carm_error(CARM_ERR_FORMAT, "%s: %zu bytes, too short for a NIfTI header", path, n);
  }
  int32_t sz;
  memcpy(&sz, buf, 4);
  if (sz == 348 || bswap32(sz) == 348) {
    h->version = 1;
    h->swap = sz != 348;
  } else if (sz == 540 || bswap32(sz) == 540) {
    h->version = 2;
    h->swap = sz != 540;
  } else {
    return carm_error(CARM_ERR_FORMAT, "%s: not a NIfTI file (sizeof_hdr = %d, not 348 or 540)",
                      path, (int)sz);
  }
  if (h->version == 1) {
    nifti_1_header x;
    if (n < sizeof x) {
      return carm_error(CARM_ERR_FORMAT, "%s: truncated NIfTI-1 header (%zu of 348 bytes)", path,
                        n);
    }
    memcpy(&x, buf, sizeof x);
    if (h->swap) {
      nifti_swap_as_nifti1(&x);
    }
    if (memcmp(x.magic, "ni1", 4) == 0) {
      return carm_error(CARM_ERR_UNSUPPORTED,
                        "%s: NIfTI-1 header/image pair (.hdr/.img) is not supported", path);
    }
    if (memcmp(x.magic, "n+1", 4) != 0) {
      return carm_error(CARM_ERR_UNSUPPORTED,
                        "%s: no NIfTI-1 magic 'n+1' (ANALYZE 7.5 is not supported)", path);
    }
    for (int i = 0; i < 8; i++) {
      h->dim[i] = x.dim[i];
      h->pixdim[i] = x.pixdim[i];
    }
    if (!isfinite(x.vox_offset) || x.vox_offset < 0 || x.vox_offset > 1e12 ||
        x.vox_offset != floorf(x.vox_offset)) {
      return carm_error(CARM_ERR_FORMAT, "%s: vox_offset = %g is not a byte offset", path,
                        (double)x.vox_offset);
    }
    h->vox_offset = (int64_t)x.vox_offset;
    h->datatype = x.datatype;
    h->scl_slope = x.scl_slope;
    h->scl_inter = x.scl_inter;
    h->qform_code = x.qform_code;
    h->sform_code = x.sform_code;
    h->qb = x.quatern_b;
    h->qc = x.quatern_c;
    h->qd = x.quatern_d;
    h->qx = x.qoffset_x;
    h->qy = x.qoffset_y;
    h->qz = x.qoffset_z;
    for (int j = 0; j < 4; j++) {
      h->srow[0][j] = x.srow_x[j];
      h->srow[1][j] = x.srow_y[j];
      h->srow[2][j] = x.srow_z[j];
    }
  } else {
    nifti_2_header x;
    if (n < sizeof x) {
      return carm_error(CARM_ERR_FORMAT, "%s: truncated NIfTI-2 header (%zu of 540 bytes)", path,
                        n);
    }
    memcpy(&x, buf, sizeof x);
    if (h->swap) {
      nifti_swap_as_nifti2(&x);
    }
    static const char magic2[8] = {'n', '+', '2', '\0', '\r', '\n', '\032', '\n'};
    if (memcmp(x.magic, magic2, 8) != 0) {
      if (x.magic[0] == 'n' && x.magic[1] == 'i' && x.magic[2] == '2') {
        return carm_error(CARM_ERR_UNSUPPORTED, "%s: NIfTI-2 header/image pair is not supported",
                          path);
      }
      return carm_error(CARM_ERR_FORMAT, "%s: bad NIfTI-2 magic", path);
    }
    for (int i = 0; i < 8; i++) {
      h->dim[i] = x.dim[i];
      h->pixdim[i] = x.pixdim[i];
    }
    h->vox_offset = x.vox_offset;
    h->datatype = x.datatype;
    h->scl_slope = x.scl_slope;
    h->scl_inter = x.scl_inter;
    h->qform_code = x.qform_code;
    h->sform_code = x.sform_code;
    h->qb = x.quatern_b;
    h->qc = x.quatern_c;
    h->qd = x.quatern_d;
    h->qx = x.qoffset_x;
    h->qy = x.qoffset_y;
    h->qz = x.qoffset_z;
    for (int j = 0; j < 4; j++) {
      h->srow[0][j] = x.srow_x[j];
      h->srow[1][j] = x.srow_y[j];
      h->srow[2][j] = x.srow_z[j];
    }
  }
  int64_t min_off = h->version == 1 ? 352 : 544;
  if (h->vox_offset < min_off) {
    return carm_error(CARM_ERR_FORMAT, "%s: vox_offset = %lld (must be >= %lld in a .nii file)",
                      path, (long long)h->vox_offset, (long long)min_off);
  }
  return CARM_OK;
}

/* Grid (dims, spacing, origin, direction) from a validated header. */
static carm_status header_grid(const nii_hdr *h, carm_volume *g, const char *path) {
  int nd = (int)h->dim[0];
  if (nd < 1 || nd > 7) {
    return carm_error(CARM_ERR_FORMAT, "%s: dim[0] = %d (must be 1..7)", path, nd);
  }
  for (int i = 1; i <= nd; i++) {
    if (h->dim[i] < 1) {
      return carm_error(CARM_ERR_RANGE, "%s: dim[%d] = %lld (must be >= 1)", path, i,
                        (long long)h->dim[i]);
    }
    if (i > 3 && h->dim[i] != 1) {
      return carm_error(CARM_ERR_UNSUPPORTED,
                        "%s: dim[%d] = %lld: carm reads one 3D volume, not a %dD series", path, i,
                        (long long)h->dim[i], nd);
    }
  }
  for (int a = 0; a < 3; a++) {
    g->dims[a] = a < nd ? h->dim[a + 1] : 1;
  }
  /* affine in RAS, 3x4 */
  double m[3][4] = {{0}};
  if (h->sform_code > 0) {
    for (int r = 0; r < 3; r++) {
      for (int c = 0; c < 4; c++) {
        if (!isfinite(h->srow[r][c])) {
          return carm_error(CARM_ERR_FORMAT, "%s: sform row %d has a non-finite value", path, r);
        }
        m[r][c] = h->srow[r][c];
      }
    }
  } else {
    for (int i = 1; i <= 3; i++) {
      if (i <= nd && (!isfinite(h->pixdim[i]) || h->pixdim[i] <= 0)) {
        return carm_error(CARM_ERR_RANGE, "%s: pixdim[%d] = %g (spacing must be > 0)", path, i,
                          h->pixdim[i]);
      }
    }
    double dx = h->pixdim[1], dy = nd >= 2 ? h->pixdim[2] : 1.0, dz = nd >= 3 ? h->pixdim[3] : 1.0;
    if (h->qform_code > 0) {
      double q[7] = {h->qb, h->qc, h->qd, h->qx, h->qy, h->qz, h->pixdim[0]};
      for (int i = 0; i < 7; i++) {
        if (!isfinite(q[i])) {
          return carm_error(CARM_ERR_FORMAT, "%s: qform has a non-finite value", path);
        }
      }
      double qfac = h->pixdim[0] < 0 ? -1.0 : 1.0;
      nifti_dmat44 R =
          nifti_quatern_to_dmat44(h->qb, h->qc, h->qd, h->qx, h->qy, h->qz, dx, dy, dz, qfac);
      for (int r = 0; r < 3; r++) {
        for (int c = 0; c < 4; c++) {
          m[r][c] = R.m[r][c];
        }
      }
    } else {
      m[0][0] = dx;
      m[1][1] = dy;
      m[2][2] = dz;
    }
  }
  for (int c = 0; c < 3; c++) {
    double len = sqrt(m[0][c] * m[0][c] + m[1][c] * m[1][c] + m[2][c] * m[2][c]);
    if (!(len > 0) || !isfinite(len)) {
      return carm_error(CARM_ERR_GEOMETRY, "%s: axis %d of the %s has zero length", path, c,
                        h->sform_code > 0 ? "sform" : "qform");
    }
    g->spacing[c] = len;
    for (int r = 0; r < 3; r++) {
      double flip = r < 2 ? -1.0 : 1.0; /* RAS -> LPS */
      g->direction[r][c] = flip * m[r][c] / len;
    }
  }
  for (int r = 0; r < 3; r++) {
    g->origin[r] = (r < 2 ? -1.0 : 1.0) * m[r][3];
  }
  if (fabs(carm_mat3_det(g->direction)) < 1e-6) {
    return carm_error(CARM_ERR_GEOMETRY, "%s: the %s matrix is singular", path,
                      h->sform_code > 0 ? "sform" : "qform");
  }
  /* Final safety net: the grid carm_volume_check_grid accepts. */
  carm_status st = carm_volume_check_grid(g);
  if (st != CARM_OK) {
    return io_error_prefix(st, path);
  }
  return CARM_OK;
}

/* nifti_clib's debug level is a global: set it once (carm only calls its
 * pure helpers, which do not print at level 0). */
static pthread_once_t quiet_once = PTHREAD_ONCE_INIT;
static void quiet_nifti(void) { nifti_set_debug_level(0); }

typedef struct gz_src {
  gzFile gz;
  const char *path;
} gz_src;

static int64_t gz_read(void *ctx, unsigned char *buf, size_t cap) {
  gz_src *s = ctx;
  if (cap > (size_t)1 << 30) {
    cap = (size_t)1 << 30;
  }
  int n = gzread(s->gz, buf, (unsigned)cap);
  if (n < 0) {
    int err = 0;
    const char *msg = gzerror(s->gz, &err);
    return carm_error(err == Z_ERRNO ? CARM_ERR_IO : CARM_ERR_FORMAT,
                      "%s: compressed data is corrupt (zlib: %s)", s->path,
                      msg != NULL ? msg : "error");
  }
  return n;
}

carm_status io_nifti_read(carm_volume **out, carm_image_info *info, const char *path) {
  pthread_once(&quiet_once, quiet_nifti);
  FILE *raw = fopen(path, "rb");
  if (raw == NULL) {
    return carm_error(errno == ENOENT ? CARM_ERR_NOTFOUND : CARM_ERR_IO, "cannot open %s: %s", path,
                      strerror(errno));
  }
  unsigned char magic[2] = {0, 0};
  size_t nm = fread(magic, 1, 2, raw);
  struct stat sb;
  int have_size = fstat(fileno(raw), &sb) == 0;
  fclose(raw);
  int gzipped = nm == 2 && magic[0] == 0x1f && magic[1] == 0x8b;

  gzFile gz = gzopen(path, "rb");
  if (gz == NULL) {
    return carm_error(CARM_ERR_IO, "cannot open %s: %s", path, strerror(errno));
  }
  carm_volume *vol = NULL;
  carm_status st = CARM_OK;
  unsigned char hb[540];
  gz_src src = {gz, path};
  int64_t got = 0;
  while (got < (int64_t)sizeof hb) {
    int64_t n = gz_read(&src, hb + got, sizeof hb - (size_t)got);
    if (n < 0) {
      st = (carm_status)n;
      goto cleanup;
    }
    if (n == 0) {
      break;
    }
    got += n;
  }
  nii_hdr h;
  st = parse_header(hb, (size_t)got, &h, path);
  if (st != CARM_OK) {
    goto cleanup;
  }
  carm_dtype dtype = dtype_from_nifti(h.datatype);
  if (dtype == CARM_DTYPE_UNKNOWN) {
    st = carm_error(CARM_ERR_UNSUPPORTED, "%s: NIfTI datatype %d (%s) is not supported", path,
                    h.datatype, nifti_datatype_string(h.datatype));
    goto cleanup;
  }
  carm_volume grid;
  memset(&grid, 0, sizeof grid);
  st = header_grid(&h, &grid, path);
  if (st != CARM_OK) {
    goto cleanup;
  }
  /* Size check against the file before allocating (uncompressed files). */
  double need = (double)grid.dims[0] * (double)grid.dims[1] * (double)grid.dims[2] *
                (double)io_dtype_size(dtype);
  if (!gzipped && have_size && need < 4.0 * (double)CARM_VOLUME_MAX_BYTES &&
      (double)sb.st_size < (double)h.vox_offset + need) {
    st = carm_error(CARM_ERR_FORMAT,
                    "%s: data is shorter than declared: %.0f of %.0f bytes (%lld x %lld x %lld "
                    "%s)",
                    path, fmax((double)sb.st_size - (double)h.vox_offset, 0.0), need,
                    (long long)grid.dims[0], (long long)grid.dims[1], (long long)grid.dims[2],
                    carm_dtype_name(dtype));
    goto cleanup;
  }
  /* gzip cannot expand more than ~1032:1: refuse before allocating. */
  if (gzipped && have_size && need < 4.0 * (double)CARM_VOLUME_MAX_BYTES &&
      need > 1100.0 * (double)sb.st_size + 65536.0) {
    st = carm_error(CARM_ERR_FORMAT,
                    "%s: %lld compressed bytes cannot hold the %.0f bytes declared (%lld x %lld x "
                    "%lld %s)",
                    path, (long long)sb.st_size, need, (long long)grid.dims[0],
                    (long long)grid.dims[1], (long long)grid.dims[2], carm_dtype_name(dtype));
    goto cleanup;
  }
  st = carm_volume_create(&vol, grid.dims);
  if (st != CARM_OK) {
    st = io_error_prefix(st, path);
    goto cleanup;
  }
  carm_volume_copy_grid(vol, &grid);
  if (gzseek(gz, (z_off_t)h.vox_offset, SEEK_SET) != (z_off_t)h.vox_offset) {
    st = carm_error(CARM_ERR_FORMAT, "%s: file ends before vox_offset = %lld", path,
                    (long long)h.vox_offset);
    goto cleanup;
  }
  int scale = isfinite(h.scl_slope) && h.scl_slope != 0.0 &&
              !(h.scl_slope == 1.0 && (h.scl_inter == 0.0 || !isfinite(h.scl_inter)));
  double inter = isfinite(h.scl_inter) ? h.scl_inter : 0.0;
  st = io_read_voxels(vol, gz_read, &src, dtype, h.swap, scale, h.scl_slope, inter,
                      gzipped ? "compressed NIfTI data" : "NIfTI data");
  if (st != CARM_OK) {
    st = io_error_prefix(st, path);
    goto cleanup;
  }
  if (gzipped) {
    /* Read to the end so that zlib checks the CRC-32 and length. */
    unsigned char scratch[4096];
    int64_t n = 1;
    while (n > 0) {
      n = gz_read(&src, scratch, sizeof scratch);
    }
    if (n < 0) {
      st = (carm_status)n;
      goto cleanup;
    }
    int err = Z_OK;
    const char *msg = gzerror(gz, &err);
    if (err != Z_OK) {
      st = carm_error(CARM_ERR_FORMAT, "%s: compressed data is corrupt or truncated (zlib: %s)",
                      path, msg != NULL ? msg : "error");
      goto cleanup;
    }
  }
  if (info != NULL) {
    info->dtype = dtype;
    info->compressed = gzipped;
    snprintf(info->format, sizeof info->format, "NIfTI-%d", h.version);
    info->scl_slope = scale ? h.scl_slope : 1.0;
    info->scl_inter = scale ? inter : 0.0;
  }
  *out = vol;
  vol = NULL;
cleanup:
  gzclose(gz);
  carm_volume_destroy(vol);
  return st;
}

/* ---- writing ------------------------------------------------------------ */

/* The 4x4 RAS affine of a volume. */
static nifti_dmat44 ras_affine(const carm_volume *vol) {
  nifti_dmat44 R;
  memset(&R, 0, sizeof R);
  for (int r = 0; r < 3; r++) {
    double flip = r < 2 ? -1.0 : 1.0;
    for (int c = 0; c < 3; c++) {
      R.m[r][c] = flip * vol->direction[r][c] * vol->spacing[c];
    }
    R.m[r][3] = flip * vol->origin[r];
  }
  R.m[3][3] = 1.0;
  return R;
}

typedef struct sink {
  FILE *f;
  gzFile gz;
} sink;

static int sink_write(sink *s, const void *p, size_t n) {
  if (s->gz != NULL) {
    return gzwrite(s->gz, p, (unsigned)n) == (int)n ? 0 : -1;
  }
  return fwrite(p, 1, n, s->f) == n ? 0 : -1;
}

carm_status io_nifti_write(const carm_volume *vol, const char *path, const carm_write_opts *opts,
                           int version) {
  pthread_once(&quiet_once, quiet_nifti);
  if (version == 0) {
    version = 1;
    for (int a = 0; a < 3; a++) {
      if (vol->dims[a] > 32767) {
        version = 2;
      }
    }
  }
  if (version != 1 && version != 2) {
    return carm_error(CARM_ERR_INVALID, "NIfTI version %d (must be 1 or 2)", version);
  }
  if (version == 1) {
    for (int a = 0; a < 3; a++) {
      if (vol->dims[a] > 32767) {
        return carm_error(CARM_ERR_RANGE, "dimension %lld does not fit NIfTI-1",
                          (long long)vol->dims[a]);
      }
    }
  }
  carm_dtype dtype = opts->dtype;
  int dt = nifti_from_dtype(dtype);
  int nbyper = 0, swapsize = 0;
  nifti_datatype_sizes(dt, &nbyper, &swapsize);
  nifti_dmat44 R = ras_affine(vol);
  double qb, qc, qd, qx, qy, qz, dx, dy, dz, qfac;
  nifti_dmat44_to_quatern(R, &qb, &qc, &qd, &qx, &qy, &qz, &dx, &dy, &dz, &qfac);
  if (version == 1) {
    /* NIfTI-1 stores the grid as float32: refuse what it cannot hold (the
     * file would be unreadable, or silently have spacing 0). */
    for (int a = 0; a < 3; a++) {
      float sp = (float)vol->spacing[a];
      if (!isfinite(sp) || !(sp > 0.0f)) {
        return carm_error(CARM_ERR_RANGE, "%s: spacing %g mm along axis %d does not fit NIfTI-1",
                          path, vol->spacing[a], a);
      }
      for (int j = 0; j < 4; j++) {
        if (!isfinite((float)R.m[a][j])) {
          return carm_error(CARM_ERR_RANGE,
                            "%s: the grid (origin or spacing x direction) does not fit NIfTI-1's "
                            "float32 affine",
                            path);
        }
      }
    }
  }

  unsigned char hdr[544];
  memset(hdr, 0, sizeof hdr);
  size_t hlen;
  if (version == 1) {
    nifti_1_header x;
    memset(&x, 0, sizeof x);
    x.sizeof_hdr = 348;
    x.dim[0] = 3;
    for (int a = 0; a < 3; a++) {
      x.dim[a + 1] = (short)vol->dims[a];
      x.pixdim[a + 1] = (float)vol->spacing[a];
    }
    for (int a = 4; a < 8; a++) {
      x.dim[a] = 1;
    }
    x.pixdim[0] = (float)qfac;
    x.datatype = (short)dt;
    x.bitpix = (short)(8 * nbyper);
    x.vox_offset = 352;
    x.scl_slope = 1.0f;
    x.xyzt_units = NIFTI_UNITS_MM;
    x.qform_code = NIFTI_XFORM_SCANNER_ANAT;
    x.sform_code = NIFTI_XFORM_SCANNER_ANAT;
    x.quatern_b = (float)qb;
    x.quatern_c = (float)qc;
    x.quatern_d = (float)qd;
    x.qoffset_x = (float)qx;
    x.qoffset_y = (float)qy;
    x.qoffset_z = (float)qz;
    for (int j = 0; j < 4; j++) {
      x.srow_x[j] = (float)R.m[0][j];
      x.srow_y[j] = (float)R.m[1][j];
      x.srow_z[j] = (float)R.m[2][j];
    }
    snprintf(x.descrip, sizeof x.descrip, "carm %s", carm_version());
    memcpy(x.magic, "n+1", 4);
    memcpy(hdr, &x, sizeof x);
    hlen = 352;
  } else {
    nifti_2_header x;
    memset(&x, 0, sizeof x);
    x.sizeof_hdr = 540;
    static const char magic2[8] = {'n', '+', '2', '\0', '\r', '\n', '\032', '\n'};
    memcpy(x.magic, magic2, 8);
    x.dim[0] = 3;
    for (int a = 0; a < 3; a++) {
      x.dim[a + 1] = vol->dims[a];
      x.pixdim[a + 1] = vol->spacing[a];
    }
    for (int a = 4; a < 8; a++) {
      x.dim[a] = 1;
    }
    x.pixdim[0] = qfac;
    x.datatype = (int16_t)dt;
    x.bitpix = (int16_t)(8 * nbyper);
    x.vox_offset = 544;
    x.scl_slope = 1.0;
    x.xyzt_units = NIFTI_UNITS_MM;
    x.qform_code = NIFTI_XFORM_SCANNER_ANAT;
    x.sform_code = NIFTI_XFORM_SCANNER_ANAT;
    x.quatern_b = qb;
    x.quatern_c = qc;
    x.quatern_d = qd;
    x.qoffset_x = qx;
    x.qoffset_y = qy;
    x.qoffset_z = qz;
    for (int j = 0; j < 4; j++) {
      x.srow_x[j] = R.m[0][j];
      x.srow_y[j] = R.m[1][j];
      x.srow_z[j] = R.m[2][j];
    }
    snprintf(x.descrip, sizeof x.descrip, "carm %s", carm_version());
    memcpy(hdr, &x, sizeof x);
    hlen = 544;
  }

  carm_output *dst = NULL;
  carm_status st = carm_output_open(&dst, path);
  if (st != CARM_OK) {
    return st;
  }
  FILE *f = carm_output_file(dst);
  sink s = {f, NULL};
  int compress = io_has_suffix(path, ".gz");
  if (compress) {
    fflush(f);
    int fd = dup(fileno(f));
    s.gz = fd >= 0 ? gzdopen(fd, "wb6") : NULL;
    if (s.gz == NULL) {
      if (fd >= 0) {
        close(fd);
      }
      carm_output_discard(dst);
      return carm_error(CARM_ERR_NOMEM, "cannot start gzip for %s", path);
    }
  }
  size_t es = io_dtype_size(dtype);
  size_t chunk = (size_t)1 << 18;
  unsigned char *buf = malloc(chunk * es);
  int bad = buf == NULL || sink_write(&s, hdr, hlen) != 0;
  int64_t count = carm_volume_count(vol);
  for (int64_t i = 0; i < count && !bad; i += (int64_t)chunk) {
    size_t n = (size_t)(count - i) < chunk ? (size_t)(count - i) : chunk;
    io_encode(buf, vol->data + i, n, dtype);
    bad = sink_write(&s, buf, n * es) != 0;
  }
  free(buf);
  if (s.gz != NULL && gzclose(s.gz) != Z_OK) {
    bad = 1;
  }
  if (bad) {
    int e = errno;
    carm_output_discard(dst);
    return carm_error(CARM_ERR_IO, "cannot write %s: %s", path, strerror(e));
  }
  return carm_output_commit(dst);
}
