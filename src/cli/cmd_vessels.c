/* carm vessels: vessel mask and centreline tree from a contrast volume. */
#include "carm/io.h"
#include "carm/tree_io.h"
#include "carm/vessels.h"
#include "cli/cli.h"

#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

const char carm_cmd_vessels_summary[] = "vessel mask and centreline tree (JSON, VTK) from a volume";
const char carm_cmd_vessels_usage[] =
    "usage: carm vessels VOLUME -o DIR [--root X,Y,Z] [--threshold T]\n"
    "                    [--min-radius MM] [--max-radius MM] [--seed-vesselness V]\n"
    "                    [--keep N] [--kind artery|vein|vessel]\n"
    "                    [--truth TREE.json [--truth-kind K] [--eval-radius MM]]\n"
    "       carm vessels --evaluate DIR --truth TREE.json [--truth-kind K] ...\n"
    "\n"
    "From an arterial-phase or 3D-DSA volume: intensity threshold (automatic\n"
    "Otsu unless --threshold), multi-scale vesselness seeds, the connected\n"
    "vessel component nearest --root (the catheter tip; else the largest\n"
    "--keep components), then the centreline tree rooted there. Writes\n"
    "  DIR/vessels.nii.gz  binary mask on the input grid\n"
    "  DIR/tree.json       segments: id, parent, points (LPS mm), radius (mm)\n"
    "                      (docs/formats.md)\n"
    "  DIR/tree.vtk        the same as VTK polydata\n"
    "\n"
    "With --truth (a known tree, e.g. the digital twin's truth/tree.json, its\n"
    "segments of kind --truth-kind, default artery) the result is measured\n"
    "against it and DIR/evaluation.json written: Dice of the mask (all truth\n"
    "vessels; and branches of radius >= --eval-radius, default 1 mm, in their\n"
    "neighbourhood), centreline distance, radius error and bifurcation\n"
    "sensitivity (docs/segmentation.md). --evaluate DIR measures an existing\n"
    "DIR/vessels.nii.gz and DIR/tree.json instead of extracting.\n"
    "\n"
    "examples:\n"
    "  carm vessels dsa.mha --root 12.5,-40,30 -o vessels\n"
    "  carm vessels dsa.mha --root 12.5,-40,30 -o vessels --truth case/truth/tree.json\n";

/* Measure DIR's mask and tree against the truth; print and write
 * DIR/evaluation.json. */
