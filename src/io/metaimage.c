/* MetaImage (.mha header and data in one file, .mhd header with a separate
 * ElementDataFile): reading and writing, raw or zlib-compressed.
 *
 * Direction: MetaImage's TransformMatrix lists the axis directions one after
 * the other (ITK MetaImageIO: direction column i = TransformMatrix[i*N ..
 * i*N+N-1]), so for carm's direction[row][col] the file holds d[0][0]
 * d[1][0] d[2][0] d[0][1] ... (column-major). */
#include "io/io_internal.h"

#include <errno.h>
#include <stdarg.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <zlib.h>

enum {
  MHA_MAX_LINE = 4096,      /* longest header line accepted */
  MHA_MAX_HEADER = 1 << 20, /* header bytes before ElementDataFile */
  MHA_MAX_PATH = 4096,
};

enum {
  K_OBJECTTYPE,
  K_NDIMS,
  K_DIMSIZE,
  K_ELEMENTTYPE,
  K_SPACING,
  K_SIZE,
  K_OFFSET,
  K_ORIGIN,
  K_POSITION,
  K_TRANSFORM,
  K_ROTATION,
  K_ORIENTATION,
  K_BINARYDATA,
  K_BINARYMSB,
  K_ELEMENTMSB,
  K_COMPRESSED,
  K_COMPRESSEDSIZE,
  K_CHANNELS,
  K_HEADERSIZE,
  K_DATAFILE,
  K_COUNT
};

static const char *const key_names[K_COUNT] = {"ObjectType",
                                               "NDims",
                                               "DimSize",
                                               "ElementType",
                                               "ElementSpacing",
                                               "ElementSize",
                                               "Offset",
                                               "Origin",
                                               "Position",
                                               "TransformMatrix",
                                               "Rotation",
                                               "Orientation",
                                               "BinaryData",
                                               "BinaryDataByteOrderMSB",
                                               "ElementByteOrderMSB",
                                               "CompressedData",
                                               "CompressedDataSize",
                                               "ElementNumberOfChannels",
                                               "HeaderSize",
                                               "ElementDataFile"};

typedef struct mha_keys {
  char value[K_COUNT][MHA_MAX_LINE];
  int seen[K_COUNT];
  long data_start; /* byte offset after the ElementDataFile line */
} mha_keys;

/* ---- header parsing ----------------------------------------------------- */

static char *trim(char *s) {
  while (*s == ' ' || *s == '\t') {
    s++;
  }
  size_t n = strlen(s);
  while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r')) {
    s[--n] = '\0';
  }
  return s;
}

/* Read one header line (without '\n') into `line`; returns 1 on a line, 0 at
 * end of file, or a negative status. */
static int read_line(FILE *f, char *line, int *lineno, const char *path) {
  size_t n = 0;
  int c;
  for (;;) {
    c = getc(f);
    if (c == EOF || c == '\n') {
      break;
    }
    if (c == '\0' || (c < 0x20 && c != '\t' && c != '\r')) {
      return carm_error(CARM_ERR_FORMAT,
                        "%s: binary byte 0x%02x in header line %d (not a MetaImage header, or "
                        "ElementDataFile missing)",
                        path, c, *lineno + 1);
    }
    if (n + 1 >= MHA_MAX_LINE) {
      return carm_error(CARM_ERR_FORMAT, "%s: header line %d is longer than %d bytes", path,
                        *lineno + 1, MHA_MAX_LINE);
    }
    line[n++] = (char)c;
  }
  line[n] = '\0';
  if (c == EOF && n == 0) {
    return 0;
  }
  (*lineno)++;
  return 1;
}

static carm_status parse_header(FILE *f, mha_keys *k, const char *path) {
  char line[MHA_MAX_LINE];
  int lineno = 0;
  for (;;) {
    if (ftell(f) > MHA_MAX_HEADER) {
      return carm_error(CARM_ERR_FORMAT, "%s: no ElementDataFile in the first %d bytes", path,
                        MHA_MAX_HEADER);
    }
    int r = read_line(f, line, &lineno, path);
    if (r < 0) {
      return (carm_status)r;
    }
    if (r == 0) {
      return carm_error(CARM_ERR_FORMAT,
                        lineno == 0 ? "%s: empty or not a MetaImage header"
                                    : "%s: header ends without ElementDataFile (truncated?)",
                        path);
    }
    char *s = trim(line);
    if (*s == '\0') {
      continue;
    }
    char *eq = strchr(s, '=');
    if (eq == NULL) {
      return carm_error(CARM_ERR_FORMAT, "%s: header line %d is not 'Key = Value': %.60s", path,
                        lineno, s);
    }
    *eq = '\0';
    char *key = trim(s);
    char *val = trim(eq + 1);
    for (int i = 0; i < K_COUNT; i++) {
      if (strcasecmp(key, key_names[i]) == 0) {
        memcpy(k->value[i], val, strlen(val) + 1);
        k->seen[i] = 1;
        break;
      }
    }
    if (strcasecmp(key, "ElementDataFile") == 0) {
      k->data_start = ftell(f);
      return CARM_OK;
    }
  }
}

