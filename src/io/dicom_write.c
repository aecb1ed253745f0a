/* Writing DICOM: classic CT series, Enhanced CT, binary SEG, Secondary
 * Capture and XA multi-frame runs. The data sets are composed here, in C,
 * through the GDCM adapter's path setter; GDCM encodes and writes them. */
#include "carm/dicom.h"
#include "io/dicom_gdcm.h"

#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define UID_CT "1.2.840.10008.5.1.4.1.1.2"
#define UID_ENHANCED_CT "1.2.840.10008.5.1.4.1.1.2.1"
#define UID_SEG "1.2.840.10008.5.1.4.1.1.66.4"
#define UID_SC "1.2.840.10008.5.1.4.1.1.7"
#define UID_XA "1.2.840.10008.5.1.4.1.1.12.1"

/* Basic profile note written into de-identified objects. */
#define DEID_METHOD "carm basic profile: identifiers removed, UIDs replaced"

carm_status carm_dicom_new_uid(char buf[65]) {
  if (buf == NULL) {
    return carm_error(CARM_ERR_INVALID, "carm_dicom_new_uid: NULL buffer");
  }
  unsigned char r[16];
  FILE *f = fopen("/dev/urandom", "rb");
  if (f == NULL) {
    return carm_error(CARM_ERR_IO, "cannot open /dev/urandom: %s", strerror(errno));
  }
  size_t got = fread(r, 1, sizeof r, f);
  fclose(f);
  if (got != sizeof r) {
    return carm_error(CARM_ERR_IO, "short read from /dev/urandom");
  }
  r[6] = (unsigned char)((r[6] & 0x0f) | 0x40); /* UUID version 4 */
  r[8] = (unsigned char)((r[8] & 0x3f) | 0x80); /* RFC 4122 variant */
  /* 128-bit big-endian integer → decimal by repeated division by 10 */
  char digits[48];
  int nd = 0;
  int nonzero = 1;
  while (nonzero) {
    unsigned rem = 0;
    nonzero = 0;
    for (int i = 0; i < 16; i++) {
      unsigned cur = (rem << 8) | r[i];
      r[i] = (unsigned char)(cur / 10);
      rem = cur % 10;
      nonzero |= r[i] != 0;
    }
    digits[nd++] = (char)('0' + rem);
  }
  int pos = snprintf(buf, 65, "2.25.");
  for (int i = nd - 1; i >= 0; i--) {
    buf[pos++] = digits[i];
  }
  buf[pos] = '\0';
  return CARM_OK;
}

/* ---- the context every writer shares ----------------------------------------- */

typedef struct wctx {
  cdg_builder *b;
  int bad; /* a setter failed (a bug: bad tag or value) */
  char bad_path[200];
  carm_dicom_meta src; /* carried patient/study (zeroed when none) */
  int have_src;
  int deid;
  char study_uid[65], series_uid[65], for_uid[65];
  char date[9], time[16];
  int64_t series_number;
  const char *series_description;
  const char *derivation;
} wctx;

