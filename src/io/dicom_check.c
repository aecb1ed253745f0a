/* A structural pre-check of DICOM files, run before GDCM sees them.
 *
 * Debian's GDCM is built with assertions, and some malformed inputs (a data
 * set truncated in the middle of an element, for one) reach an assert()
 * and abort the process; C++ exceptions cannot catch that. So every file is
 * first walked here, element by element: each length must fit inside its
 * parent (file, sequence item or sequence), sequences and items must be
 * closed, nesting is bounded. Only a file whose structure is sound goes on
 * to GDCM. Values are not interpreted (that stays GDCM's job). */
#include "io/dicom_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#define MAX_DEPTH 32
#define MAX_FILE_BYTES ((size_t)16 << 30)
#define MAX_INFLATED_BYTES ((size_t)4 << 30)

typedef struct walker {
  const unsigned char *p;
  size_t n;
  int explicit_vr;
  int big_endian;
  const char *why;
} walker;

static uint16_t rd16(const walker *w, size_t at) {
  const unsigned char *b = w->p + at;
  unsigned v = w->big_endian ? ((unsigned)b[0] << 8) | b[1] : b[0] | ((unsigned)b[1] << 8);
  return (uint16_t)v;
}

static uint32_t rd32(const walker *w, size_t at) {
  const unsigned char *b = w->p + at;
  if (w->big_endian) {
    return ((uint32_t)b[0] << 24) | ((uint32_t)b[1] << 16) | ((uint32_t)b[2] << 8) | b[3];
  }
  return (uint32_t)b[0] | ((uint32_t)b[1] << 8) | ((uint32_t)b[2] << 16) | ((uint32_t)b[3] << 24);
}

static int long_vr(const unsigned char *vr) {
  static const char *const longs[] = {"OB", "OW", "OF", "SQ", "UT", "UN", "UC",
                                      "UR", "OD", "OL", "OV", "SV", "UV"};
  for (size_t i = 0; i < sizeof longs / sizeof longs[0]; i++) {
    if (vr[0] == (unsigned char)longs[i][0] && vr[1] == (unsigned char)longs[i][1]) {
      return 1;
    }
  }
  return 0;
}

/* The value representations of PS3.5 (GDCM asserts on any other). */
static int valid_vr(const unsigned char *vr) {
  static const char all[] = "AEASATCSDADSDTFLFDISLOLTOBODOFOLOVOWPNSHSLSQSSSTSVTMUCUIULUNURUSUTUV";
  for (size_t i = 0; i + 1 < sizeof all; i += 2) {
    if (vr[0] == (unsigned char)all[i] && vr[1] == (unsigned char)all[i + 1]) {
      return 1;
    }
  }
  return 0;
}

static int walk_dataset(walker *w, size_t *pos, size_t end, int depth, int until_item_end);

/* Items of a sequence (or fragments of encapsulated pixel data) from *pos,
 * up to `end` (defined length) or the sequence delimiter. */
static int walk_items(walker *w, size_t *pos, size_t end, int undefined, int depth, int fragments) {
  if (depth > MAX_DEPTH) {
    w->why = "sequences nested too deeply";
    return -1;
  }
  for (;;) {
    if (!undefined && *pos == end) {
      return 0;
    }
    if (*pos + 8 > end) {
      w->why = "sequence truncated";
      return -1;
    }
    uint16_t g = rd16(w, *pos);
    uint16_t e = rd16(w, *pos + 2);
    uint32_t len = rd32(w, *pos + 4);
    *pos += 8;
    if (g != 0xfffe) {
      w->why = "sequence holds something other than items";
      return -1;
    }
    if (e == 0xe0dd) {
      if (len != 0) {
        w->why = "sequence delimiter with a non-zero length";
        return -1;
      }
      if (!undefined) {
        w->why = "sequence delimiter in a sequence of defined length";
        return -1;
      }
      return 0;
    }
    if (e != 0xe000) {
      w->why = "unexpected delimiter in a sequence";
      return -1;
    }
    if (len == 0xffffffffu) {
      if (fragments) {
        w->why = "pixel data fragment of undefined length";
        return -1;
      }
      if (walk_dataset(w, pos, end, depth + 1, 1) != 0) {
        return -1;
      }
    } else {
      if ((size_t)len > end - *pos) {
        w->why = "sequence item longer than its container";
        return -1;
      }
      size_t item_end = *pos + len;
      if (!fragments && walk_dataset(w, pos, item_end, depth + 1, 0) != 0) {
        return -1;
      }
      *pos = item_end;
    }
  }
}

/* Elements from *pos to `end`; with until_item_end, up to an item
 * delimiter (which must come before `end`). */