/* Parse exactly `n` finite numbers separated by blanks. */
static carm_status parse_numbers(const char *s, double *out, int n, const char *key,
                                 const char *path) {
  const char *p = s;
  for (int i = 0; i < n; i++) {
    char *end = NULL;
    errno = 0;
    double v = strtod(p, &end);
    if (end == p) {
      return carm_error(CARM_ERR_FORMAT, "%s: %s needs %d numbers, got '%s'", path, key, n, s);
    }
    if (!isfinite(v) || errno == ERANGE) {
      return carm_error(CARM_ERR_FORMAT, "%s: %s has a non-finite value: '%s'", path, key, s);
    }
    out[i] = v;
    p = end;
  }
  while (*p == ' ' || *p == '\t') {
    p++;
  }
  if (*p != '\0') {
    return carm_error(CARM_ERR_FORMAT, "%s: %s has more than %d numbers or junk: '%s'", path, key,
                      n, s);
  }
  return CARM_OK;
}

static carm_status parse_bool(const char *s, int *out, const char *key, const char *path) {
  if (strcasecmp(s, "True") == 0 || strcmp(s, "1") == 0) {
    *out = 1;
    return CARM_OK;
  }
  if (strcasecmp(s, "False") == 0 || strcmp(s, "0") == 0) {
    *out = 0;
    return CARM_OK;
  }
  return carm_error(CARM_ERR_FORMAT, "%s: %s must be True or False, got '%s'", path, key, s);
}

static carm_status parse_int(const char *s, int64_t *out, const char *key, const char *path) {
  char *end = NULL;
  errno = 0;
  long long v = strtoll(s, &end, 10);
  if (end == s || *trim(end) != '\0' || errno == ERANGE) {
    return carm_error(CARM_ERR_FORMAT, "%s: %s must be an integer, got '%s'", path, key, s);
  }
  *out = (int64_t)v;
  return CARM_OK;
}

static carm_dtype element_type(const char *s) {
  static const struct {
    const char *name;
    carm_dtype dtype;
  } map[] = {{"MET_UCHAR", CARM_DTYPE_U8},   {"MET_CHAR", CARM_DTYPE_I8},
             {"MET_USHORT", CARM_DTYPE_U16}, {"MET_SHORT", CARM_DTYPE_I16},
             {"MET_UINT", CARM_DTYPE_U32},   {"MET_INT", CARM_DTYPE_I32},
             {"MET_ULONG", CARM_DTYPE_U32},  {"MET_LONG", CARM_DTYPE_I32},
             {"MET_FLOAT", CARM_DTYPE_F32},  {"MET_DOUBLE", CARM_DTYPE_F64}};
  for (size_t i = 0; i < sizeof map / sizeof map[0]; i++) {
    if (strcmp(s, map[i].name) == 0) {
      return map[i].dtype;
    }
  }
  return CARM_DTYPE_UNKNOWN;
}

static const char *met_name(carm_dtype d) {
  switch (d) {
  case CARM_DTYPE_U8: return "MET_UCHAR";
  case CARM_DTYPE_I8: return "MET_CHAR";
  case CARM_DTYPE_U16: return "MET_USHORT";
  case CARM_DTYPE_I16: return "MET_SHORT";
  case CARM_DTYPE_U32: return "MET_UINT";
  case CARM_DTYPE_I32: return "MET_INT";
  case CARM_DTYPE_F32: return "MET_FLOAT";
  case CARM_DTYPE_F64: return "MET_DOUBLE";
  case CARM_DTYPE_UNKNOWN: break;
  }
  return "MET_OTHER";
}

/* The header's geometry and data layout, validated. */
typedef struct mha_layout {
  int64_t dims[3];
  double spacing[3];
  double origin[3];
  double direction[3][3];
  carm_dtype dtype;
  int swap;
  int compressed;
  int64_t compressed_size; /* -1 when not given */
  int64_t header_size;     /* for a separate data file; -1: data at the end */
  char data_path[MHA_MAX_PATH];
  long data_start; /* where the data begins in the data file (LOCAL) */
  int local;
} mha_layout;