#if defined(__GNUC__)
__attribute__((format(printf, 3, 4)))
#endif
static void
setf(wctx *c, const char *path, const char *fmt, ...) {
  char buf[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  if (cdg_set(c->b, path, buf) != 0 && !c->bad) {
    c->bad = 1;
    snprintf(c->bad_path, sizeof c->bad_path, "%s", path);
  }
}

/* Long values (a per-frame list of a long run) must not pass through
 * setf's fixed buffer. */
static void sets(wctx *c, const char *path, const char *value) {
  if (cdg_set(c->b, path, value) != 0 && !c->bad) {
    c->bad = 1;
    snprintf(c->bad_path, sizeof c->bad_path, "%.190s", path);
  }
}

/* One attribute `tag` inside the sequence item `seq_item`; a path too long
 * for the buffer marks the write bad instead of setting a truncated path. */
static void set_in(wctx *c, const char *seq_item, const char *tag, const char *value) {
  char p[256];
  int n = snprintf(p, sizeof p, "%s/%s", seq_item, tag);
  if (n < 0 || (size_t)n >= sizeof p) {
    if (!c->bad) {
      c->bad = 1;
      snprintf(c->bad_path, sizeof c->bad_path, "%.64s (path too long)", seq_item);
    }
    return;
  }
  sets(c, p, value);
}

static void set_code(wctx *c, const char *seq_item, const char *value, const char *scheme,
                     const char *meaning) {
  set_in(c, seq_item, "0008,0100", value);
  set_in(c, seq_item, "0008,0102", scheme);
  set_in(c, seq_item, "0008,0104", meaning);
}

/* DS values: at most 16 characters. */
static void ds(char *out, size_t cap, double v) {
  for (int prec = 10; prec >= 1; prec--) {
    snprintf(out, cap, "%.*g", prec, v);
    if (strlen(out) <= 16) {
      return;
    }
  }
}

static void set_ds(wctx *c, const char *path, const double *v, int n) {
  char buf[17 * 16 + 1];
  size_t pos = 0;
  for (int i = 0; i < n; i++) {
    char one[32];
    ds(one, sizeof one, v[i]);
    pos += (size_t)snprintf(buf + pos, sizeof buf - pos, "%s%s", i ? "\\" : "", one);
  }
  sets(c, path, buf);
}

static carm_status find_like_file(const char *like, char *out, size_t cap) {
  struct stat sb;
  if (stat(like, &sb) != 0) {
    return carm_error(CARM_ERR_IO, "%s: %s", like, strerror(errno));
  }
  if (!S_ISDIR(sb.st_mode)) {
    snprintf(out, cap, "%s", like);
    return CARM_OK;
  }
  DIR *d = opendir(like);
  if (d == NULL) {
    return carm_error(CARM_ERR_IO, "%s: %s", like, strerror(errno));
  }
  /* the alphabetically first file that parses as DICOM */
  char best[4096] = "";
  struct dirent *e;
  while ((e = readdir(d)) != NULL) {
    if (e->d_name[0] == '.' || (best[0] != '\0' && strcmp(e->d_name, best) >= 0)) {
      continue;
    }
    char p[4096];
    snprintf(p, sizeof p, "%s/%s", like, e->d_name);
    carm_dicom_meta m;
    if (stat(p, &sb) == 0 && S_ISREG(sb.st_mode) && carm_dicom_read_meta(&m, p) == CARM_OK) {
      snprintf(best, sizeof best, "%s", e->d_name);
    }
  }
  closedir(d);
  if (best[0] == '\0') {
    return carm_error(CARM_ERR_NOTFOUND, "%s: no DICOM file in this folder", like);
  }
  snprintf(out, cap, "%s/%s", like, best);
  return CARM_OK;
}

static carm_status ctx_init(wctx *c, const carm_dicom_write_opts *opts, int64_t default_series) {
  memset(c, 0, sizeof *c);
  carm_dicom_write_opts defaults = CARM_DICOM_WRITE_INIT;
  if (opts == NULL) {
    opts = &defaults;
  }
  if (opts->version != 1) {
    return carm_error(CARM_ERR_INVALID, "DICOM write options: version %d", opts->version);
  }
  carm_status st;
  if (opts->like != NULL) {
    char path[4096];
    st = find_like_file(opts->like, path, sizeof path);
    if (st == CARM_OK) {
      st = carm_dicom_read_meta(&c->src, path);
    }
    if (st != CARM_OK) {
      return st;
    }
    c->have_src = 1;
  }
  c->deid = opts->deidentify != 0;
  if (c->deid) {
    /* basic profile: patient identifiers, study identifiers and dates of the
     * source are removed; UIDs are replaced (new ones below) */
    carm_dicom_meta keep = c->src;
    memset(&c->src, 0, sizeof c->src);
    snprintf(c->src.patient_sex, sizeof c->src.patient_sex, "%s", "");
    snprintf(c->src.patient_position, sizeof c->src.patient_position, "%s", keep.patient_position);
    snprintf(c->src.patient_name, sizeof c->src.patient_name, "%s", "Anonymous^");
    snprintf(c->src.patient_id, sizeof c->src.patient_id, "%s", "ANONYMOUS");
  }
  if (c->have_src && !c->deid && c->src.study_instance_uid[0] != '\0') {
    snprintf(c->study_uid, sizeof c->study_uid, "%s", c->src.study_instance_uid);
  } else if ((st = carm_dicom_new_uid(c->study_uid)) != CARM_OK) {
    return st;
  }
  if ((st = carm_dicom_new_uid(c->series_uid)) != CARM_OK) {
    return st;
  }
  if (c->have_src && !c->deid && !opts->new_frame_of_reference &&
      c->src.frame_of_reference_uid[0] != '\0') {
    snprintf(c->for_uid, sizeof c->for_uid, "%s", c->src.frame_of_reference_uid);
  } else if ((st = carm_dicom_new_uid(c->for_uid)) != CARM_OK) {
    return st;
  }
  time_t now = time(NULL);
  struct tm tm;
  localtime_r(&now, &tm);
  strftime(c->date, sizeof c->date, "%Y%m%d", &tm);
  strftime(c->time, sizeof c->time, "%H%M%S", &tm);
  c->series_number = opts->series_number > 0 ? opts->series_number : default_series;
  c->series_description = opts->series_description;
  c->derivation = opts->derivation;
  c->b = cdg_builder_create();
  if (c->b == NULL) {
    return carm_error(CARM_ERR_NOMEM, "no memory for a DICOM data set");
  }
  return CARM_OK;
}

/* A fresh data set for the next object (series UIDs kept). */
static carm_status ctx_next(wctx *c) {
  cdg_builder_destroy(c->b);
  c->b = cdg_builder_create();
  return c->b != NULL ? CARM_OK : carm_error(CARM_ERR_NOMEM, "no memory for a DICOM data set");
}

/* Patient, General Study, General Series, Frame of Reference, General
 * Equipment and SOP Common. */
static carm_status common_modules(wctx *c, const char *sop_class, const char *modality,
                                  const char *default_description, int with_for) {
  char sop_uid[65];
  carm_status st = carm_dicom_new_uid(sop_uid);
  if (st != CARM_OK) {
    return st;
  }
  const carm_dicom_meta *s = &c->src;
  sets(c, "0008,0005", "ISO_IR 192");
  sets(c, "0008,0012", c->date);
  sets(c, "0008,0013", c->time);
  sets(c, "0008,0016", sop_class);
  sets(c, "0008,0018", sop_uid);
  sets(c, "0008,0020", c->have_src && !c->deid ? s->study_date : c->date);
  sets(c, "0008,0030", c->have_src && !c->deid ? s->study_time : c->time);
  sets(c, "0008,0021", c->date);
  sets(c, "0008,0031", c->time);
  sets(c, "0008,0023", c->date);
  sets(c, "0008,0033", c->time);
  sets(c, "0008,0050", s->accession_number);
  sets(c, "0008,0060", modality);
  sets(c, "0008,0070", "carm");
  sets(c, "0008,0090", s->referring_physician);
  if (s->study_description[0] != '\0') {
    sets(c, "0008,1030", s->study_description);
  }
  sets(c, "0008,103e", c->series_description ? c->series_description : default_description);
  sets(c, "0008,1090", "carm");
  setf(c, "0018,1020", "carm %s", carm_version());
  sets(c, "0010,0010", s->patient_name);
  sets(c, "0010,0020", s->patient_id);
  sets(c, "0010,0030", s->patient_birth_date);
  sets(c, "0010,0040", s->patient_sex);
  if (c->deid) {
    sets(c, "0012,0062", "YES");
    sets(c, "0012,0063", DEID_METHOD);
  }
  sets(c, "0020,000d", c->study_uid);
  sets(c, "0020,000e", c->series_uid);
  sets(c, "0020,0010", s->study_id);
  setf(c, "0020,0011", "%lld", (long long)c->series_number);
  if (strcmp(sop_class, UID_ENHANCED_CT) != 0 && strcmp(sop_class, UID_SEG) != 0) {
    sets(c, "0020,0060", ""); /* type 2C in the classic IODs' General Series */
  }
  if (with_for) {
    sets(c, "0020,0052", c->for_uid);
    sets(c, "0020,1040", "");
  }
  return CARM_OK;
}

/* Manufacturer, model, serial and software (Enhanced General Equipment). */
static void enhanced_equipment(wctx *c) { sets(c, "0018,1000", "0"); }

static carm_status save(wctx *c, const char *path) {
  if (c->bad) {
    return carm_error(CARM_ERR_INTERNAL, "DICOM writer: cannot set %s", c->bad_path);
  }
  char err[256] = "";
  if (cdg_save(c->b, path, err, sizeof err) != 0) {
    return carm_error(CARM_ERR_IO, "%s", err);
  }
  return CARM_OK;
}

/* Atomic single file: write to a temporary name in the same folder, rename. */
static carm_status save_atomic(wctx *c, const char *path) {
  carm_output *o = NULL;
  carm_status st = carm_output_open(&o, path);
  if (st != CARM_OK) {
    return st;
  }
  /* GDCM writes by name: over the empty temporary file */
  st = save(c, carm_output_temp_path(o));
  if (st != CARM_OK) {
    carm_output_discard(o);
    return st;
  }
  return carm_output_commit(o);
}

static void ctx_free(wctx *c) {
  cdg_builder_destroy(c->b);
  c->b = NULL;
}

/* ---- int16 encoding of a float volume ------------------------------------------ */

typedef struct enc16 {
  double slope, intercept;
  int hu; /* slope 1: values are HU */
  double lo, hi;
} enc16;

static void choose_encoding(const carm_volume *vol, enc16 *e) {
  double lo = NAN;
  double hi = NAN;
  carm_volume_range(vol, &lo, &hi);
  if (!isfinite(lo)) {
    lo = hi = 0.0;
  }
  e->lo = lo;
  e->hi = hi;
  e->intercept = 0.0;
  if (lo >= -32768.0 && hi <= 32767.0 && hi - lo >= 16.0) {
    e->slope = 1.0;
    e->hu = 1;
  } else {
    double m = fmax(fabs(lo), fabs(hi));
    e->slope = m > 0 ? m / 32000.0 : 1.0;
    e->hu = 0;
  }
}

static int16_t enc_value(const enc16 *e, float v) {
  if (!isfinite(v)) {
    return 0;
  }
  double s = nearbyint(((double)v - e->intercept) / e->slope);
  if (s < -32768.0) {
    s = -32768.0;
  }
  if (s > 32767.0) {
    s = 32767.0;
  }
  return (int16_t)s;
}

static void set_pixel_module16(wctx *c, int64_t rows, int64_t cols, const enc16 *e,
                               int with_rescale) {
  setf(c, "0028,0002", "1");
  sets(c, "0028,0004", "MONOCHROME2");
  setf(c, "0028,0010", "%lld", (long long)rows);
  setf(c, "0028,0011", "%lld", (long long)cols);
  sets(c, "0028,0100", "16");
  sets(c, "0028,0101", "16");
  sets(c, "0028,0102", "15");
  sets(c, "0028,0103", "1");
  if (with_rescale) {
    double w[2] = {0.5 * (e->lo + e->hi), fmax(e->hi - e->lo, 1.0)};
    set_ds(c, "0028,1050", &w[0], 1);
    set_ds(c, "0028,1051", &w[1], 1);
    set_ds(c, "0028,1052", &e->intercept, 1);
    set_ds(c, "0028,1053", &e->slope, 1);
    sets(c, "0028,1054", e->hu ? "HU" : "US");
  }
}

static carm_status check_volume(const carm_volume *vol, const char *what) {
  if (vol == NULL || vol->data == NULL) {
    return carm_error(CARM_ERR_INVALID, "%s: NULL volume", what);
  }
  carm_status st = carm_volume_check_grid(vol);
  if (st != CARM_OK) {
    return st;
  }
  if (vol->dims[0] > 65535 || vol->dims[1] > 65535) {
    return carm_error(CARM_ERR_RANGE, "%s: %lldx%lld slices exceed DICOM's 65535 rows/columns",
                      what, (long long)vol->dims[0], (long long)vol->dims[1]);
  }
  return CARM_OK;
}

/* Direction columns → IOP and slice origin k. */
static void plane_of(const carm_volume *vol, int64_t k, double iop[6], double ipp[3]) {
  for (int a = 0; a < 3; a++) {
    iop[a] = vol->direction[a][0];
    iop[3 + a] = vol->direction[a][1];
    ipp[a] = vol->origin[a] + vol->direction[a][2] * vol->spacing[2] * (double)k;
  }
}

/* ---- classic CT series ----------------------------------------------------------- */

static void remove_tree(const char *dir) {
  DIR *d = opendir(dir);
  if (d != NULL) {
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
      if (e->d_name[0] == '.' && (e->d_name[1] == '\0' || strcmp(e->d_name, "..") == 0)) {
        continue;
      }
      char p[4096];
      snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
      remove(p);
    }
    closedir(d);
  }
  rmdir(dir);
}