static int walk_dataset(walker *w, size_t *pos, size_t end, int depth, int until_item_end) {
  if (depth > MAX_DEPTH) {
    w->why = "sequences nested too deeply";
    return -1;
  }
  while (*pos < end) {
    if (end - *pos < 8) {
      /* GDCM asserts on a partial element header at the end of a file */
      w->why = "data set truncated inside an element header";
      return -1;
    }
    uint16_t g = rd16(w, *pos);
    uint16_t e = rd16(w, *pos + 2);
    if (g == 0xfffe) {
      uint32_t len = rd32(w, *pos + 4);
      *pos += 8;
      if (e == 0xe00d && until_item_end && len == 0) {
        return 0;
      }
      w->why = "misplaced item or delimiter";
      return -1;
    }
    int explicit_here = w->explicit_vr || g == 0x0002;
    uint32_t len;
    const unsigned char *vr = NULL;
    if (explicit_here) {
      vr = w->p + *pos + 4;
      if (!valid_vr(vr)) {
        w->why = "invalid value representation";
        return -1;
      }
      if (long_vr(vr)) {
        if (end - *pos < 12) {
          w->why = "data set truncated inside an element header";
          return -1;
        }
        len = rd32(w, *pos + 8);
        *pos += 12;
      } else {
        len = rd16(w, *pos + 6);
        *pos += 8;
      }
    } else {
      len = rd32(w, *pos + 4);
      *pos += 8;
    }
    if (len == 0xffffffffu) {
      int is_sq = vr == NULL || (vr[0] == 'S' && vr[1] == 'Q') || (vr[0] == 'U' && vr[1] == 'N');
      int pixels = g == 0x7fe0 && e == 0x0010;
      if (!is_sq && !pixels) {
        w->why = "undefined length on a value that cannot have one";
        return -1;
      }
      /* UN of undefined length holds an implicit VR little endian sequence */
      int saved = w->explicit_vr;
      if (vr != NULL && vr[0] == 'U' && vr[1] == 'N') {
        w->explicit_vr = 0;
      }
      int bad = walk_items(w, pos, end, 1, depth + 1, pixels);
      w->explicit_vr = saved;
      if (bad != 0) {
        return -1;
      }
      continue;
    }
    if ((size_t)len > end - *pos) {
      w->why = "element value runs past the end of the data (truncated file?)";
      return -1;
    }
    /* implicit VR (or UN) values that start with an item tag are
     * sequences to GDCM: walk them too */
    int looks_sq = (vr == NULL || (vr[0] == 'U' && vr[1] == 'N')) && len >= 8 &&
                   rd16(w, *pos) == 0xfffe && rd16(w, *pos + 2) == 0xe000;
    if ((vr != NULL && vr[0] == 'S' && vr[1] == 'Q') || looks_sq) {
      size_t sq_end = *pos + len;
      int saved = w->explicit_vr;
      if (looks_sq) {
        w->explicit_vr = 0;
      }
      int bad = walk_items(w, pos, sq_end, 0, depth + 1, 0);
      w->explicit_vr = saved;
      if (bad != 0) {
        return -1;
      }
      *pos = sq_end;
    } else {
      *pos += len;
    }
  }
  if (until_item_end) {
    w->why = "sequence item not closed";
    return -1;
  }
  return 0;
}

static int read_all(const char *path, unsigned char **data, size_t *size) {
  FILE *f = fopen(path, "rb");
  if (f == NULL) {
    return -1;
  }
  size_t cap = 1 << 16;
  size_t n = 0;
  unsigned char *buf = malloc(cap);
  while (buf != NULL) {
    size_t got = fread(buf + n, 1, cap - n, f);
    n += got;
    if (n < cap) {
      break;
    }
    if (cap >= MAX_FILE_BYTES) {
      free(buf);
      buf = NULL;
      break;
    }
    unsigned char *nb = realloc(buf, cap * 2);
    if (nb == NULL) {
      free(buf);
      buf = NULL;
      break;
    }
    buf = nb;
    cap *= 2;
  }
  int err = ferror(f);
  fclose(f);
  if (buf == NULL || err) {
    free(buf);
    return -2;
  }
  *data = buf;
  *size = n;
  return 0;
}