static carm_status interpret(const mha_keys *k, mha_layout *L, const char *path) {
  carm_status st;
  memset(L, 0, sizeof *L);
  if (k->seen[K_OBJECTTYPE] && strcasecmp(k->value[K_OBJECTTYPE], "Image") != 0) {
    return carm_error(CARM_ERR_UNSUPPORTED, "%s: ObjectType is '%s', not Image", path,
                      k->value[K_OBJECTTYPE]);
  }
  if (!k->seen[K_NDIMS]) {
    return carm_error(CARM_ERR_FORMAT, "%s: NDims is missing", path);
  }
  int64_t nd = 0;
  st = parse_int(k->value[K_NDIMS], &nd, "NDims", path);
  if (st != CARM_OK) {
    return st;
  }
  if (nd < 2 || nd > 4) {
    return carm_error(CARM_ERR_UNSUPPORTED,
                      "%s: NDims = %lld (carm reads 2, 3 or 4 with one "
                      "time point)",
                      path, (long long)nd);
  }
  int n = (int)nd;
  if (!k->seen[K_DIMSIZE]) {
    return carm_error(CARM_ERR_FORMAT, "%s: DimSize is missing", path);
  }
  double d[16];
  st = parse_numbers(k->value[K_DIMSIZE], d, n, "DimSize", path);
  if (st != CARM_OK) {
    return st;
  }
  for (int a = 0; a < n; a++) {
    if (d[a] < 1 || d[a] != floor(d[a]) || d[a] > 9.0e15) {
      return carm_error(CARM_ERR_RANGE, "%s: DimSize[%d] = %g (must be a whole number >= 1)", path,
                        a, d[a]);
    }
  }
  if (n == 4 && d[3] != 1) {
    return carm_error(CARM_ERR_UNSUPPORTED,
                      "%s: 4D image with %g time points (carm reads one 3D volume)", path, d[3]);
  }
  for (int a = 0; a < 3; a++) {
    L->dims[a] = a < n ? (int64_t)d[a] : 1;
  }
  if (k->seen[K_CHANNELS]) {
    int64_t ch = 0;
    st = parse_int(k->value[K_CHANNELS], &ch, "ElementNumberOfChannels", path);
    if (st != CARM_OK) {
      return st;
    }
    if (ch != 1) {
      return carm_error(CARM_ERR_UNSUPPORTED,
                        "%s: ElementNumberOfChannels = %lld (carm reads scalar images only)", path,
                        (long long)ch);
    }
  }
  if (!k->seen[K_ELEMENTTYPE]) {
    return carm_error(CARM_ERR_FORMAT, "%s: ElementType is missing", path);
  }
  L->dtype = element_type(k->value[K_ELEMENTTYPE]);
  if (L->dtype == CARM_DTYPE_UNKNOWN) {
    return carm_error(CARM_ERR_UNSUPPORTED, "%s: ElementType %s is not supported", path,
                      k->value[K_ELEMENTTYPE]);
  }
  /* spacing */
  int ks = k->seen[K_SPACING] ? K_SPACING : (k->seen[K_SIZE] ? K_SIZE : -1);
  for (int a = 0; a < 3; a++) {
    L->spacing[a] = 1.0;
  }
  if (ks >= 0) {
    st = parse_numbers(k->value[ks], d, n, key_names[ks], path);
    if (st != CARM_OK) {
      return st;
    }
    for (int a = 0; a < n && a < 3; a++) {
      if (!(d[a] > 0)) {
        return carm_error(CARM_ERR_RANGE, "%s: %s[%d] = %g (spacing must be > 0)", path,
                          key_names[ks], a, d[a]);
      }
      L->spacing[a] = d[a];
    }
  }
  /* origin */
  int ko = k->seen[K_OFFSET]
               ? K_OFFSET
               : (k->seen[K_ORIGIN] ? K_ORIGIN : (k->seen[K_POSITION] ? K_POSITION : -1));
  if (ko >= 0) {
    st = parse_numbers(k->value[ko], d, n, key_names[ko], path);
    if (st != CARM_OK) {
      return st;
    }
    for (int a = 0; a < n && a < 3; a++) {
      L->origin[a] = d[a];
    }
  }
  /* direction: column i of carm's matrix = TransformMatrix[i*n .. i*n+n-1] */
  carm_mat3_identity(L->direction);
  int km = k->seen[K_TRANSFORM]
               ? K_TRANSFORM
               : (k->seen[K_ROTATION] ? K_ROTATION : (k->seen[K_ORIENTATION] ? K_ORIENTATION : -1));
  if (km >= 0) {
    st = parse_numbers(k->value[km], d, n * n, key_names[km], path);
    if (st != CARM_OK) {
      return st;
    }
    for (int i = 0; i < n && i < 3; i++) {
      for (int j = 0; j < n && j < 3; j++) {
        L->direction[j][i] = d[i * n + j];
      }
    }
    /* Axis directions should be unit vectors; a longer one scales the axis
     * (ITK maps index to point with direction · spacing), so fold its length
     * into the spacing and keep the same physical grid. */
    for (int c = 0; c < 3; c++) {
      double len =
          sqrt(L->direction[0][c] * L->direction[0][c] + L->direction[1][c] * L->direction[1][c] +
               L->direction[2][c] * L->direction[2][c]);
      if (!(len > 0)) {
        return carm_error(CARM_ERR_GEOMETRY, "%s: %s has a zero axis %d", path, key_names[km], c);
      }
      if (fabs(len - 1.0) > 1e-6) {
        for (int r = 0; r < 3; r++) {
          L->direction[r][c] /= len;
        }
        L->spacing[c] *= len;
      }
    }
    if (fabs(carm_mat3_det(L->direction)) < 1e-6) {
      return carm_error(CARM_ERR_GEOMETRY, "%s: %s is singular", path, key_names[km]);
    }
  }
  /* Final safety net: the grid carm_volume_check_grid accepts. */
  carm_volume g;
  memset(&g, 0, sizeof g);
  memcpy(g.dims, L->dims, sizeof g.dims);
  memcpy(g.spacing, L->spacing, sizeof g.spacing);
  memcpy(g.origin, L->origin, sizeof g.origin);
  memcpy(g.direction, L->direction, sizeof g.direction);
  st = carm_volume_check_grid(&g);
  if (st != CARM_OK) {
    return io_error_prefix(st, path);
  }
  /* layout */
  if (k->seen[K_BINARYDATA]) {
    int bin = 1;
    st = parse_bool(k->value[K_BINARYDATA], &bin, "BinaryData", path);
    if (st != CARM_OK) {
      return st;
    }
    if (!bin) {
      return carm_error(CARM_ERR_UNSUPPORTED, "%s: ASCII data (BinaryData = False)", path);
    }
  }
  int msb = io_host_is_msb();
  int kb = k->seen[K_BINARYMSB] ? K_BINARYMSB : (k->seen[K_ELEMENTMSB] ? K_ELEMENTMSB : -1);
  if (kb >= 0) {
    st = parse_bool(k->value[kb], &msb, key_names[kb], path);
    if (st != CARM_OK) {
      return st;
    }
  }
  L->swap = msb != io_host_is_msb();
  if (k->seen[K_COMPRESSED]) {
    st = parse_bool(k->value[K_COMPRESSED], &L->compressed, "CompressedData", path);
    if (st != CARM_OK) {
      return st;
    }
  }
  L->compressed_size = -1;
  if (L->compressed && k->seen[K_COMPRESSEDSIZE]) {
    st = parse_int(k->value[K_COMPRESSEDSIZE], &L->compressed_size, "CompressedDataSize", path);
    if (st != CARM_OK) {
      return st;
    }
    if (L->compressed_size < 1) {
      return carm_error(CARM_ERR_FORMAT, "%s: CompressedDataSize = %lld", path,
                        (long long)L->compressed_size);
    }
  }
  L->header_size = 0;
  if (k->seen[K_HEADERSIZE]) {
    st = parse_int(k->value[K_HEADERSIZE], &L->header_size, "HeaderSize", path);
    if (st != CARM_OK) {
      return st;
    }
  }
  if (L->header_size < -1) {
    return carm_error(CARM_ERR_FORMAT, "%s: HeaderSize = %lld", path, (long long)L->header_size);
  }
  /* data file */
  const char *df = k->value[K_DATAFILE];
  if (df[0] == '\0') {
    return carm_error(CARM_ERR_FORMAT, "%s: ElementDataFile is empty", path);
  }
  if (strcasecmp(df, "LOCAL") == 0) {
    L->local = 1;
    L->data_start = k->data_start;
    if ((size_t)snprintf(L->data_path, sizeof L->data_path, "%s", path) >= sizeof L->data_path) {
      return carm_error(CARM_ERR_INVALID, "%s: path too long", path);
    }
    return CARM_OK;
  }
  if (strncasecmp(df, "LIST", 4) == 0 || strchr(df, '%') != NULL || strchr(df, ' ') != NULL) {
    return carm_error(CARM_ERR_UNSUPPORTED,
                      "%s: ElementDataFile '%s' (a file list or pattern) is not supported", path,
                      df);
  }
  const char *slash = strrchr(path, '/');
  int w;
  if (df[0] == '/' || slash == NULL) {
    w = snprintf(L->data_path, sizeof L->data_path, "%s", df);
  } else {
    w = snprintf(L->data_path, sizeof L->data_path, "%.*s/%s", (int)(slash - path), path, df);
  }
  if (w < 0 || (size_t)w >= sizeof L->data_path) {
    return carm_error(CARM_ERR_INVALID, "%s: data file path too long", path);
  }
  return CARM_OK;
}