static int evaluate(const char *cmd, const char *dir, const carm_volume *mask,
                    const carm_seg_tree *tree, const char *truth_path, const char *truth_kind,
                    double radius_mm) {
  carm_seg_tree *truth = NULL;
  carm_status st = carm_seg_tree_read_json(&truth, NULL, truth_path, truth_kind);
  if (st != CARM_OK) {
    return cli_status(cmd, "cannot read the truth tree", st);
  }
  carm_vessels_eval_opts eo = CARM_VESSELS_EVAL_INIT;
  eo.min_radius_mm = radius_mm;
  carm_vessels_eval e;
  st = carm_vessels_evaluate(&e, truth, mask, tree, &eo);
  carm_seg_tree_destroy(truth);
  if (st != CARM_OK) {
    return cli_status(cmd, "evaluation failed", st);
  }
  printf("evaluation against %s (%s, branches of radius >= %g mm):\n"
         "  Dice %.3f (precision %.3f, recall %.3f) against every truth vessel\n"
         "  Dice %.3f (precision %.3f, recall %.3f) for the big branches in their neighbourhood\n"
         "  centreline distance mean %.3f mm, median %.3f, 95th percentile %.3f, max %.3f "
         "(%lld points, %lld segments matched); coverage %.3f; inside %.3f\n"
         "  radius error mean %+.3f mm, mean |e| %.3f mm, RMS %.3f mm, relative %+.3f\n"
         "  bifurcations found %lld of %lld (sensitivity %.3f, mean error %.2f mm); "
         "precision %lld of %lld (%.3f)\n",
         truth_path, truth_kind, radius_mm, e.dice, e.precision, e.recall, e.dice_big,
         e.precision_big, e.recall_big, e.centreline_mean_mm, e.centreline_median_mm,
         e.centreline_p95_mm, e.centreline_max_mm, (long long)e.n_points,
         (long long)e.n_segments_matched, e.coverage_big, e.inside_fraction, e.radius_error_mean_mm,
         e.radius_error_abs_mm, e.radius_error_rms_mm, e.radius_error_rel, (long long)e.n_bif_found,
         (long long)e.n_bif_truth, e.bif_sensitivity, e.bif_error_mm,
         (long long)e.n_bif_detected_true, (long long)e.n_bif_detected, e.bif_precision);
  json_t *doc = json_object();
  json_object_set_new(doc, "format", json_string("carm-vessel-evaluation"));
  json_object_set_new(doc, "version", json_integer(1));
  json_object_set_new(doc, "truth", json_string(truth_path));
  json_object_set_new(doc, "truth_kind", json_string(truth_kind));
  const struct {
    const char *name;
    double v;
  } num[] = {{"min_radius_mm", eo.min_radius_mm},
             {"margin_mm", eo.margin_mm},
             {"bifurcation_tolerance_mm", eo.bif_tol_mm},
             {"dice", e.dice},
             {"precision", e.precision},
             {"recall", e.recall},
             {"dice_big", e.dice_big},
             {"precision_big", e.precision_big},
             {"recall_big", e.recall_big},
             {"centreline_mean_mm", e.centreline_mean_mm},
             {"centreline_median_mm", e.centreline_median_mm},
             {"centreline_p95_mm", e.centreline_p95_mm},
             {"centreline_max_mm", e.centreline_max_mm},
             {"coverage_big", e.coverage_big},
             {"inside_fraction", e.inside_fraction},
             {"radius_error_mean_mm", e.radius_error_mean_mm},
             {"radius_error_abs_mm", e.radius_error_abs_mm},
             {"radius_error_rms_mm", e.radius_error_rms_mm},
             {"radius_error_rel", e.radius_error_rel},
             {"bifurcation_sensitivity", e.bif_sensitivity},
             {"bifurcation_error_mm", e.bif_error_mm},
             {"bifurcation_precision", e.bif_precision}};
  for (size_t i = 0; i < sizeof num / sizeof num[0]; i++) {
    json_object_set_new(doc, num[i].name, isfinite(num[i].v) ? json_real(num[i].v) : json_null());
  }
  const struct {
    const char *name;
    int64_t v;
  } cnt[] = {{"truth_voxels", e.truth_voxels},
             {"truth_big_voxels", e.truth_big_voxels},
             {"domain_voxels", e.domain_voxels},
             {"mask_voxels", e.mask_voxels},
             {"centreline_points", e.n_points},
             {"segments_matched", e.n_segments_matched},
             {"bifurcations_truth", e.n_bif_truth},
             {"bifurcations_found", e.n_bif_found},
             {"bifurcations_detected", e.n_bif_detected},
             {"bifurcations_detected_true", e.n_bif_detected_true}};
  for (size_t i = 0; i < sizeof cnt / sizeof cnt[0]; i++) {
    json_object_set_new(doc, cnt[i].name, json_integer(cnt[i].v));
  }
  char path[4096];
  char tmp[4200];
  snprintf(path, sizeof path, "%s/evaluation.json", dir);
  snprintf(tmp, sizeof tmp, "%s.tmp%ld", path, (long)getpid());
  int rc = CLI_OK;
  if (json_dump_file(doc, tmp, JSON_INDENT(1) | JSON_REAL_PRECISION(6)) != 0 ||
      rename(tmp, path) != 0) {
    unlink(tmp);
    rc = cli_fail(CLI_FAIL, cmd, "cannot write %s", path);
  }
  json_decref(doc);
  return rc;
}

