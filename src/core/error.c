/* Status codes, the thread-local error detail, version. */
#include "carm/core.h"

#include <stdarg.h>
#include <stdio.h>

static _Thread_local char carm_detail[512];

const char *carm_strerror(carm_status status) {
  switch (status) {
  case CARM_OK: return "success";
  case CARM_ERR_NOMEM: return "out of memory";
  case CARM_ERR_INVALID: return "invalid argument";
  case CARM_ERR_IO: return "input/output error";
  case CARM_ERR_FORMAT: return "malformed input";
  case CARM_ERR_UNSUPPORTED: return "unsupported input";
  case CARM_ERR_RANGE: return "value out of range";
  case CARM_ERR_CANCELLED: return "cancelled";
  case CARM_ERR_GEOMETRY: return "inconsistent geometry";
  case CARM_ERR_NOTFOUND: return "not found";
  case CARM_ERR_INTERNAL: return "internal error";
  }
  return "unknown status";
}

const char *carm_last_error(void) { return carm_detail; }

carm_status carm_error(carm_status status, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(carm_detail, sizeof carm_detail, fmt, ap);
  va_end(ap);
  return status;
}

void carm_error_clear(void) { carm_detail[0] = '\0'; }

const char *carm_version(void) { return CARM_VERSION; }

int carm_progress_report(const carm_progress *progress, double fraction, const char *stage) {
  if (progress == NULL || progress->fn == NULL) {
    return 0;
  }
  return progress->fn(progress->user, fraction, stage) != 0;
}
