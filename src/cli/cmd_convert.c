/* carm convert IN OUT: between image formats and element types. */
#include "cli/cli.h"

#include <stdio.h>
#include <string.h>

const char carm_cmd_convert_summary[] = "convert images between MetaImage and NIfTI, change type";
const char carm_cmd_convert_usage[] =
    "usage: carm convert IN OUT [--type TYPE] [--compress]\n"
    "\n"
    "Read IN (.mha, .mhd, .nii, .nii.gz) and write OUT; the format follows OUT's\n"
    "suffix. Geometry (spacing, origin, direction) is kept; NIfTI is written\n"
    "in RAS with sform and qform (code 1, scanner), MetaImage in LPS.\n"
    "\n"
    "options:\n"
    "  --type TYPE   element type on disk: uint8 int8 uint16 int16 uint32 int32\n"
    "                float32 float64. Integer types round to nearest (halves away\n"
    "                from zero) and clamp to their range. Default: the input's type,\n"
    "                or float32 when the input had NIfTI scaling (scl_slope/inter).\n"
    "  --compress    MetaImage: zlib-compress the data (.nii.gz is always\n"
    "                compressed, .nii never)\n"
    "\n"
    "OUT is written to a temporary name and renamed at the end: on failure no\n"
    "file is left behind and an existing OUT is untouched.\n"
    "\n"
    "example:\n"
    "  carm convert ct.nii.gz ct.mha --type int16 --compress\n";

static carm_dtype parse_type(const char *s) {
  static const carm_dtype all[] = {CARM_DTYPE_U8,  CARM_DTYPE_I8,  CARM_DTYPE_U16, CARM_DTYPE_I16,
                                   CARM_DTYPE_U32, CARM_DTYPE_I32, CARM_DTYPE_F32, CARM_DTYPE_F64};
  for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) {
    if (strcmp(s, carm_dtype_name(all[i])) == 0) {
      return all[i];
    }
  }
  return CARM_DTYPE_UNKNOWN;
}

static int known_suffix(const char *p) {
  return cli_has_suffix(p, ".mha") || cli_has_suffix(p, ".mhd") || cli_has_suffix(p, ".nii") ||
         cli_has_suffix(p, ".nii.gz");
}

int carm_cmd_convert(int argc, char **argv) {
  const char *cmd = argv[0];
  const char *in = NULL;
  const char *out = NULL;
  carm_write_opts opts = CARM_WRITE_INIT;
  int have_type = 0;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--type") == 0) {
      if (i + 1 >= argc) {
        return cli_fail(CLI_USAGE, cmd, "--type needs a value");
      }
      opts.dtype = parse_type(argv[++i]);
      if (opts.dtype == CARM_DTYPE_UNKNOWN) {
        return cli_fail(CLI_USAGE, cmd,
                        "unknown type '%s' (uint8 int8 uint16 int16 uint32 int32 float32 "
                        "float64)",
                        argv[i]);
      }
      have_type = 1;
    } else if (strcmp(argv[i], "--compress") == 0) {
      opts.compress = 1;
    } else if (argv[i][0] == '-' && argv[i][1] != '\0') {
      return cli_fail(CLI_USAGE, cmd, "unknown option %s", argv[i]);
    } else if (in == NULL) {
      in = argv[i];
    } else if (out == NULL) {
      out = argv[i];
    } else {
      return cli_fail(CLI_USAGE, cmd, "too many arguments: %s", argv[i]);
    }
  }
  if (in == NULL || out == NULL) {
    return cli_fail(CLI_USAGE, cmd, "give IN and OUT (see carm convert --help)");
  }
  if (!known_suffix(out)) {
    return cli_fail(CLI_USAGE, cmd, "%s: OUT must end in .mha, .mhd, .nii or .nii.gz", out);
  }
  const char *const inputs[] = {in};
  int chk = cli_check_output(cmd, out, inputs, 1);
  if (chk != CLI_OK) {
    return chk;
  }
  carm_volume *v = NULL;
  carm_image_info info;
  carm_status st = carm_image_read(&v, &info, in);
  if (st != CARM_OK) {
    return cli_status(cmd, "read", st);
  }
  if (!have_type) {
    int scaled = info.scl_slope != 1.0 || info.scl_inter != 0.0;
    opts.dtype = scaled || info.dtype == CARM_DTYPE_UNKNOWN ? CARM_DTYPE_F32 : info.dtype;
  }
  st = carm_image_write(v, out, &opts);
  carm_volume_destroy(v);
  if (st != CARM_OK) {
    return cli_status(cmd, "write", st);
  }
  return CLI_OK;
}