/* ---- data streams ------------------------------------------------------- */

typedef struct raw_src {
  FILE *f;
  const char *path;
} raw_src;

static int64_t raw_read(void *ctx, unsigned char *buf, size_t cap) {
  raw_src *s = ctx;
  size_t n = fread(buf, 1, cap, s->f);
  if (n == 0 && ferror(s->f)) {
    return carm_error(CARM_ERR_IO, "cannot read %s: %s", s->path, strerror(errno));
  }
  return (int64_t)n;
}

typedef struct z_src {
  FILE *f;
  const char *path;
  z_stream z;
  int64_t left_in; /* -1: until end of file */
  int ended;
  unsigned char in[1 << 16];
} z_src;

static int64_t z_read(void *ctx, unsigned char *buf, size_t cap) {
  z_src *s = ctx;
  if (s->ended) {
    return 0;
  }
  if (cap > (size_t)1 << 30) {
    cap = (size_t)1 << 30;
  }
  s->z.next_out = buf;
  s->z.avail_out = (uInt)cap;
  while (s->z.avail_out > 0) {
    if (s->z.avail_in == 0) {
      size_t ask = sizeof s->in;
      if (s->left_in >= 0 && (int64_t)ask > s->left_in) {
        ask = (size_t)s->left_in;
      }
      size_t n = ask > 0 ? fread(s->in, 1, ask, s->f) : 0;
      if (n == 0) {
        if (ferror(s->f)) {
          return carm_error(CARM_ERR_IO, "cannot read %s: %s", s->path, strerror(errno));
        }
        break; /* input exhausted: the caller reports the shortfall */
      }
      if (s->left_in >= 0) {
        s->left_in -= (int64_t)n;
      }
      s->z.next_in = s->in;
      s->z.avail_in = (uInt)n;
    }
    int r = inflate(&s->z, Z_NO_FLUSH);
    if (r == Z_STREAM_END) {
      s->ended = 1;
      break;
    }
    if (r == Z_BUF_ERROR && s->z.avail_in == 0) {
      continue;
    }
    if (r != Z_OK) {
      return carm_error(CARM_ERR_FORMAT, "%s: compressed data is corrupt (zlib: %s)", s->path,
                        s->z.msg != NULL ? s->z.msg : zError(r));
    }
  }
  return (int64_t)(cap - s->z.avail_out);
}

