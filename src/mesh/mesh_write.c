/* Mesh writers: binary STL, OBJ, binary little-endian PLY, glTF 2.0 binary.
 * Every file is written to a temporary name in the same folder and renamed
 * at the end. Multi-byte values are encoded little-endian explicitly. */
#include "mesh/mesh_internal.h"

#include <errno.h>
#include <stdarg.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- atomic files --------------------------------------------------------- */

/* Files are written through carm_output_open / _commit / _discard
 * (include/carm/core.h): a unique temporary file beside the output, renamed
 * over it at the end, removed on every failure. */

/* ---- little-endian encoding ----------------------------------------------- */

static void put_u32(unsigned char *p, uint32_t v) {
  p[0] = (unsigned char)(v & 0xff);
  p[1] = (unsigned char)((v >> 8) & 0xff);
  p[2] = (unsigned char)((v >> 16) & 0xff);
  p[3] = (unsigned char)((v >> 24) & 0xff);
}

static void put_f32(unsigned char *p, float f) {
  uint32_t v;
  memcpy(&v, &f, sizeof v);
  put_u32(p, v);
}

static void write_f32(FILE *f, float x) {
  unsigned char b[4];
  put_f32(b, x);
  fwrite(b, 1, 4, f);
}

static void write_u32(FILE *f, uint32_t x) {
  unsigned char b[4];
  put_u32(b, x);
  fwrite(b, 1, 4, f);
}

/* ---- checks ------------------------------------------------------------------ */

static carm_status check_mesh(const carm_mesh *m, const char *path) {
  if (m == NULL || m->n_vertices < 0 || m->n_triangles < 0 ||
      (m->n_vertices > 0 && m->vertices_mm == NULL) ||
      (m->n_triangles > 0 && m->triangles == NULL)) {
    return carm_error(CARM_ERR_INVALID, "%s: NULL or inconsistent mesh", path);
  }
  if (m->n_triangles == 0) {
    return carm_error(CARM_ERR_INVALID, "%s: the mesh has no triangles", path);
  }
  for (int64_t i = 0; i < 3 * m->n_triangles; i++) {
    if ((int64_t)m->triangles[i] >= m->n_vertices) {
      return carm_error(CARM_ERR_INVALID, "%s: triangle %lld refers to a missing vertex", path,
                        (long long)(i / 3));
    }
  }
  for (int64_t i = 0; i < 3 * m->n_vertices; i++) {
    if (!isfinite(m->vertices_mm[i])) {
      return carm_error(CARM_ERR_INVALID, "%s: vertex %lld is not finite", path,
                        (long long)(i / 3));
    }
  }
  return CARM_OK;
}

/* The mesh itself when it has normals, else a copy with normals in *tmp. */
static carm_status with_normals(const carm_mesh *m, const carm_mesh **use, carm_mesh **tmp) {
  *tmp = NULL;
  if (m->normals != NULL) {
    *use = m;
    return CARM_OK;
  }
  carm_mesh *c = NULL;
  carm_status st = carm_mesh_create(&c, m->n_vertices, m->n_triangles);
  if (st != CARM_OK) {
    return st;
  }
  memcpy(c->vertices_mm, m->vertices_mm, (size_t)m->n_vertices * 3 * sizeof(float));
  memcpy(c->triangles, m->triangles, (size_t)m->n_triangles * 3 * sizeof(uint32_t));
  st = carm_mesh_normals(c);
  if (st != CARM_OK) {
    carm_mesh_destroy(c);
    return st;
  }
  *use = c;
  *tmp = c;
  return CARM_OK;
}

