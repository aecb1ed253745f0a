/* Label sets ("3,10-20"). */
#include "carm/guide.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

carm_status carm_label_set_parse(carm_label_set *set, const char *text) {
  if (set == NULL || text == NULL || text[0] == '\0') {
    return carm_error(CARM_ERR_INVALID, "label list: empty");
  }
  carm_label_set s;
  memset(&s, 0, sizeof s);
  const char *p = text;
  while (*p != '\0') {
    char *end = NULL;
    errno = 0;
    long a = strtol(p, &end, 10);
    long b = a;
    if (end == p || errno != 0) {
      return carm_error(CARM_ERR_INVALID, "label list '%s': expected a number", text);
    }
    p = end;
    if (*p == '-') {
      p++;
      b = strtol(p, &end, 10);
      if (end == p || errno != 0) {
        return carm_error(CARM_ERR_INVALID, "label list '%s': bad range", text);
      }
      p = end;
    }
    if (a < 0 || b > 255 || a > b) {
      return carm_error(CARM_ERR_INVALID, "label list '%s': labels must be 0..255, lo <= hi", text);
    }
    for (long v = a; v <= b; v++) {
      s.has[v] = 1;
    }
    if (*p == ',') {
      p++;
      if (*p == '\0') {
        return carm_error(CARM_ERR_INVALID, "label list '%s': trailing comma", text);
      }
    } else if (*p != '\0') {
      return carm_error(CARM_ERR_INVALID, "label list '%s': unexpected '%c'", text, *p);
    }
  }
  *set = s;
  return CARM_OK;
}