/* After the voxels: run the stream to its end so that zlib checks the
 * Adler-32 of everything (a flipped byte may otherwise go unnoticed). Extra
 * bytes past the declared size are ignored. */
static carm_status z_finish(z_src *s) {
  unsigned char scratch[4096];
  while (!s->ended) {
    int64_t n = z_read(s, scratch, sizeof scratch);
    if (n < 0) {
      return (carm_status)n;
    }
    if (n == 0 && !s->ended) {
      return carm_error(CARM_ERR_FORMAT, "%s: compressed data is truncated (no end of stream)",
                        s->path);
    }
  }
  return CARM_OK;
}

static carm_status read_data(carm_volume *vol, const mha_layout *L, const char *path) {
  FILE *f = fopen(L->data_path, "rb");
  if (f == NULL) {
    return carm_error(errno == ENOENT ? CARM_ERR_NOTFOUND : CARM_ERR_IO,
                      "%s: cannot open data file %s: %s", path, L->data_path, strerror(errno));
  }
  struct stat sb;
  if (fstat(fileno(f), &sb) != 0) {
    fclose(f);
    return carm_error(CARM_ERR_IO, "cannot stat %s", L->data_path);
  }
  int64_t fsize = (int64_t)sb.st_size;
  int64_t need = carm_volume_count(vol) * (int64_t)io_dtype_size(L->dtype);
  int64_t start = L->local ? L->data_start : L->header_size;
  if (!L->local && L->header_size == -1) {
    start = L->compressed ? -1 : fsize - need;
    if (start < 0) {
      fclose(f);
      return carm_error(CARM_ERR_FORMAT,
                        "%s: data file %s (%lld bytes) is shorter than the %lld "
                        "bytes declared",
                        path, L->data_path, (long long)fsize, (long long)need);
    }
  }
  carm_status st = CARM_OK;
  if (start > fsize || fseeko(f, (off_t)start, SEEK_SET) != 0) {
    fclose(f);
    return carm_error(CARM_ERR_FORMAT, "%s: data file %s ends before its data begins", path,
                      L->data_path);
  }
  int64_t avail = fsize - start;
  char what[MHA_MAX_PATH + 32];
  snprintf(what, sizeof what, "%s data in %s", L->compressed ? "compressed" : "raw", L->data_path);
  if (!L->compressed) {
    if (avail < need) {
      st = carm_error(CARM_ERR_FORMAT,
                      "%s: data is shorter than declared: %lld of %lld bytes (%lld x %lld x %lld "
                      "%s)",
                      L->data_path, (long long)avail, (long long)need, (long long)vol->dims[0],
                      (long long)vol->dims[1], (long long)vol->dims[2], carm_dtype_name(L->dtype));
    } else {
      raw_src src = {f, L->data_path};
      st = io_read_voxels(vol, raw_read, &src, L->dtype, L->swap, 0, 1.0, 0.0, what);
    }
    fclose(f);
    return st;
  }
  if (L->compressed_size > avail) {
    fclose(f);
    return carm_error(CARM_ERR_FORMAT,
                      "%s: CompressedDataSize = %lld but only %lld bytes follow the header",
                      L->data_path, (long long)L->compressed_size, (long long)avail);
  }
  z_src *z = calloc(1, sizeof *z);
  if (z == NULL) {
    fclose(f);
    return carm_error(CARM_ERR_NOMEM, "cannot allocate a zlib stream");
  }
  z->f = f;
  z->path = L->data_path;
  z->left_in = L->compressed_size;
  if (inflateInit2(&z->z, 15 + 32) != Z_OK) {
    free(z);
    fclose(f);
    return carm_error(CARM_ERR_NOMEM, "cannot start zlib");
  }
  st = io_read_voxels(vol, z_read, z, L->dtype, L->swap, 0, 1.0, 0.0, what);
  if (st == CARM_OK) {
    st = z_finish(z);
  }
  inflateEnd(&z->z);
  free(z);
  fclose(f);
  return st;
}