carm_status carm_dicom_write_ct_series(const carm_volume *vol, const char *dir,
                                       const carm_dicom_write_opts *opts) {
  carm_status st = check_volume(vol, "CT series");
  if (st != CARM_OK) {
    return st;
  }
  if (dir == NULL || dir[0] == '\0') {
    return carm_error(CARM_ERR_INVALID, "CT series: no output folder");
  }
  struct stat sb;
  if (stat(dir, &sb) == 0) {
    if (!S_ISDIR(sb.st_mode)) {
      return carm_error(CARM_ERR_IO, "%s exists and is not a folder", dir);
    }
    DIR *d = opendir(dir);
    int empty = 1;
    struct dirent *e;
    while (d != NULL && (e = readdir(d)) != NULL) {
      if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0) {
        empty = 0;
      }
    }
    if (d != NULL) {
      closedir(d);
    }
    if (!empty) {
      return carm_error(CARM_ERR_IO, "%s is not empty; give a new or empty folder", dir);
    }
  }
  wctx c;
  st = ctx_init(&c, opts, 900);
  if (st != CARM_OK) {
    ctx_free(&c);
    return st;
  }
  size_t tl = strlen(dir) + 16;
  char *tmp = malloc(tl);
  int16_t *slice = malloc((size_t)(vol->dims[0] * vol->dims[1]) * sizeof *slice);
  if (tmp == NULL || slice == NULL) {
    free(tmp);
    free(slice);
    ctx_free(&c);
    return carm_error(CARM_ERR_NOMEM, "no memory");
  }
  /* without trailing slashes, so that the temporary folder is a sibling */
  size_t dl = strlen(dir);
  while (dl > 1 && dir[dl - 1] == '/') {
    dl--;
  }
  snprintf(tmp, tl, "%.*s.tmpXXXXXX", (int)dl, dir);
  if (mkdtemp(tmp) == NULL) {
    st = carm_error(CARM_ERR_IO, "cannot create a folder next to %s: %s", dir, strerror(errno));
    free(tmp);
    free(slice);
    ctx_free(&c);
    return st;
  }
  enc16 e;
  choose_encoding(vol, &e);
  int64_t npix = vol->dims[0] * vol->dims[1];
  for (int64_t k = 0; k < vol->dims[2] && st == CARM_OK; k++) {
    st = ctx_next(&c);
    if (st == CARM_OK) {
      st = common_modules(&c, UID_CT, "CT", "carm volume", 1);
    }
    if (st != CARM_OK) {
      break;
    }
    double iop[6];
    double ipp[3];
    plane_of(vol, k, iop, ipp);
    sets(&c, "0008,0008", "DERIVED\\SECONDARY\\AXIAL");
    sets(&c, "0008,2111", c.derivation ? c.derivation : "reconstructed or processed by carm");
    set_ds(&c, "0018,0050", &vol->spacing[2], 1);
    sets(&c, "0018,0060", "");
    sets(&c, "0018,5100", c.src.patient_position);
    sets(&c, "0020,0012", "");
    setf(&c, "0020,0013", "%lld", (long long)k + 1);
    sets(&c, "0020,0020", "");
    set_ds(&c, "0020,0032", ipp, 3);
    set_ds(&c, "0020,0037", iop, 6);
    double loc = ipp[0] * vol->direction[0][2] + ipp[1] * vol->direction[1][2] +
                 ipp[2] * vol->direction[2][2];
    set_ds(&c, "0020,1041", &loc, 1);
    double ps[2] = {vol->spacing[1], vol->spacing[0]};
    set_ds(&c, "0028,0030", ps, 2);
    set_pixel_module16(&c, vol->dims[1], vol->dims[0], &e, 1);
    const float *src = vol->data + k * npix;
    for (int64_t i = 0; i < npix; i++) {
      slice[i] = enc_value(&e, src[i]);
    }
    if (cdg_set_bytes(c.b, "7fe0,0010", "OW", slice, (size_t)npix * 2) != 0) {
      st = carm_error(CARM_ERR_NOMEM, "no memory for the pixel data");
      break;
    }
    char name[4200];
    snprintf(name, sizeof name, "%s/IM%05lld.dcm", tmp, (long long)k + 1);
    st = save(&c, name);
  }
  if (st == CARM_OK && rename(tmp, dir) != 0) {
    st = carm_error(CARM_ERR_IO, "cannot rename %s to %s: %s", tmp, dir, strerror(errno));
  }
  if (st != CARM_OK) {
    remove_tree(tmp);
  }
  free(tmp);
  free(slice);
  ctx_free(&c);
  return st;
}

