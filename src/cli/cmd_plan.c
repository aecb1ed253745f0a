/* carm plan: procedure planning — Y-90 activity, working views, ablation,
 * tumour feeders. Each subcommand prints one JSON object on stdout. */
#include "carm/plan.h"
#include "cli/cli.h"
#include "cli/plan_cli.h"
#include "cli/plan_guide.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

const char carm_cmd_plan_summary[] = "plan the procedure: feeders, views, ablation, Y-90 dose";
const char carm_cmd_plan_usage[] =
    "usage: carm plan SUBCOMMAND [options]\n"
    "\n"
    "  y90       Y-90 radioembolisation activity and doses (MIRD, partition, BSA)\n"
    "            --device glass|resin --lsf F --liver-ml V [--perfused-ml V]\n"
    "            [--tumour-ml V] [--tnr R] [--lung-kg M] [--height-m H --weight-kg W]\n"
    "            [--prior-lung-gy D] [--activity-gbq A] [--density G]\n"
    "  views     best C-arm working views for a vessel path (see carm plan views --help)\n"
    "  ablation  needle trajectory and ablation-zone coverage (see carm plan ablation --help)\n"
    "  feeders   arterial feeders of each tumour from a catheter tip, virtual injection\n"
    "  couinaud  Couinaud segment of points or lesions from the portal / hepatic veins\n"
    "\n"
    "Formulas: docs/clinical.md (from CLINICAL.md, with sources).\n"
    "\n"
    "example:\n"
    "  carm plan y90 --device glass --lsf 0.06 --liver-ml 1600 --perfused-ml 900 \\\n"
    "                --tumour-ml 120 --tnr 3\n";

