/* carm mesh LABELS -o OUT: surfaces of a label map (or of a grey volume at an
 * iso value) as STL, OBJ, PLY or glTF binary. */
#include "carm/mesh.h"
#include "cli/cli.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char carm_cmd_mesh_summary[] = "surfaces of labels as STL, OBJ, PLY or glTF (.glb)";
const char carm_cmd_mesh_usage[] =
    "usage: carm mesh LABELS [--label N | --all | --iso VALUE] [--smooth K]\n"
    "                 [--presmooth SIGMA_MM] [--ras] -o OUT.glb|.stl|.obj|.ply\n"
    "\n"
    "Marching cubes surfaces of a label map (integer values, 0 = background)\n"
    "in patient millimetres (LPS), closed and with outward normals, lightly\n"
    "smoothed by Taubin's lambda/mu method (volume-preserving).\n"
    "\n"
    "options:\n"
    "  --label N          one label (N >= 1)\n"
    "  --all              every label present (the default). A .glb holds one\n"
    "                     mesh per label (named label_N); other formats write\n"
    "                     one file per label: OUT_labelN.stl, ...\n"
    "  --iso VALUE        mesh LABELS as a grey volume: the surface where it\n"
    "                     crosses VALUE (inside = above), no label handling\n"
    "  --smooth K         Taubin iterations (lambda 0.5, mu -0.53), default 10;\n"
    "                     0 keeps the raw marching cubes surface\n"
    "  --presmooth SIGMA  Gaussian blur (mm) of each label's mask before meshing\n"
    "                     (default 0)\n"
    "  -o, --output OUT   output; the format follows the suffix\n"
    "\n"
    "A .glb stores LPS millimetres in its buffer and a root node matrix that\n"
    "maps them to glTF's frame (metres, +Y = superior, +Z = anterior, +X =\n"
    "patient left): three.js and other glTF viewers show the patient upright,\n"
    "facing the viewer. STL, OBJ and PLY hold LPS millimetres as they are, or\n"
    "RAS millimetres with --ras (x and y negated: NiiVue, FreeSurfer, Slicer's\n"
    "older default); --ras is refused for .glb, whose frame is fixed.\n"
    "Each file is written to a temporary name and renamed at the end.\n"
    "\n"
    "examples:\n"
    "  carm mesh labels.nii.gz --all -o organs.glb\n"
    "  carm mesh labels.nii.gz --label 3 --smooth 20 -o liver.stl\n";

/* Distinct labels > 0 of an integer-valued label map, ascending. */
static int collect_labels(const char *cmd, const carm_volume *v, int64_t **out, size_t *n_out) {
  enum { MAX_LABELS = 4096 };
  unsigned char *seen = calloc(MAX_LABELS + 1, 1);
  if (seen == NULL) {
    return cli_fail(CLI_FAIL, cmd, "out of memory");
  }
  int64_t count = carm_volume_count(v);
  for (int64_t i = 0; i < count; i++) {
    float x = v->data[i];
    if (x == 0.0f) {
      continue;
    }
    float r = roundf(x);
    if (!isfinite(x) || fabsf(x - r) > 1e-3f || r < 0.0f || r > (float)MAX_LABELS) {
      free(seen);
      return cli_fail(CLI_FAIL, cmd,
                      "LABELS holds the value %g: a label map has integers 0..%d (use --iso "
                      "VALUE to mesh a grey volume)",
                      (double)x, MAX_LABELS);
    }
    seen[(int)r] = 1;
  }
  size_t n = 0;
  for (int l = 1; l <= MAX_LABELS; l++) {
    n += seen[l];
  }
  int64_t *labels = malloc((n > 0 ? n : 1) * sizeof *labels);
  if (labels == NULL) {
    free(seen);
    return cli_fail(CLI_FAIL, cmd, "out of memory");
  }
  size_t k = 0;
  for (int l = 1; l <= MAX_LABELS; l++) {
    if (seen[l]) {
      labels[k++] = l;
    }
  }
  free(seen);
  *out = labels;
  *n_out = n;
  return CLI_OK;
}

/* OUT with "_labelN" before the suffix. */
static int label_path(char *buf, size_t cap, const char *out, int64_t label) {
  const char *dot = strrchr(out, '.');
  const char *slash = strrchr(out, '/');
  size_t stem = dot != NULL && (slash == NULL || dot > slash) ? (size_t)(dot - out) : strlen(out);
  int n = snprintf(buf, cap, "%.*s_label%lld%s", (int)stem, out, (long long)label, out + stem);
  return n > 0 && (size_t)n < cap ? 0 : -1;
}