/* ---- Enhanced CT --------------------------------------------------------------- */

static void shared_plane(wctx *c, const carm_volume *vol, const char *sfg) {
  char p[128];
  double iop[6];
  double ipp[3];
  plane_of(vol, 0, iop, ipp);
  double ps[2] = {vol->spacing[1], vol->spacing[0]};
  snprintf(p, sizeof p, "%s/0028,9110[0]/0028,0030", sfg);
  set_ds(c, p, ps, 2);
  snprintf(p, sizeof p, "%s/0028,9110[0]/0018,0050", sfg);
  set_ds(c, p, &vol->spacing[2], 1);
  snprintf(p, sizeof p, "%s/0028,9110[0]/0018,0088", sfg);
  set_ds(c, p, &vol->spacing[2], 1);
  snprintf(p, sizeof p, "%s/0020,9116[0]/0020,0037", sfg);
  set_ds(c, p, iop, 6);
}

carm_status carm_dicom_write_enhanced_ct(const carm_volume *vol, const char *path,
                                         const carm_dicom_write_opts *opts) {
  carm_status st = check_volume(vol, "Enhanced CT");
  if (st != CARM_OK) {
    return st;
  }
  if (path == NULL) {
    return carm_error(CARM_ERR_INVALID, "Enhanced CT: no output path");
  }
  int64_t npix = vol->dims[0] * vol->dims[1];
  int64_t n = carm_volume_count(vol);
  if (n * 2 > (int64_t)0xfffffff0) {
    return carm_error(CARM_ERR_RANGE, "Enhanced CT: %lld voxels exceed one DICOM object",
                      (long long)n);
  }
  wctx c;
  st = ctx_init(&c, opts, 901);
  if (st == CARM_OK) {
    st = common_modules(&c, UID_ENHANCED_CT, "CT", "carm volume (enhanced)", 1);
  }
  char dim_uid[65];
  char event_uid[65];
  if (st == CARM_OK) {
    st = carm_dicom_new_uid(dim_uid);
  }
  if (st == CARM_OK) {
    st = carm_dicom_new_uid(event_uid);
  }
  int16_t *pix = NULL;
  if (st == CARM_OK) {
    pix = malloc((size_t)n * sizeof *pix);
    if (pix == NULL) {
      st = carm_error(CARM_ERR_NOMEM, "no memory for the pixel data");
    }
  }
  if (st != CARM_OK) {
    ctx_free(&c);
    return st;
  }
  enc16 e;
  choose_encoding(vol, &e);
  for (int64_t i = 0; i < n; i++) {
    pix[i] = enc_value(&e, vol->data[i]);
  }
  const char *type = "DERIVED\\PRIMARY\\VOLUME\\NONE";
  enhanced_equipment(&c);
  sets(&c, "0008,0008", type);
  sets(&c, "0008,2111", c.derivation ? c.derivation : "reconstructed or processed by carm");
  sets(&c, "0008,9205", "MONOCHROME");
  sets(&c, "0008,9206", "VOLUME");
  sets(&c, "0008,9207", "NONE");
  sets(&c, "0018,9004", "RESEARCH");
  sets(&c, "0018,5100", c.src.patient_position);
  sets(&c, "0028,0301", "NO");
  sets(&c, "0028,2110", "00");
  sets(&c, "2050,0020", "IDENTITY");
  sets(&c, "0020,0012", "1");
  sets(&c, "0020,0013", "1");
  cdg_set_empty_sequence(c.b, "0040,0555");
  setf(&c, "0028,0008", "%lld", (long long)vol->dims[2]);
  set_pixel_module16(&c, vol->dims[1], vol->dims[0], &e, 0);
  sets(&c, "0028,0101", "16");
  /* dimensions: one, the position of the plane */
  sets(&c, "0020,9221[0]/0020,9164", dim_uid);
  sets(&c, "0020,9222[0]/0020,9164", dim_uid);
  sets(&c, "0020,9222[0]/0020,9165", "0020,0032");
  sets(&c, "0020,9222[0]/0020,9167", "0020,9113");
  sets(&c, "0020,9222[0]/0020,9421", "Image Position (Patient)");
  /* shared functional groups */
  const char *sfg = "5200,9229[0]";
  shared_plane(&c, vol, sfg);
  char p[160];
  snprintf(p, sizeof p, "%s/0028,9145[0]/0028,1052", sfg);
  set_ds(&c, p, &e.intercept, 1);
  snprintf(p, sizeof p, "%s/0028,9145[0]/0028,1053", sfg);
  set_ds(&c, p, &e.slope, 1);
  snprintf(p, sizeof p, "%s/0028,9145[0]/0028,1054", sfg);
  sets(&c, p, e.hu ? "HU" : "US");
  double w[2] = {0.5 * (e.lo + e.hi), fmax(e.hi - e.lo, 1.0)};
  snprintf(p, sizeof p, "%s/0028,9132[0]/0028,1050", sfg);
  set_ds(&c, p, &w[0], 1);
  snprintf(p, sizeof p, "%s/0028,9132[0]/0028,1051", sfg);
  set_ds(&c, p, &w[1], 1);
  snprintf(p, sizeof p, "%s/0018,9329[0]/0008,9007", sfg);
  sets(&c, p, type);
  snprintf(p, sizeof p, "%s/0018,9329[0]/0008,9205", sfg);
  sets(&c, p, "MONOCHROME");
  snprintf(p, sizeof p, "%s/0018,9329[0]/0008,9206", sfg);
  sets(&c, p, "VOLUME");
  snprintf(p, sizeof p, "%s/0018,9329[0]/0008,9207", sfg);
  sets(&c, p, "NONE");
  snprintf(p, sizeof p, "%s/0018,9477[0]/0008,3010", sfg);
  sets(&c, p, event_uid);
  snprintf(p, sizeof p, "%s/0020,9071[0]/0020,9072", sfg);
  sets(&c, p, "U");
  snprintf(p, sizeof p, "%s/0020,9071[0]/0008,2218[0]", sfg);
  set_code(&c, p, "818981001", "SCT", "Abdomen");
  /* per-frame functional groups */
  for (int64_t k = 0; k < vol->dims[2]; k++) {
    double iop[6];
    double ipp[3];
    plane_of(vol, k, iop, ipp);
    snprintf(p, sizeof p, "5200,9230[%lld]/0020,9113[0]/0020,0032", (long long)k);
    set_ds(&c, p, ipp, 3);
    snprintf(p, sizeof p, "5200,9230[%lld]/0020,9111[0]/0020,9157", (long long)k);
    setf(&c, p, "%lld", (long long)k + 1);
  }
  if (cdg_set_bytes(c.b, "7fe0,0010", "OW", pix, (size_t)n * 2) != 0) {
    st = carm_error(CARM_ERR_NOMEM, "no memory for the pixel data");
  }
  free(pix);
  (void)npix;
  if (st == CARM_OK) {
    st = save_atomic(&c, path);
  }
  ctx_free(&c);
  return st;
}