int carm_cmd_vessels(int argc, char **argv) {
  const char *cmd = "vessels";
  const char *in = NULL;
  const char *dir = NULL;
  const char *kind = "artery";
  const char *truth_path = NULL;
  const char *truth_kind = "artery";
  const char *eval_dir = NULL;
  double eval_radius = 1.0;
  carm_vessels_opts o = CARM_VESSELS_INIT;
  o.progress.fn = cli_progress;
  o.progress.user = (void *)cmd;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    const char *v = i + 1 < argc ? argv[i + 1] : NULL;
    if (a[0] != '-') {
      if (in != NULL) {
        return cli_fail(CLI_USAGE, cmd, "one input volume only");
      }
      in = a;
      continue;
    }
    if (v == NULL) {
      return cli_fail(CLI_USAGE, cmd, "option '%s' needs a value (see --help)", a);
    }
    int bad = 0;
    int64_t keep = 0;
    if (strcmp(a, "-o") == 0) {
      dir = v;
    } else if (strcmp(a, "--root") == 0) {
      bad = cli_parse_doubles(v, o.root_mm, 3) != 0;
      o.has_root = 1;
    } else if (strcmp(a, "--threshold") == 0) {
      bad = cli_parse_double(v, &o.threshold) != 0;
    } else if (strcmp(a, "--min-radius") == 0) {
      bad = cli_parse_double(v, &o.min_radius_mm) != 0;
    } else if (strcmp(a, "--max-radius") == 0) {
      bad = cli_parse_double(v, &o.max_radius_mm) != 0;
    } else if (strcmp(a, "--seed-vesselness") == 0) {
      bad = cli_parse_double(v, &o.seed_vesselness) != 0;
    } else if (strcmp(a, "--keep") == 0) {
      bad = cli_parse_int64(v, &keep) != 0 || keep < 1;
      o.keep = keep;
    } else if (strcmp(a, "--kind") == 0) {
      bad = strcmp(v, "artery") != 0 && strcmp(v, "vein") != 0 && strcmp(v, "vessel") != 0;
      kind = v;
    } else if (strcmp(a, "--truth") == 0) {
      truth_path = v;
    } else if (strcmp(a, "--truth-kind") == 0) {
      truth_kind = v;
    } else if (strcmp(a, "--evaluate") == 0) {
      eval_dir = v;
    } else if (strcmp(a, "--eval-radius") == 0) {
      bad =
          cli_parse_double(v, &eval_radius) != 0 || !(eval_radius >= 0.0) || !isfinite(eval_radius);
    } else {
      return cli_fail(CLI_USAGE, cmd, "unknown option '%s' (see --help)", a);
    }
    if (bad) {
      return cli_fail(CLI_USAGE, cmd, "bad value '%s' for %s", v, a);
    }
    i++;
  }
  if (eval_dir != NULL) {
    if (in != NULL || dir != NULL || truth_path == NULL) {
      return cli_fail(CLI_USAGE, cmd, "--evaluate DIR takes --truth and no VOLUME or -o");
    }
    char path[4096];
    carm_volume *m = NULL;
    carm_seg_tree *t = NULL;
    snprintf(path, sizeof path, "%s/vessels.nii.gz", eval_dir);
    carm_status est = carm_image_read(&m, NULL, path);
    if (est != CARM_OK) {
      return cli_status(cmd, "cannot read DIR/vessels.nii.gz", est);
    }
    snprintf(path, sizeof path, "%s/tree.json", eval_dir);
    if ((est = carm_seg_tree_read_json(&t, NULL, path, NULL)) != CARM_OK) {
      carm_volume_destroy(m);
      return cli_status(cmd, "cannot read DIR/tree.json", est);
    }
    int erc = evaluate(cmd, eval_dir, m, t, truth_path, truth_kind, eval_radius);
    carm_seg_tree_destroy(t);
    carm_volume_destroy(m);
    return erc;
  }
  if (in == NULL || dir == NULL) {
    return cli_fail(CLI_USAGE, cmd, "need a VOLUME and -o DIR (see --help)");
  }
  carm_volume *vol = NULL;
  carm_status st = carm_image_read(&vol, NULL, in);
  if (st != CARM_OK) {
    return cli_status(cmd, "cannot read the volume", st);
  }
  carm_volume *mask = NULL;
  carm_seg_tree *tree = NULL;
  carm_vessels_info info;
  st = carm_vessels_extract(&mask, &tree, &info, vol, &o);
  carm_volume_destroy(vol);
  if (st != CARM_OK) {
    return cli_status(cmd, "vessel extraction failed", st);
  }
  snprintf(tree->kind, sizeof tree->kind, "%s", kind);
  int rc = CLI_OK;
  char path[4096];
  if (mkdir(dir, 0777) != 0 && errno != EEXIST) {
    rc = cli_fail(CLI_FAIL, cmd, "cannot create %s: %s", dir, strerror(errno));
    goto done;
  }
  carm_write_opts wo = CARM_WRITE_INIT;
  wo.dtype = CARM_DTYPE_U8;
  snprintf(path, sizeof path, "%s/vessels.nii.gz", dir);
  if ((st = carm_image_write(mask, path, &wo)) != CARM_OK) {
    rc = cli_status(cmd, "cannot write the mask", st);
    goto done;
  }
  snprintf(path, sizeof path, "%s/tree.json", dir);
  if ((st = carm_seg_tree_write_json(tree, path)) != CARM_OK) {
    rc = cli_status(cmd, "cannot write the tree", st);
    goto done;
  }
  snprintf(path, sizeof path, "%s/tree.vtk", dir);
  if ((st = carm_seg_tree_write_vtk(tree, path)) != CARM_OK) {
    rc = cli_status(cmd, "cannot write the VTK tree", st);
    goto done;
  }
  printf("carm vessels: threshold %.5g (%s), %.1f mL of vessels, %lld segments, %lld "
         "bifurcations, %.0f mm of centreline -> %s/\n",
         info.threshold, info.dsa_like ? "vessel-only volume" : "with soft tissue", info.mask_ml,
         (long long)tree->n_segments, (long long)tree->n_bifurcations,
         carm_seg_tree_length_mm(tree), dir);
  if (truth_path != NULL) {
    rc = evaluate(cmd, dir, mask, tree, truth_path, truth_kind, eval_radius);
  }
done:
  carm_seg_tree_destroy(tree);
  carm_volume_destroy(mask);
  return rc;
}