/* Inflate a raw deflate stream (Deflated Explicit VR Little Endian). */
static int inflate_raw(const unsigned char *in, size_t n, unsigned char **out, size_t *out_n) {
  z_stream zs;
  memset(&zs, 0, sizeof zs);
  if (inflateInit2(&zs, -MAX_WBITS) != Z_OK) {
    return -1;
  }
  size_t cap = n * 4 + 1024;
  unsigned char *buf = malloc(cap);
  size_t done = 0;
  int rc = Z_OK;
  zs.next_in = (unsigned char *)(uintptr_t)in;
  zs.avail_in = (uInt)(n > 0x7fffffff ? 0x7fffffff : n);
  while (buf != NULL && rc == Z_OK) {
    if (done == cap) {
      if (cap >= MAX_INFLATED_BYTES) {
        break;
      }
      unsigned char *nb = realloc(buf, cap * 2);
      if (nb == NULL) {
        break;
      }
      buf = nb;
      cap *= 2;
    }
    size_t room = cap - done;
    zs.next_out = buf + done;
    zs.avail_out = (uInt)(room > 0x7fffffff ? 0x7fffffff : room);
    rc = inflate(&zs, Z_NO_FLUSH);
    done = (size_t)(zs.next_out - buf);
    if (rc == Z_BUF_ERROR && zs.avail_in == 0) {
      break;
    }
  }
  inflateEnd(&zs);
  if (buf == NULL || rc != Z_STREAM_END) {
    free(buf);
    return -1;
  }
  *out = buf;
  *out_n = done;
  return 0;
}

carm_status carm__dicom_precheck(const char *path) {
  unsigned char *data = NULL;
  size_t n = 0;
  int rc = read_all(path, &data, &n);
  if (rc == -1) {
    return carm_error(CARM_ERR_IO, "%s: %s", path, strerror(errno));
  }
  if (rc != 0) {
    return carm_error(CARM_ERR_IO, "%s: cannot read the file", path);
  }
  walker w = {data, n, 1, 0, NULL};
  carm_status st = CARM_OK;
  size_t pos = 0;
  unsigned char *inflated = NULL;
  if (n >= 132 && memcmp(data + 128, "DICM", 4) == 0) {
    pos = 132;
    /* the meta header: explicit little endian, group 0002 */
    char ts[72] = "";
    while (pos + 8 <= n && rd16(&w, pos) == 0x0002) {
      uint16_t e = rd16(&w, pos + 2);
      const unsigned char *vr = data + pos + 4;
      /* GDCM asserts on sequences (and other odd VRs) in the meta header */
      static const char meta_vrs[] = "AECSLOOBSHSTUIULURUS";
      int ok = 0;
      for (size_t i = 0; i + 1 < sizeof meta_vrs; i += 2) {
        ok |= vr[0] == (unsigned char)meta_vrs[i] && vr[1] == (unsigned char)meta_vrs[i + 1];
      }
      if (!ok) {
        w.why = "invalid file meta header";
        break;
      }
      size_t hdr = long_vr(vr) ? 12 : 8;
      if (pos + hdr > n) {
        w.why = "file meta header truncated";
        break;
      }
      size_t len = hdr == 12 ? rd32(&w, pos + 8) : rd16(&w, pos + 6);
      if (len > n - pos - hdr) {
        w.why = "file meta header truncated";
        break;
      }
      if (e == 0x0010) {
        size_t l = len < sizeof ts - 1 ? len : sizeof ts - 1;
        memcpy(ts, data + pos + hdr, l);
        ts[l] = '\0';
        while (l > 0 && (ts[l - 1] == ' ' || ts[l - 1] == '\0')) {
          ts[--l] = '\0';
        }
      }
      pos += hdr + len;
    }
    if (w.why == NULL) {
      if (strcmp(ts, "1.2.840.10008.1.2") == 0) {
        w.explicit_vr = 0;
      } else if (strcmp(ts, "1.2.840.10008.1.2.2") == 0) {
        w.big_endian = 1;
      } else if (strcmp(ts, "1.2.840.10008.1.2.1.99") == 0) {
        size_t out_n = 0;
        if (inflate_raw(data + pos, n - pos, &inflated, &out_n) != 0) {
          w.why = "deflated data set does not inflate";
        } else {
          w.p = inflated;
          w.n = out_n;
          pos = 0;
        }
      }
    }
  } else if (n >= 8) {
    /* no preamble: a raw data set; guess the VR encoding from the first
     * element */
    w.explicit_vr = valid_vr(data + 4);
    if (rd16(&w, 0) > 0x0008 && rd16(&w, 0) != 0x0002) {
      w.why = "not a DICOM file (no DICM prefix, no plausible first element)";
    }
  } else {
    w.why = "not a DICOM file (too short)";
  }
  if (w.why == NULL && pos >= w.n) {
    w.why = "no data set after the file meta header";
  }
  if (w.why == NULL) {
    walk_dataset(&w, &pos, w.n, 0, 0);
  }
  if (w.why != NULL) {
    st = carm_error(CARM_ERR_FORMAT, "%s: %s", path, w.why);
  }
  free(inflated);
  free(data);
  return st;
}