carm_status io_metaimage_read(carm_volume **out, carm_image_info *info, const char *path) {
  FILE *f = fopen(path, "rb");
  if (f == NULL) {
    return carm_error(errno == ENOENT ? CARM_ERR_NOTFOUND : CARM_ERR_IO, "cannot open %s: %s", path,
                      strerror(errno));
  }
  mha_keys *k = calloc(1, sizeof *k);
  mha_layout *L = calloc(1, sizeof *L);
  carm_volume *vol = NULL;
  carm_status st = CARM_OK;
  if (k == NULL || L == NULL) {
    st = carm_error(CARM_ERR_NOMEM, "cannot allocate a MetaImage header");
    goto cleanup;
  }
  st = parse_header(f, k, path);
  fclose(f);
  f = NULL;
  if (st != CARM_OK) {
    goto cleanup;
  }
  st = interpret(k, L, path);
  if (st != CARM_OK) {
    goto cleanup;
  }
  /* Check the size against the file before allocating (raw data only). */
  if (!L->compressed) {
    struct stat sb;
    if (stat(L->data_path, &sb) == 0) {
      double need = (double)L->dims[0] * (double)L->dims[1] * (double)L->dims[2] *
                    (double)io_dtype_size(L->dtype);
      double start =
          L->local ? (double)L->data_start : (double)(L->header_size > 0 ? L->header_size : 0);
      if ((double)sb.st_size - start < need && need < 4.0 * (double)CARM_VOLUME_MAX_BYTES) {
        st = carm_error(CARM_ERR_FORMAT,
                        "%s: data is shorter than declared: %.0f of %.0f bytes (%lld x %lld x "
                        "%lld %s)",
                        L->data_path, fmax((double)sb.st_size - start, 0.0), need,
                        (long long)L->dims[0], (long long)L->dims[1], (long long)L->dims[2],
                        carm_dtype_name(L->dtype));
        goto cleanup;
      }
    }
  }
  /* zlib cannot expand more than ~1032:1: a declared size beyond that is a
   * lie, found before allocating. */
  if (L->compressed) {
    struct stat sb;
    if (stat(L->data_path, &sb) == 0) {
      double need = (double)L->dims[0] * (double)L->dims[1] * (double)L->dims[2] *
                    (double)io_dtype_size(L->dtype);
      double have = L->compressed_size > 0 ? (double)L->compressed_size : (double)sb.st_size;
      if (need > 1100.0 * have + 65536.0 && need < 4.0 * (double)CARM_VOLUME_MAX_BYTES) {
        st = carm_error(CARM_ERR_FORMAT,
                        "%s: %.0f compressed bytes cannot hold the %.0f bytes declared (%lld x "
                        "%lld x %lld %s)",
                        L->data_path, have, need, (long long)L->dims[0], (long long)L->dims[1],
                        (long long)L->dims[2], carm_dtype_name(L->dtype));
        goto cleanup;
      }
    }
  }
  st = carm_volume_create(&vol, L->dims);
  if (st != CARM_OK) {
    st = io_error_prefix(st, path);
    goto cleanup;
  }
  memcpy(vol->spacing, L->spacing, sizeof vol->spacing);
  memcpy(vol->origin, L->origin, sizeof vol->origin);
  memcpy(vol->direction, L->direction, sizeof vol->direction);
  st = read_data(vol, L, path);
  if (st != CARM_OK) {
    goto cleanup;
  }
  if (info != NULL) {
    info->dtype = L->dtype;
    info->compressed = L->compressed;
    snprintf(info->format, sizeof info->format, "MetaImage");
    info->scl_slope = 1.0;
    info->scl_inter = 0.0;
  }
  *out = vol;
  vol = NULL;
cleanup:
  if (f != NULL) {
    fclose(f);
  }
  carm_volume_destroy(vol);
  free(k);
  free(L);
  return st;
}