static int y90(int argc, char **argv) {
  const char *cmd = "plan y90";
  carm_y90_input in = CARM_Y90_INIT;
  static const struct {
    const char *flag;
    size_t offset;
  } numbers[] = {
      {"--lsf", offsetof(carm_y90_input, lsf)},
      {"--liver-ml", offsetof(carm_y90_input, liver_ml)},
      {"--perfused-ml", offsetof(carm_y90_input, perfused_ml)},
      {"--tumour-ml", offsetof(carm_y90_input, tumour_ml)},
      {"--tnr", offsetof(carm_y90_input, tnr)},
      {"--lung-kg", offsetof(carm_y90_input, lung_mass_kg)},
      {"--height-m", offsetof(carm_y90_input, height_m)},
      {"--weight-kg", offsetof(carm_y90_input, weight_kg)},
      {"--prior-lung-gy", offsetof(carm_y90_input, prior_lung_gy)},
      {"--activity-gbq", offsetof(carm_y90_input, activity_gbq)},
      {"--density", offsetof(carm_y90_input, density_g_ml)},
  };
  const char *out_path = "-";
  for (int i = 1; i < argc; i++) {
    const char *v = i + 1 < argc ? argv[i + 1] : NULL;
    if ((strcmp(argv[i], "-o") == 0 || strcmp(argv[i], "--output") == 0) && v != NULL) {
      out_path = v;
      i++;
      continue;
    }
    if (strcmp(argv[i], "--device") == 0 && v != NULL) {
      if (strcmp(v, "glass") == 0) {
        in.device = CARM_Y90_GLASS;
      } else if (strcmp(v, "resin") == 0) {
        in.device = CARM_Y90_RESIN;
      } else {
        return cli_fail(CLI_USAGE, cmd, "--device must be glass or resin, got '%s'", v);
      }
      i++;
      continue;
    }
    size_t k = 0;
    for (; k < sizeof numbers / sizeof numbers[0]; k++) {
      if (strcmp(argv[i], numbers[k].flag) == 0) {
        break;
      }
    }
    if (k == sizeof numbers / sizeof numbers[0] || v == NULL) {
      return cli_fail(CLI_USAGE, cmd, "unknown or incomplete option '%s' (see carm plan --help)",
                      argv[i]);
    }
    double x = 0.0;
    if (cli_parse_double(v, &x) != 0) {
      return cli_fail(CLI_USAGE, cmd, "%s needs a number, got '%s'", argv[i], v);
    }
    memcpy((char *)&in + numbers[k].offset, &x, sizeof x);
    i++;
  }
  carm_y90_result r;
  carm_status st = carm_y90_plan(&in, &r);
  if (st != CARM_OK) {
    return cli_fail(CLI_USAGE, cmd, "%s", carm_last_error());
  }
  json_t *o = json_object();
  json_object_set_new(o, "format", json_string("carm-y90"));
  json_object_set_new(o, "version", json_integer(1));
  json_object_set_new(o, "device", json_string(in.device == CARM_Y90_GLASS ? "glass" : "resin"));
  json_object_set_new(o, "activity_gbq", json_real(r.activity_gbq));
  json_object_set_new(o, "method", json_string(r.method));
  json_object_set_new(o, "mird_activity_gbq", json_real(r.mird_activity_gbq));
  json_object_set_new(o, "mird_target_gy", json_real(r.mird_target_gy));
  if (isfinite(r.partition_activity_gbq)) {
    json_object_set_new(o, "partition_activity_gbq", json_real(r.partition_activity_gbq));
  }
  if (isfinite(r.bsa_activity_gbq)) {
    json_object_set_new(o, "bsa_activity_gbq", json_real(r.bsa_activity_gbq));
  }
  json_object_set_new(o, "perfused_mass_kg", json_real(r.perfused_mass_kg));
  json_object_set_new(o, "tumour_mass_kg", json_real(r.tumour_mass_kg));
  json_object_set_new(o, "normal_mass_kg", json_real(r.normal_mass_kg));
  json_object_set_new(o, "density_g_ml", json_real(in.density_g_ml));
  json_object_set_new(o, "perfused_dose_gy", json_real(r.perfused_dose_gy));
  if (isfinite(r.tumour_dose_gy)) {
    json_object_set_new(o, "tumour_dose_gy", json_real(r.tumour_dose_gy));
    json_object_set_new(o, "normal_liver_dose_gy", json_real(r.normal_dose_gy));
  }
  json_object_set_new(o, "lung_dose_gy", json_real(r.lung_dose_gy));
  json_object_set_new(o, "lung_cumulative_gy", json_real(r.lung_cumulative_gy));
  json_object_set_new(o, "checks",
                      json_pack("{s:b, s:b, s:b, s:f, s:f}", "lung_ok", r.lung_ok, "tumour_ok",
                                r.tumour_ok, "normal_liver_ok", r.normal_ok, "tumour_threshold_gy",
                                r.tumour_threshold_gy, "normal_liver_limit_gy", r.normal_limit_gy));
  json_object_set_new(o, "source",
                      json_string("CLINICAL.md: MIRD, partition model, BSA; "
                                  "EANM 2022 thresholds; lung 30/50 Gy"));
  int rc = plan_write_json(cmd, o, out_path);
  json_decref(o);
  return rc == 0 ? CLI_OK : CLI_FAIL;
}

int carm_cmd_plan(int argc, char **argv) {
  if (argc < 2) {
    return cli_fail(CLI_USAGE, "plan",
                    "missing subcommand (y90, feeders, views, ablation, couinaud)");
  }
  if (strcmp(argv[1], "y90") == 0) {
    return y90(argc - 1, argv + 1);
  }
  for (size_t i = 0; i < cli_plan_n_subcommands; i++) {
    if (strcmp(argv[1], cli_plan_subcommands[i].name) == 0) {
      return cli_plan_subcommands[i].run(argc - 1, argv + 1);
    }
  }
  return cli_fail(CLI_USAGE, "plan",
                  "unknown subcommand '%s' (y90, feeders, views, ablation, couinaud)", argv[1]);
}