carm_mesh_format carm_mesh_format_from_path(const char *path) {
  if (path == NULL) {
    return CARM_MESH_FORMAT_UNKNOWN;
  }
  size_t n = strlen(path);
  static const struct {
    const char *suffix;
    carm_mesh_format fmt;
  } map[] = {{".stl", CARM_MESH_FORMAT_STL},
             {".obj", CARM_MESH_FORMAT_OBJ},
             {".ply", CARM_MESH_FORMAT_PLY},
             {".glb", CARM_MESH_FORMAT_GLB}};
  for (size_t i = 0; i < sizeof map / sizeof map[0]; i++) {
    if (n >= 4) {
      const char *s = path + n - 4;
      int same = 1;
      for (int k = 0; k < 4; k++) {
        char a = s[k];
        if (a >= 'A' && a <= 'Z') {
          a = (char)(a - 'A' + 'a');
        }
        if (a != map[i].suffix[k]) {
          same = 0;
        }
      }
      if (same) {
        return map[i].fmt;
      }
    }
  }
  return CARM_MESH_FORMAT_UNKNOWN;
}

/* ---- STL -------------------------------------------------------------------- */

static void write_stl(FILE *f, const carm_mesh *m, const char *name) {
  unsigned char header[80];
  memset(header, ' ', sizeof header);
  /* must not start with "solid" (ASCII STL detection) */
  char text[80];
  int n = snprintf(text, sizeof text, "carm binary STL, LPS mm: %s", name != NULL ? name : "mesh");
  if (n > 0) {
    memcpy(header, text, (size_t)n < sizeof header ? (size_t)n : sizeof header);
  }
  fwrite(header, 1, sizeof header, f);
  write_u32(f, (uint32_t)m->n_triangles);
  for (int64_t t = 0; t < m->n_triangles; t++) {
    const float *p[3];
    for (int k = 0; k < 3; k++) {
      p[k] = &m->vertices_mm[3 * (int64_t)m->triangles[3 * t + k]];
    }
    double u[3] = {(double)p[1][0] - p[0][0], (double)p[1][1] - p[0][1], (double)p[1][2] - p[0][2]};
    double v[3] = {(double)p[2][0] - p[0][0], (double)p[2][1] - p[0][1], (double)p[2][2] - p[0][2]};
    double nn[3];
    carm_vec3_cross(u, v, nn);
    double len = carm_vec3_norm(nn);
    unsigned char rec[50];
    for (int a = 0; a < 3; a++) {
      put_f32(&rec[4 * a], len > 0.0 ? (float)(nn[a] / len) : 0.0f);
    }
    for (int k = 0; k < 3; k++) {
      for (int a = 0; a < 3; a++) {
        put_f32(&rec[12 + 12 * k + 4 * a], p[k][a]);
      }
    }
    rec[48] = 0;
    rec[49] = 0;
    fwrite(rec, 1, sizeof rec, f);
  }
}

/* ---- OBJ -------------------------------------------------------------------- */