/* ---- Segmentation ------------------------------------------------------------------ */

carm_status carm_dicom_write_seg(const carm_volume *labels, const char *path,
                                 const carm_dicom_write_opts *opts) {
  carm_status st = check_volume(labels, "SEG");
  if (st != CARM_OK) {
    return st;
  }
  if (path == NULL) {
    return carm_error(CARM_ERR_INVALID, "SEG: no output path");
  }
  int64_t n = carm_volume_count(labels);
  int64_t npix = labels->dims[0] * labels->dims[1];
  int64_t nz = labels->dims[2];
  /* which labels exist, and which slices hold each */
  enum { MAX_LABEL = 65535 };
  unsigned char *present = calloc(MAX_LABEL + 1, 1);
  if (present == NULL) {
    return carm_error(CARM_ERR_NOMEM, "no memory");
  }
  for (int64_t i = 0; i < n; i++) {
    float v = labels->data[i];
    if (!isfinite(v)) {
      continue;
    }
    double r = nearbyint((double)v);
    if (r < 0 || r > MAX_LABEL) {
      free(present);
      return carm_error(CARM_ERR_RANGE, "SEG: label %g outside 0..%d", r, MAX_LABEL);
    }
    present[(int)r] = 1;
  }
  int n_seg = 0;
  for (int l = 1; l <= MAX_LABEL; l++) {
    n_seg += present[l];
  }
  if (n_seg == 0) {
    free(present);
    return carm_error(CARM_ERR_INVALID, "SEG: the label volume has no positive label");
  }
  /* frames: (segment, slice) pairs with at least one voxel */
  int64_t max_frames = (int64_t)n_seg * nz;
  int64_t *frame_label = malloc((size_t)max_frames * sizeof *frame_label);
  int64_t *frame_z = malloc((size_t)max_frames * sizeof *frame_z);
  int64_t nf = 0;
  wctx c;
  memset(&c, 0, sizeof c);
  unsigned char *bits = NULL;
  if (frame_label == NULL || frame_z == NULL) {
    st = carm_error(CARM_ERR_NOMEM, "no memory");
    goto cleanup;
  }
  for (int l = 1; l <= MAX_LABEL; l++) {
    if (!present[l]) {
      continue;
    }
    for (int64_t z = 0; z < nz; z++) {
      const float *s = labels->data + z * npix;
      int any = 0;
      for (int64_t i = 0; i < npix && !any; i++) {
        any = isfinite(s[i]) && (int)nearbyint((double)s[i]) == l;
      }
      if (any) {
        frame_label[nf] = l;
        frame_z[nf] = z;
        nf++;
      }
    }
  }
  uint64_t nbits = (uint64_t)nf * (uint64_t)npix;
  if ((nbits + 7) / 8 > 0xfffffff0u) {
    st = carm_error(CARM_ERR_RANGE, "SEG: too large for one object");
    goto cleanup;
  }
  bits = calloc((size_t)((nbits + 7) / 8) + 1, 1);
  if (bits == NULL) {
    st = carm_error(CARM_ERR_NOMEM, "no memory for the segment frames");
    goto cleanup;
  }
  for (int64_t f = 0; f < nf; f++) {
    const float *s = labels->data + frame_z[f] * npix;
    for (int64_t i = 0; i < npix; i++) {
      if (isfinite(s[i]) && (int64_t)nearbyint((double)s[i]) == frame_label[f]) {
        uint64_t b = (uint64_t)f * (uint64_t)npix + (uint64_t)i;
        bits[b >> 3] = (unsigned char)(bits[b >> 3] | (1u << (b & 7)));
      }
    }
  }
  st = ctx_init(&c, opts, 902);
  if (st == CARM_OK) {
    st = common_modules(&c, UID_SEG, "SEG", "carm segmentation", 1);
  }
  char dim_uid[65];
  if (st == CARM_OK) {
    st = carm_dicom_new_uid(dim_uid);
  }
  if (st != CARM_OK) {
    goto cleanup;
  }
  enhanced_equipment(&c);
  sets(&c, "0008,0008", "DERIVED\\PRIMARY");
  sets(&c, "0008,2111", c.derivation ? c.derivation : "segmented by carm");
  sets(&c, "0020,0013", "1");
  sets(&c, "0070,0080", "SEGMENTATION");
  sets(&c, "0070,0081", "carm label map");
  sets(&c, "0070,0084", "");
  sets(&c, "0062,0001", "BINARY");
  sets(&c, "0028,0301", "NO");
  sets(&c, "0028,2110", "00");
  setf(&c, "0028,0002", "1");
  sets(&c, "0028,0004", "MONOCHROME2");
  setf(&c, "0028,0010", "%lld", (long long)labels->dims[1]);
  setf(&c, "0028,0011", "%lld", (long long)labels->dims[0]);
  sets(&c, "0028,0100", "1");
  sets(&c, "0028,0101", "1");
  sets(&c, "0028,0102", "0");
  sets(&c, "0028,0103", "0");
  setf(&c, "0028,0008", "%lld", (long long)nf);
  char p[192];
  int item = 0;
  for (int l = 1; l <= MAX_LABEL; l++) {
    if (!present[l]) {
      continue;
    }
    snprintf(p, sizeof p, "0062,0002[%d]/0062,0004", item);
    setf(&c, p, "%d", item + 1); /* segment numbers run 1..N */
    snprintf(p, sizeof p, "0062,0002[%d]/0062,0005", item);
    setf(&c, p, "Label %d", l);
    snprintf(p, sizeof p, "0062,0002[%d]/0062,0008", item);
    sets(&c, p, "AUTOMATIC");
    snprintf(p, sizeof p, "0062,0002[%d]/0062,0009", item);
    sets(&c, p, "carm");
    snprintf(p, sizeof p, "0062,0002[%d]/0062,0003[0]", item);
    set_code(&c, p, "91723000", "SCT", "Anatomical Structure");
    snprintf(p, sizeof p, "0062,0002[%d]/0062,000f[0]", item);
    set_code(&c, p, "85756007", "SCT", "Tissue");
    item++;
  }
  sets(&c, "0020,9221[0]/0020,9164", dim_uid);
  sets(&c, "0020,9222[0]/0020,9164", dim_uid);
  sets(&c, "0020,9222[0]/0020,9165", "0062,000b");
  sets(&c, "0020,9222[0]/0020,9167", "0062,000a");
  sets(&c, "0020,9222[0]/0020,9421", "Segment Number");
  sets(&c, "0020,9222[1]/0020,9164", dim_uid);
  sets(&c, "0020,9222[1]/0020,9165", "0020,0032");
  sets(&c, "0020,9222[1]/0020,9167", "0020,9113");
  sets(&c, "0020,9222[1]/0020,9421", "Image Position (Patient)");
  shared_plane(&c, labels, "5200,9229[0]");
  for (int64_t f = 0; f < nf; f++) {
    double iop[6];
    double ipp[3];
    plane_of(labels, frame_z[f], iop, ipp);
    snprintf(p, sizeof p, "5200,9230[%lld]/0020,9113[0]/0020,0032", (long long)f);
    set_ds(&c, p, ipp, 3);
    snprintf(p, sizeof p, "5200,9230[%lld]/0020,9111[0]/0020,9157", (long long)f);
    /* segment index (1-based in segment order), slice index (1-based) */
    int seg_index = 0;
    for (int l = 1; l <= frame_label[f]; l++) {
      seg_index += present[l];
    }
    setf(&c, p, "%d\\%lld", seg_index, (long long)frame_z[f] + 1);
    snprintf(p, sizeof p, "5200,9230[%lld]/0062,000a[0]/0062,000b", (long long)f);
    setf(&c, p, "%d", seg_index);
  }
  if (cdg_set_bytes(c.b, "7fe0,0010", "OB", bits, (size_t)((nbits + 7) / 8)) != 0) {
    st = carm_error(CARM_ERR_NOMEM, "no memory for the pixel data");
    goto cleanup;
  }
  st = save_atomic(&c, path);

cleanup:
  ctx_free(&c);
  free(bits);
  free(frame_label);
  free(frame_z);
  free(present);
  return st;
}

