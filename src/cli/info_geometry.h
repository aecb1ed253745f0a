/* `carm info` for RTK geometry XML files (and `carm geometry info`). */
#ifndef CARM_CLI_INFO_GEOMETRY_H
#define CARM_CLI_INFO_GEOMETRY_H

/** Read the RTK geometry XML at `path` and print a summary to stdout:
 * number of views, gantry angle range and angular coverage, SID and SDD
 * (or their ranges), non-zero offsets and tilt angles, time stamps, whether
 * it is a short scan and the fan angle when known. Messages go to stderr
 * prefixed with "carm CMD:". Returns CLI_OK (0) or CLI_FAIL (1). */
int cli_info_geometry(const char *cmd, const char *path);

#endif