/* LPS -> RAS (x and y change sign: a rotation, so faces keep their
 * orientation), for viewers that take mesh coordinates as RAS (NiiVue,
 * FreeSurfer tools). */
static void mesh_to_ras(carm_mesh *m) {
  for (int64_t i = 0; i < m->n_vertices; i++) {
    m->vertices_mm[3 * i] = -m->vertices_mm[3 * i];
    m->vertices_mm[3 * i + 1] = -m->vertices_mm[3 * i + 1];
    if (m->normals != NULL) {
      m->normals[3 * i] = -m->normals[3 * i];
      m->normals[3 * i + 1] = -m->normals[3 * i + 1];
    }
  }
}

int carm_cmd_mesh(int argc, char **argv) {
  const char *cmd = argv[0];
  const char *in = NULL;
  const char *out = NULL;
  int64_t one_label = 0;
  int have_iso = 0;
  int ras = 0;
  double iso = 0.0;
  carm_mesh_label_opts opts = CARM_MESH_LABEL_OPTS_INIT;
  opts.progress.fn = cli_progress;
  opts.progress.user = (void *)cmd;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    int has_value = i + 1 < argc;
    if (strcmp(a, "--label") == 0) {
      if (!has_value || cli_parse_int64(argv[++i], &one_label) != 0 || one_label < 1) {
        return cli_fail(CLI_USAGE, cmd, "--label needs an integer >= 1");
      }
    } else if (strcmp(a, "--all") == 0) {
      one_label = 0;
    } else if (strcmp(a, "--ras") == 0) {
      ras = 1;
    } else if (strcmp(a, "--iso") == 0) {
      if (!has_value || cli_parse_double(argv[++i], &iso) != 0) {
        return cli_fail(CLI_USAGE, cmd, "--iso needs a number");
      }
      have_iso = 1;
    } else if (strcmp(a, "--smooth") == 0) {
      int64_t k = 0;
      if (!has_value || cli_parse_int64(argv[++i], &k) != 0 || k < 0 || k > 10000) {
        return cli_fail(CLI_USAGE, cmd, "--smooth needs an integer 0..10000");
      }
      opts.smooth_iterations = (int)k;
    } else if (strcmp(a, "--presmooth") == 0) {
      if (!has_value || cli_parse_double(argv[++i], &opts.presmooth_sigma_mm) != 0 ||
          opts.presmooth_sigma_mm < 0.0 || opts.presmooth_sigma_mm > 50.0) {
        return cli_fail(CLI_USAGE, cmd, "--presmooth needs a sigma in mm, 0..50");
      }
    } else if (strcmp(a, "-o") == 0 || strcmp(a, "--output") == 0) {
      if (!has_value) {
        return cli_fail(CLI_USAGE, cmd, "%s needs a file name", a);
      }
      out = argv[++i];
    } else if (a[0] == '-' && a[1] != '\0') {
      return cli_fail(CLI_USAGE, cmd, "unknown option %s", a);
    } else if (in == NULL) {
      in = a;
    } else {
      return cli_fail(CLI_USAGE, cmd, "too many arguments: %s", a);
    }
  }
  if (in == NULL || out == NULL) {
    return cli_fail(CLI_USAGE, cmd, "give LABELS and -o OUT (see carm mesh --help)");
  }
  carm_mesh_format fmt = carm_mesh_format_from_path(out);
  if (fmt == CARM_MESH_FORMAT_UNKNOWN) {
    return cli_fail(CLI_USAGE, cmd, "%s: OUT must end in .glb, .stl, .obj or .ply", out);
  }
  if (have_iso && one_label > 0) {
    return cli_fail(CLI_USAGE, cmd, "--iso and --label exclude each other");
  }
  if (ras && fmt == CARM_MESH_FORMAT_GLB) {
    return cli_fail(CLI_USAGE, cmd, "--ras is for .stl, .obj and .ply (a .glb's frame is fixed)");
  }
  carm_volume *v = NULL;
  carm_status st = carm_image_read(&v, NULL, in);
  if (st != CARM_OK) {
    return cli_status(cmd, "read", st);
  }
  if (have_iso) {
    carm_mesh *m = NULL;
    st = carm_mesh_marching_cubes(&m, v, iso, &opts.progress);
    carm_volume_destroy(v);
    if (st == CARM_OK && m->n_triangles == 0) {
      carm_mesh_destroy(m);
      return cli_fail(CLI_FAIL, cmd, "no voxel of %s is above %g: empty surface", in, iso);
    }
    if (st == CARM_OK) {
      st = carm_mesh_smooth_taubin(m, opts.smooth_iterations, opts.smooth_lambda, opts.smooth_mu);
    }
    if (st == CARM_OK && ras) {
      mesh_to_ras(m);
    }
    if (st == CARM_OK) {
      st = carm_mesh_write(m, "iso", out);
    }
    carm_mesh_destroy(m);
    return st == CARM_OK ? CLI_OK : cli_status(cmd, "mesh", st);
  }
  int64_t *labels = NULL;
  size_t n = 0;
  if (one_label > 0) {
    labels = malloc(sizeof *labels);
    if (labels == NULL) {
      carm_volume_destroy(v);
      return cli_fail(CLI_FAIL, cmd, "out of memory");
    }
    labels[0] = one_label;
    n = 1;
  } else {
    int rc = collect_labels(cmd, v, &labels, &n);
    if (rc != CLI_OK) {
      carm_volume_destroy(v);
      return rc;
    }
    if (n == 0) {
      free(labels);
      carm_volume_destroy(v);
      return cli_fail(CLI_FAIL, cmd, "%s has no label > 0", in);
    }
  }
  carm_mesh **meshes = calloc(n, sizeof *meshes);
  char(*names)[32] = calloc(n, sizeof *names);
  const char **name_ptrs = calloc(n, sizeof *name_ptrs);
  int rc = CLI_OK;
  if (meshes == NULL || names == NULL || name_ptrs == NULL) {
    rc = cli_fail(CLI_FAIL, cmd, "out of memory");
    goto cleanup;
  }
  for (size_t i = 0; i < n; i++) {
    st = carm_mesh_from_label(&meshes[i], v, labels[i], &opts);
    if (st != CARM_OK) {
      char what[64];
      snprintf(what, sizeof what, "label %lld", (long long)labels[i]);
      rc = cli_status(cmd, what, st);
      goto cleanup;
    }
    snprintf(names[i], sizeof names[i], "label_%lld", (long long)labels[i]);
    name_ptrs[i] = names[i];
    fprintf(stderr, "carm mesh: label %lld: %lld vertices, %lld triangles, %.2f mL\n",
            (long long)labels[i], (long long)meshes[i]->n_vertices,
            (long long)meshes[i]->n_triangles, carm_mesh_volume_mm3(meshes[i]) / 1000.0);
  }
  for (size_t i = 0; ras && i < n; i++) {
    mesh_to_ras(meshes[i]);
  }
  if (fmt == CARM_MESH_FORMAT_GLB) {
    st = carm_mesh_write_glb_multi((const carm_mesh *const *)meshes, name_ptrs, n, out);
    if (st != CARM_OK) {
      rc = cli_status(cmd, "write", st);
    }
  } else if (n == 1) {
    st = carm_mesh_write(meshes[0], name_ptrs[0], out);
    if (st != CARM_OK) {
      rc = cli_status(cmd, "write", st);
    }
  } else {
    char path[4096];
    for (size_t i = 0; i < n; i++) {
      if (label_path(path, sizeof path, out, labels[i]) != 0) {
        rc = cli_fail(CLI_USAGE, cmd, "%s: path too long", out);
      } else {
        st = carm_mesh_write(meshes[i], name_ptrs[i], path);
        if (st != CARM_OK) {
          rc = cli_status(cmd, "write", st);
        }
      }
      if (rc != CLI_OK) {
        /* no partial output: remove the files this run already wrote */
        for (size_t k = 0; k < i; k++) {
          if (label_path(path, sizeof path, out, labels[k]) == 0) {
            remove(path);
          }
        }
        break;
      }
      printf("%s\n", path);
    }
  }
cleanup:
  if (meshes != NULL) {
    for (size_t i = 0; i < n; i++) {
      carm_mesh_destroy(meshes[i]);
    }
  }
  free(meshes);
  free(names);
  free((void *)name_ptrs);
  free(labels);
  carm_volume_destroy(v);
  return rc;
}