/* ---- Secondary Capture ----------------------------------------------------------------- */

carm_status carm_dicom_write_sc(const uint8_t *rgb, int64_t width, int64_t height, const char *path,
                                const carm_dicom_write_opts *opts) {
  if (rgb == NULL || path == NULL) {
    return carm_error(CARM_ERR_INVALID, "Secondary Capture: NULL argument");
  }
  if (width < 1 || height < 1 || width > 65535 || height > 65535) {
    return carm_error(CARM_ERR_RANGE, "Secondary Capture: size %lldx%lld out of 1..65535",
                      (long long)width, (long long)height);
  }
  wctx c;
  carm_status st = ctx_init(&c, opts, 903);
  if (st == CARM_OK) {
    st = common_modules(&c, UID_SC, "OT", "carm picture", 0);
  }
  if (st != CARM_OK) {
    ctx_free(&c);
    return st;
  }
  sets(&c, "0008,0008", "DERIVED\\SECONDARY");
  sets(&c, "0008,0064", "WSD");
  sets(&c, "0008,2111", c.derivation ? c.derivation : "rendered by carm");
  sets(&c, "0020,0013", "1");
  sets(&c, "0020,0020", "");
  sets(&c, "0028,0002", "3");
  sets(&c, "0028,0004", "RGB");
  sets(&c, "0028,0006", "0");
  setf(&c, "0028,0010", "%lld", (long long)height);
  setf(&c, "0028,0011", "%lld", (long long)width);
  sets(&c, "0028,0100", "8");
  sets(&c, "0028,0101", "8");
  sets(&c, "0028,0102", "7");
  sets(&c, "0028,0103", "0");
  sets(&c, "0028,0301", "NO");
  if (cdg_set_bytes(c.b, "7fe0,0010", "OB", rgb, (size_t)(width * height * 3)) != 0) {
    st = carm_error(CARM_ERR_NOMEM, "no memory for the pixel data");
  }
  if (st == CARM_OK) {
    st = save_atomic(&c, path);
  }
  ctx_free(&c);
  return st;
}