static void write_obj(FILE *f, const carm_mesh *m, const char *name) {
  fprintf(f, "# carm mesh: patient coordinates LPS, millimetres\n");
  fprintf(f, "# %lld vertices, %lld triangles (counter-clockwise = outward)\n",
          (long long)m->n_vertices, (long long)m->n_triangles);
  /* object names end at white space */
  fputs("o ", f);
  const char *s = name != NULL && name[0] != '\0' ? name : "mesh";
  for (; *s != '\0'; s++) {
    fputc((*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r') ? '_' : *s, f);
  }
  fputc('\n', f);
  for (int64_t i = 0; i < m->n_vertices; i++) {
    const float *v = &m->vertices_mm[3 * i];
    fprintf(f, "v %.9g %.9g %.9g\n", (double)v[0], (double)v[1], (double)v[2]);
  }
  for (int64_t i = 0; i < m->n_vertices; i++) {
    const float *v = &m->normals[3 * i];
    fprintf(f, "vn %.6g %.6g %.6g\n", (double)v[0], (double)v[1], (double)v[2]);
  }
  for (int64_t t = 0; t < m->n_triangles; t++) {
    unsigned long a = (unsigned long)m->triangles[3 * t] + 1;
    unsigned long b = (unsigned long)m->triangles[3 * t + 1] + 1;
    unsigned long c = (unsigned long)m->triangles[3 * t + 2] + 1;
    fprintf(f, "f %lu//%lu %lu//%lu %lu//%lu\n", a, a, b, b, c, c);
  }
}

/* ---- PLY -------------------------------------------------------------------- */

static void write_ply(FILE *f, const carm_mesh *m, const char *name) {
  fprintf(f, "ply\nformat binary_little_endian 1.0\ncomment carm mesh: patient LPS millimetres\n");
  if (name != NULL && name[0] != '\0') {
    fputs("comment name ", f);
    for (const char *s = name; *s != '\0'; s++) {
      fputc((*s == '\n' || *s == '\r') ? ' ' : *s, f);
    }
    fputc('\n', f);
  }
  fprintf(f,
          "element vertex %lld\nproperty float x\nproperty float y\nproperty float z\n"
          "property float nx\nproperty float ny\nproperty float nz\n"
          "element face %lld\nproperty list uchar int vertex_indices\nend_header\n",
          (long long)m->n_vertices, (long long)m->n_triangles);
  for (int64_t i = 0; i < m->n_vertices; i++) {
    unsigned char rec[24];
    for (int a = 0; a < 3; a++) {
      put_f32(&rec[4 * a], m->vertices_mm[3 * i + a]);
      put_f32(&rec[12 + 4 * a], m->normals[3 * i + a]);
    }
    fwrite(rec, 1, sizeof rec, f);
  }
  for (int64_t t = 0; t < m->n_triangles; t++) {
    unsigned char rec[13];
    rec[0] = 3;
    for (int k = 0; k < 3; k++) {
      put_u32(&rec[1 + 4 * k], m->triangles[3 * t + k]);
    }
    fwrite(rec, 1, sizeof rec, f);
  }
}

/* ---- glTF binary ------------------------------------------------------------ */

typedef struct sbuf {
  char *s;
  size_t n, cap;
  int failed;
} sbuf;

#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
static void
sb_printf(sbuf *b, const char *fmt, ...);

static void sb_printf(sbuf *b, const char *fmt, ...) {
  if (b->failed) {
    return;
  }
  for (;;) {
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(b->s != NULL ? b->s + b->n : NULL, b->s != NULL ? b->cap - b->n : 0, fmt, ap);
    va_end(ap);
    if (n < 0) {
      b->failed = 1;
      return;
    }
    if (b->s != NULL && b->n + (size_t)n < b->cap) {
      b->n += (size_t)n;
      return;
    }
    size_t cap = b->cap > 0 ? b->cap : 4096;
    while (cap <= b->n + (size_t)n) {
      cap *= 2;
    }
    char *s = realloc(b->s, cap);
    if (s == NULL) {
      b->failed = 1;
      return;
    }
    b->s = s;
    b->cap = cap;
  }
}

/* A JSON string literal of `s` (printable ASCII kept, the rest escaped as
 * \u00XX bytes, which keeps the JSON valid UTF-8). */
static void sb_json_string(sbuf *b, const char *s) {
  sb_printf(b, "\"");
  for (; *s != '\0'; s++) {
    unsigned char c = (unsigned char)*s;
    if (c == '"' || c == '\\') {
      sb_printf(b, "\\%c", (char)c);
    } else if (c < 0x20 || c >= 0x7f) {
      sb_printf(b, "\\u%04x", (unsigned)c);
    } else {
      sb_printf(b, "%c", (char)c);
    }
  }
  sb_printf(b, "\"");
}

/* A colour per mesh (RGB), cycling. */
static const double palette[8][3] = {{0.80, 0.45, 0.35}, {0.85, 0.15, 0.15}, {0.20, 0.40, 0.85},
                                     {0.95, 0.80, 0.30}, {0.40, 0.75, 0.40}, {0.60, 0.40, 0.80},
                                     {0.30, 0.75, 0.80}, {0.90, 0.55, 0.20}};

static carm_status write_glb(FILE *f, const carm_mesh *const *meshes, const char *const *names,
                             size_t n, const char *path) {
  sbuf j = {0};
  uint64_t bin_len = 0;
  size_t n_used = 0;
  for (size_t i = 0; i < n; i++) {
    if (meshes[i]->n_triangles > 0) {
      bin_len += (uint64_t)meshes[i]->n_vertices * 24 + (uint64_t)meshes[i]->n_triangles * 12;
      n_used++;
    }
  }
  if (bin_len > (uint64_t)UINT32_MAX - 4096) {
    return carm_error(CARM_ERR_RANGE, "%s: meshes too large for one glTF binary (%llu bytes)", path,
                      (unsigned long long)bin_len);
  }
  /* glTF maps LPS mm to its frame: X = L, Y = S, Z = A (= -P), metres.
   * Column-major 4x4. */
  sb_printf(&j, "{\"asset\":{\"version\":\"2.0\",\"generator\":\"carm %s\"},", carm_version());
  sb_printf(&j, "\"scene\":0,\"scenes\":[{\"nodes\":[0]}],\"nodes\":[{\"name\":\"patient_LPS_mm\","
                "\"matrix\":[0.001,0,0,0,0,0,-0.001,0,0,0.001,0,0,0,0,0,1],"
                "\"extras\":{\"units\":\"mm\",\"frame\":\"LPS\"},\"children\":[");
  for (size_t k = 0; k < n_used; k++) {
    sb_printf(&j, "%s%zu", k > 0 ? "," : "", k + 1);
  }
  sb_printf(&j, "]}");
  size_t mi = 0;
  for (size_t i = 0; i < n; i++) {
    if (meshes[i]->n_triangles == 0) {
      continue;
    }
    sb_printf(&j, ",{\"mesh\":%zu,\"name\":", mi);
    char def[32];
    snprintf(def, sizeof def, "mesh_%zu", mi);
    sb_json_string(&j, names != NULL && names[i] != NULL ? names[i] : def);
    sb_printf(&j, "}");
    mi++;
  }
  sb_printf(&j, "],\"meshes\":[");
  mi = 0;
  for (size_t i = 0; i < n; i++) {
    if (meshes[i]->n_triangles == 0) {
      continue;
    }
    char def[32];
    snprintf(def, sizeof def, "mesh_%zu", mi);
    sb_printf(&j, "%s{\"name\":", mi > 0 ? "," : "");
    sb_json_string(&j, names != NULL && names[i] != NULL ? names[i] : def);
    sb_printf(&j,
              ",\"primitives\":[{\"attributes\":{\"POSITION\":%zu,\"NORMAL\":%zu},"
              "\"indices\":%zu,\"material\":%zu,\"mode\":4}]}",
              3 * mi, 3 * mi + 1, 3 * mi + 2, mi);
    mi++;
  }
  sb_printf(&j, "],\"materials\":[");
  for (size_t k = 0; k < n_used; k++) {
    const double *c = palette[k % 8];
    sb_printf(&j,
              "%s{\"pbrMetallicRoughness\":{\"baseColorFactor\":[%.2f,%.2f,%.2f,1],"
              "\"metallicFactor\":0,\"roughnessFactor\":0.6}}",
              k > 0 ? "," : "", c[0], c[1], c[2]);
  }
  sb_printf(&j, "],\"accessors\":[");
  mi = 0;
  for (size_t i = 0; i < n; i++) {
    const carm_mesh *m = meshes[i];
    if (m->n_triangles == 0) {
      continue;
    }
    float lo[3] = {INFINITY, INFINITY, INFINITY};
    float hi[3] = {-INFINITY, -INFINITY, -INFINITY};
    for (int64_t v = 0; v < m->n_vertices; v++) {
      for (int a = 0; a < 3; a++) {
        float x = m->vertices_mm[3 * v + a];
        lo[a] = x < lo[a] ? x : lo[a];
        hi[a] = x > hi[a] ? x : hi[a];
      }
    }
    if (m->n_vertices == 0) {
      lo[0] = lo[1] = lo[2] = hi[0] = hi[1] = hi[2] = 0.0f;
    }
    sb_printf(&j,
              "%s{\"bufferView\":%zu,\"componentType\":5126,\"count\":%lld,\"type\":\"VEC3\","
              "\"min\":[%.9g,%.9g,%.9g],\"max\":[%.9g,%.9g,%.9g]}",
              mi > 0 ? "," : "", 3 * mi, (long long)m->n_vertices, (double)lo[0], (double)lo[1],
              (double)lo[2], (double)hi[0], (double)hi[1], (double)hi[2]);
    sb_printf(&j, ",{\"bufferView\":%zu,\"componentType\":5126,\"count\":%lld,\"type\":\"VEC3\"}",
              3 * mi + 1, (long long)m->n_vertices);
    sb_printf(&j, ",{\"bufferView\":%zu,\"componentType\":5125,\"count\":%lld,\"type\":\"SCALAR\"}",
              3 * mi + 2, (long long)(3 * m->n_triangles));
    mi++;
  }
  sb_printf(&j, "],\"bufferViews\":[");
  uint64_t off = 0;
  mi = 0;
  for (size_t i = 0; i < n; i++) {
    const carm_mesh *m = meshes[i];
    if (m->n_triangles == 0) {
      continue;
    }
    uint64_t vb = (uint64_t)m->n_vertices * 12;
    uint64_t ib = (uint64_t)m->n_triangles * 12;
    sb_printf(&j,
              "%s{\"buffer\":0,\"byteOffset\":%llu,\"byteLength\":%llu,\"target\":34962},"
              "{\"buffer\":0,\"byteOffset\":%llu,\"byteLength\":%llu,\"target\":34962},"
              "{\"buffer\":0,\"byteOffset\":%llu,\"byteLength\":%llu,\"target\":34963}",
              mi > 0 ? "," : "", (unsigned long long)off, (unsigned long long)vb,
              (unsigned long long)(off + vb), (unsigned long long)vb,
              (unsigned long long)(off + 2 * vb), (unsigned long long)ib);
    off += 2 * vb + ib;
    mi++;
  }
  sb_printf(&j, "],\"buffers\":[{\"byteLength\":%llu}]}", (unsigned long long)bin_len);
  if (j.failed) {
    free(j.s);
    return carm_error(CARM_ERR_NOMEM, "%s: out of memory for the glTF JSON", path);
  }
  size_t json_len = j.n;
  size_t json_pad = (4 - json_len % 4) % 4;
  uint64_t total = 12 + 8 + json_len + json_pad + 8 + bin_len;
  if (total > UINT32_MAX) {
    free(j.s);
    return carm_error(CARM_ERR_RANGE, "%s: glTF binary over 4 GiB", path);
  }
  fwrite("glTF", 1, 4, f);
  write_u32(f, 2);
  write_u32(f, (uint32_t)total);
  write_u32(f, (uint32_t)(json_len + json_pad));
  fwrite("JSON", 1, 4, f);
  fwrite(j.s, 1, json_len, f);
  for (size_t k = 0; k < json_pad; k++) {
    fputc(' ', f);
  }
  free(j.s);
  write_u32(f, (uint32_t)bin_len); /* multiple of 4 already */
  fwrite("BIN\0", 1, 4, f);
  for (size_t i = 0; i < n; i++) {
    const carm_mesh *m = meshes[i];
    if (m->n_triangles == 0) {
      continue;
    }
    for (int64_t v = 0; v < 3 * m->n_vertices; v++) {
      write_f32(f, m->vertices_mm[v]);
    }
    for (int64_t v = 0; v < 3 * m->n_vertices; v++) {
      write_f32(f, m->normals[v]);
    }
    for (int64_t t = 0; t < 3 * m->n_triangles; t++) {
      write_u32(f, m->triangles[t]);
    }
  }
  return CARM_OK;
}

/* ---- entry points ----------------------------------------------------------- */

carm_status carm_mesh_write(const carm_mesh *mesh, const char *name, const char *path) {
  if (path == NULL) {
    return carm_error(CARM_ERR_INVALID, "mesh write: NULL path");
  }
  carm_mesh_format fmt = carm_mesh_format_from_path(path);
  if (fmt == CARM_MESH_FORMAT_UNKNOWN) {
    return carm_error(CARM_ERR_UNSUPPORTED, "%s: mesh files end in .stl, .obj, .ply or .glb", path);
  }
  carm_status st = check_mesh(mesh, path);
  if (st != CARM_OK) {
    return st;
  }
  if (fmt == CARM_MESH_FORMAT_GLB) {
    const carm_mesh *one[1] = {mesh};
    const char *nm[1] = {name};
    return carm_mesh_write_glb_multi(one, nm, 1, path);
  }
  const carm_mesh *use = NULL;
  carm_mesh *copy = NULL;
  st = with_normals(mesh, &use, &copy);
  if (st != CARM_OK) {
    return st;
  }
  carm_output *dst = NULL;
  st = carm_output_open(&dst, path);
  FILE *f = carm_output_file(dst);
  if (st != CARM_OK) {
    carm_mesh_destroy(copy);
    return st;
  }
  if (fmt == CARM_MESH_FORMAT_STL) {
    if (use->n_triangles > (int64_t)UINT32_MAX) {
      carm_output_discard(dst);
      carm_mesh_destroy(copy);
      return carm_error(CARM_ERR_RANGE, "%s: too many triangles for STL", path);
    }
    write_stl(f, use, name);
  } else if (fmt == CARM_MESH_FORMAT_OBJ) {
    write_obj(f, use, name);
  } else {
    write_ply(f, use, name);
  }
  carm_mesh_destroy(copy);
  return carm_output_commit(dst);
}

carm_status carm_mesh_write_glb_multi(const carm_mesh *const *meshes, const char *const *names,
                                      size_t n, const char *path) {
  if (meshes == NULL || path == NULL || n == 0) {
    return carm_error(CARM_ERR_INVALID, "glb write: no meshes or no path");
  }
  size_t used = 0;
  for (size_t i = 0; i < n; i++) {
    if (meshes[i] == NULL) {
      return carm_error(CARM_ERR_INVALID, "%s: mesh %zu is NULL", path, i);
    }
    if (meshes[i]->n_triangles > 0) {
      carm_status st = check_mesh(meshes[i], path);
      if (st != CARM_OK) {
        return st;
      }
      used++;
    }
  }
  if (used == 0) {
    return carm_error(CARM_ERR_INVALID, "%s: every mesh is empty", path);
  }
  const carm_mesh **use = calloc(n, sizeof *use);
  carm_mesh **copies = calloc(n, sizeof *copies);
  carm_status st = CARM_OK;
  carm_output *dst = NULL;
  if (use == NULL || copies == NULL) {
    st = carm_error(CARM_ERR_NOMEM, "%s: out of memory", path);
    goto cleanup;
  }
  for (size_t i = 0; i < n && st == CARM_OK; i++) {
    if (meshes[i]->n_triangles == 0) {
      use[i] = meshes[i];
    } else {
      st = with_normals(meshes[i], &use[i], &copies[i]);
    }
  }
  if (st != CARM_OK) {
    goto cleanup;
  }
  st = carm_output_open(&dst, path);
  if (st != CARM_OK) {
    goto cleanup;
  }
  st = write_glb(carm_output_file(dst), use, names, n, path);
  if (st != CARM_OK) {
    carm_output_discard(dst);
    goto cleanup;
  }
  st = carm_output_commit(dst);
cleanup:
  if (copies != NULL) {
    for (size_t i = 0; i < n; i++) {
      carm_mesh_destroy(copies[i]);
    }
  }
  free(copies);
  free((void *)use);
  return st;
}