/* ---- writing ------------------------------------------------------------ */

typedef struct text {
  char buf[8192];
  size_t n;
  int overflow;
} text;

#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
static void
put(text *t, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int w = vsnprintf(t->buf + t->n, sizeof t->buf - t->n, fmt, ap);
  va_end(ap);
  if (w < 0 || (size_t)w >= sizeof t->buf - t->n) {
    t->overflow = 1;
    return;
  }
  t->n += (size_t)w;
}

/* Shortest of %.15g / %.17g that reads back exactly. */
static void put_num(text *t, double v) {
  char s[40];
  snprintf(s, sizeof s, "%.15g", v);
  if (strtod(s, NULL) != v) {
    snprintf(s, sizeof s, "%.17g", v);
  }
  put(t, " %s", s);
}

/* Encoded (and possibly compressed) voxels collected in memory, or written
 * straight to `f` when raw. */
typedef struct sink {
  FILE *f;            /* raw: write here */
  z_stream z;         /* compressed: deflate into mem */
  unsigned char *mem; /* compressed bytes */
  size_t len, cap;
} sink;

static carm_status sink_deflate(sink *s, const unsigned char *p, size_t n, int flush) {
  s->z.next_in = (Bytef *)(uintptr_t)p;
  s->z.avail_in = (uInt)n;
  for (;;) {
    if (s->cap - s->len < 65536) {
      size_t nc = s->cap * 2 + 65536;
      unsigned char *m = realloc(s->mem, nc);
      if (m == NULL) {
        return carm_error(CARM_ERR_NOMEM, "cannot grow the compression buffer");
      }
      s->mem = m;
      s->cap = nc;
    }
    s->z.next_out = s->mem + s->len;
    s->z.avail_out = (uInt)(s->cap - s->len);
    int r = deflate(&s->z, flush);
    s->len = s->cap - s->z.avail_out;
    if (r == Z_STREAM_END) {
      return CARM_OK;
    }
    if (r != Z_OK && r != Z_BUF_ERROR) {
      return carm_error(CARM_ERR_INTERNAL, "zlib deflate failed (%d)", r);
    }
    if (flush == Z_NO_FLUSH && s->z.avail_in == 0) {
      return CARM_OK;
    }
  }
}

static carm_status encode_all(const carm_volume *vol, carm_dtype dtype, sink *s, int compress) {
  size_t es = io_dtype_size(dtype);
  size_t chunk = (size_t)1 << 18; /* elements */
  unsigned char *buf = malloc(chunk * es);
  if (buf == NULL) {
    return carm_error(CARM_ERR_NOMEM, "cannot allocate a write buffer");
  }
  int64_t count = carm_volume_count(vol);
  carm_status st = CARM_OK;
  for (int64_t i = 0; i < count && st == CARM_OK; i += (int64_t)chunk) {
    size_t n = (size_t)(count - i) < chunk ? (size_t)(count - i) : chunk;
    io_encode(buf, vol->data + i, n, dtype);
    if (compress) {
      st = sink_deflate(s, buf, n * es, Z_NO_FLUSH);
    } else if (fwrite(buf, es, n, s->f) != n) {
      st = carm_error(CARM_ERR_IO, "write failed: %s", strerror(errno));
    }
  }
  if (st == CARM_OK && compress) {
    st = sink_deflate(s, NULL, 0, Z_FINISH);
  }
  free(buf);
  return st;
}