/* ---- XA multi-frame run ------------------------------------------------------------------ */

static double deg_signed(double rad) {
  double d = rad * 180.0 / M_PI;
  while (d > 180.0) {
    d -= 360.0;
  }
  while (d <= -180.0) {
    d += 360.0;
  }
  return d;
}

static int append_ds_list(char **buf, size_t *len, size_t *cap, double v, int first) {
  char one[32];
  ds(one, sizeof one, v);
  size_t need = *len + strlen(one) + 2;
  if (need > *cap) {
    size_t nc = need * 2;
    char *nb = realloc(*buf, nc);
    if (nb == NULL) {
      return -1;
    }
    *buf = nb;
    *cap = nc;
  }
  *len += (size_t)snprintf(*buf + *len, *cap - *len, "%s%s", first ? "" : "\\", one);
  return 0;
}

carm_status carm_dicom_write_xa(const carm_volume *projections, const carm_geometry *geometry,
                                const char *path, const carm_dicom_write_opts *opts) {
  carm_status st = check_volume(projections, "XA");
  if (st != CARM_OK) {
    return st;
  }
  if (geometry == NULL || path == NULL) {
    return carm_error(CARM_ERR_INVALID, "XA: NULL argument");
  }
  int64_t nf = projections->dims[2];
  if (geometry->n_views != nf) {
    return carm_error(CARM_ERR_GEOMETRY, "XA: %lld views for %lld frames",
                      (long long)geometry->n_views, (long long)nf);
  }
  if (geometry->patient != CARM_PATIENT_HFS) {
    return carm_error(CARM_ERR_UNSUPPORTED,
                      "XA: positioner angles are patient-relative; the geometry must have "
                      "patient position HFS (head first supine on the C-arm)");
  }
  const carm_view *v0 = &geometry->views[0];
  for (int64_t k = 0; k < nf; k++) {
    const carm_view *v = &geometry->views[k];
    if (v->source_offset_x_mm != 0 || v->source_offset_y_mm != 0 || v->proj_offset_x_mm != 0 ||
        v->proj_offset_y_mm != 0 || fabs(sin(v->in_plane_rad)) > 1e-9 ||
        fabs(v->sid_mm - v0->sid_mm) > 1e-6 || fabs(v->sdd_mm - v0->sdd_mm) > 1e-6) {
      return carm_error(CARM_ERR_UNSUPPORTED,
                        "XA: view %lld is not a nominal C-arm view (offsets, in-plane angle or "
                        "changing distances); keep its geometry in a calibration file",
                        (long long)k + 1);
    }
  }
  int64_t npix = projections->dims[0] * projections->dims[1];
  int64_t n = carm_volume_count(projections);
  if (n * 2 > (int64_t)0xfffffff0) {
    return carm_error(CARM_ERR_RANGE, "XA: too large for one object");
  }
  uint16_t *pix = malloc((size_t)n * sizeof *pix);
  char *inc_a = NULL;
  char *inc_b = NULL;
  char *ftv = NULL;
  size_t la = 0, ca = 0, lb = 0, cb = 0, lt = 0, ct = 0;
  wctx c;
  memset(&c, 0, sizeof c);
  if (pix == NULL) {
    return carm_error(CARM_ERR_NOMEM, "no memory for the pixel data");
  }
  for (int64_t i = 0; i < n; i++) {
    float v = projections->data[i];
    double s = isfinite(v) ? nearbyint((double)v) : 0.0;
    pix[i] = (uint16_t)(s < 0 ? 0 : s > 65535 ? 65535 : s);
  }
  /* primary = −gantry, secondary = −out-of-plane (carm_dicom_positioner_to_view) */
  double a_prev = -deg_signed(v0->gantry_angle_rad);
  double b_prev = -deg_signed(v0->out_of_plane_rad);
  double t_prev = isfinite(v0->time_s) ? v0->time_s : 0.0;
  for (int64_t k = 0; k < nf; k++) {
    const carm_view *v = &geometry->views[k];
    double a = -deg_signed(v->gantry_angle_rad);
    double b = -deg_signed(v->out_of_plane_rad);
    double da = k == 0 ? 0.0 : deg_signed((a - a_prev) * M_PI / 180.0);
    double db = k == 0 ? 0.0 : b - b_prev;
    double t = isfinite(v->time_s) ? v->time_s : (double)k / 30.0;
    double dt = k == 0 ? 0.0 : (t - t_prev) * 1000.0;
    if (append_ds_list(&inc_a, &la, &ca, da, k == 0) != 0 ||
        append_ds_list(&inc_b, &lb, &cb, db, k == 0) != 0 ||
        append_ds_list(&ftv, &lt, &ct, dt, k == 0) != 0) {
      st = carm_error(CARM_ERR_NOMEM, "no memory");
      goto cleanup;
    }
    a_prev = a;
    b_prev = b;
    t_prev = t;
  }
  st = ctx_init(&c, opts, 904);
  if (st == CARM_OK) {
    st = common_modules(&c, UID_XA, "XA", "carm rotational run", 0);
  }
  if (st != CARM_OK) {
    goto cleanup;
  }
  sets(&c, "0008,0008", "DERIVED\\PRIMARY\\SINGLE PLANE");
  sets(&c, "0008,2111", c.derivation ? c.derivation : "simulated or processed by carm");
  sets(&c, "0018,0060", "");
  sets(&c, "0018,1155", "GR");
  sets(&c, "0018,1500", "DYNAMIC");
  double a0 = -deg_signed(v0->gantry_angle_rad);
  double b0 = -deg_signed(v0->out_of_plane_rad);
  set_ds(&c, "0018,1510", &a0, 1);
  set_ds(&c, "0018,1511", &b0, 1);
  sets(&c, "0018,1520", inc_a);
  sets(&c, "0018,1521", inc_b);
  sets(&c, "0018,1065", ftv);
  set_ds(&c, "0018,1110", &v0->sdd_mm, 1);
  set_ds(&c, "0018,1111", &v0->sid_mm, 1);
  set_ds(&c, "0018,9402", &v0->sid_mm, 1);
  double ps[2] = {projections->spacing[1], projections->spacing[0]};
  set_ds(&c, "0018,1164", ps, 2);
  sets(&c, "0020,0013", "1");
  sets(&c, "0020,0020", "");
  setf(&c, "0028,0008", "%lld", (long long)nf);
  sets(&c, "0028,0009", "0018,1065");
  sets(&c, "0018,1150", "");
  sets(&c, "0018,1151", "");
  sets(&c, "0018,1152", "");
  sets(&c, "0028,0002", "1");
  sets(&c, "0028,0004", "MONOCHROME2");
  setf(&c, "0028,0010", "%lld", (long long)projections->dims[1]);
  setf(&c, "0028,0011", "%lld", (long long)projections->dims[0]);
  sets(&c, "0028,0100", "16");
  sets(&c, "0028,0101", "16");
  sets(&c, "0028,0102", "15");
  sets(&c, "0028,0103", "0");
  sets(&c, "0028,1040", "LIN");
  sets(&c, "0028,2110", "00");
  if (cdg_set_bytes(c.b, "7fe0,0010", "OW", pix, (size_t)n * 2) != 0) {
    st = carm_error(CARM_ERR_NOMEM, "no memory for the pixel data");
    goto cleanup;
  }
  (void)npix;
  st = save_atomic(&c, path);

cleanup:
  ctx_free(&c);
  free(pix);
  free(inc_a);
  free(inc_b);
  free(ftv);
  return st;
}