static void build_header(text *t, const carm_volume *vol, carm_dtype dtype, int compress,
                         size_t compressed_size, const char *datafile) {
  put(t, "ObjectType = Image\nNDims = 3\nBinaryData = True\n");
  put(t, "BinaryDataByteOrderMSB = %s\n", io_host_is_msb() ? "True" : "False");
  put(t, "CompressedData = %s\n", compress ? "True" : "False");
  if (compress) {
    put(t, "CompressedDataSize = %zu\n", compressed_size);
  }
  put(t, "TransformMatrix =");
  for (int i = 0; i < 3; i++) {
    for (int j = 0; j < 3; j++) {
      put_num(t, vol->direction[j][i]);
    }
  }
  put(t, "\nOffset =");
  for (int a = 0; a < 3; a++) {
    put_num(t, vol->origin[a]);
  }
  put(t, "\nCenterOfRotation = 0 0 0\nElementSpacing =");
  for (int a = 0; a < 3; a++) {
    put_num(t, vol->spacing[a]);
  }
  put(t, "\nDimSize = %lld %lld %lld\n", (long long)vol->dims[0], (long long)vol->dims[1],
      (long long)vol->dims[2]);
  put(t, "ElementType = %s\nElementDataFile = %s\n", met_name(dtype), datafile);
}

carm_status io_metaimage_write(const carm_volume *vol, const char *path,
                               const carm_write_opts *opts) {
  int mhd = io_has_suffix(path, ".mhd");
  int compress = opts->compress != 0;
  char data_path[MHA_MAX_PATH];
  const char *data_name = "LOCAL";
  if (mhd) {
    size_t n = strlen(path) - 4;
    int w =
        snprintf(data_path, sizeof data_path, "%.*s.%s", (int)n, path, compress ? "zraw" : "raw");
    if (w < 0 || (size_t)w >= sizeof data_path) {
      return carm_error(CARM_ERR_INVALID, "path too long: %s", path);
    }
    const char *slash = strrchr(data_path, '/');
    data_name = slash != NULL ? slash + 1 : data_path;
  }
  carm_output *oh = NULL; /* the header (and the data, .mha) */
  carm_output *od = NULL; /* the data file of a .mhd */
  FILE *fh = NULL;
  FILE *fd = NULL;
  sink s;
  memset(&s, 0, sizeof s);
  text *t = calloc(1, sizeof *t);
  carm_status st = CARM_OK;
  if (t == NULL) {
    return carm_error(CARM_ERR_NOMEM, "cannot allocate a header");
  }
  if (compress && deflateInit(&s.z, Z_DEFAULT_COMPRESSION) != Z_OK) {
    free(t);
    return carm_error(CARM_ERR_NOMEM, "cannot start zlib");
  }
  st = carm_output_open(&oh, path);
  if (st != CARM_OK) {
    goto cleanup;
  }
  fh = carm_output_file(oh);
  if (mhd) {
    st = carm_output_open(&od, data_path);
    if (st != CARM_OK) {
      goto cleanup;
    }
    fd = carm_output_file(od);
  }
  FILE *df = mhd ? fd : fh;
  if (compress) {
    st = encode_all(vol, opts->dtype, &s, 1);
    if (st != CARM_OK) {
      goto cleanup;
    }
    build_header(t, vol, opts->dtype, 1, s.len, data_name);
    if (t->overflow) {
      st = carm_error(CARM_ERR_INTERNAL, "MetaImage header too long");
      goto cleanup;
    }
    if (fwrite(t->buf, 1, t->n, fh) != t->n || fwrite(s.mem, 1, s.len, df) != s.len) {
      st = carm_error(CARM_ERR_IO, "cannot write %s: %s", path, strerror(errno));
      goto cleanup;
    }
  } else {
    build_header(t, vol, opts->dtype, 0, 0, data_name);
    if (fwrite(t->buf, 1, t->n, fh) != t->n) {
      st = carm_error(CARM_ERR_IO, "cannot write %s: %s", path, strerror(errno));
      goto cleanup;
    }
    s.f = df;
    st = encode_all(vol, opts->dtype, &s, 0);
    if (st != CARM_OK) {
      st = io_error_prefix(st, path);
      goto cleanup;
    }
  }
  if (mhd) {
    st = carm_output_commit(od);
    od = NULL;
    if (st != CARM_OK) {
      goto cleanup;
    }
  }
  st = carm_output_commit(oh);
  oh = NULL;
cleanup:
  carm_output_discard(oh);
  carm_output_discard(od);
  if (compress) {
    deflateEnd(&s.z);
  }
  free(s.mem);
  free(t);
  return st;
}
