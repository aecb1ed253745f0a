/* The board sheet's library side: pictures in the store (schema v3), the
 * case list and meeting reads, and carm_board_sheet's error paths (no file
 * left behind, an existing sheet kept). */
#include "carm/board.h"
#include "carm/render.h"
#include "clin_test.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char g_dir[256];

static void path_in(char *buf, size_t size, const char *name) {
  snprintf(buf, size, "%s/%s", g_dir, name);
}

static int exists(const char *path) {
  struct stat st;
  return stat(path, &st) == 0;
}

static int64_t count(carm_board *db, const char *table) {
  int64_t n = -1;
  return carm_board_count(db, table, &n) == CARM_OK ? n : -1;
}

/* The files of g_dir whose name contains `part`. */
static int files_with(const char *part) {
  char cmd[512];
  snprintf(cmd, sizeof cmd, "ls -a %s | grep -c -- '%s'", g_dir, part);
  FILE *p = popen(cmd, "r");
  int n = -1;
  if (p != NULL) {
    if (fscanf(p, "%d", &n) != 1) {
      n = -1;
    }
    pclose(p);
  }
  return n;
}

static char *read_all(const char *path, size_t *size) {
  FILE *f = fopen(path, "rb");
  if (f == NULL) {
    return NULL;
  }
  char *buf = malloc(1 << 20);
  *size = buf != NULL ? fread(buf, 1, 1 << 20, f) : 0;
  fclose(f);
  return buf;
}

int main(void) {
  snprintf(g_dir, sizeof g_dir, "/tmp/carm_sheet_lib_XXXXXX");
  if (mkdtemp(g_dir) == NULL) {
    return 1;
  }
  char dbp[300], png[300], notpng[300], sheet[300];
  path_in(dbp, sizeof dbp, "case.db");
  path_in(png, sizeof png, "mip.png");
  path_in(notpng, sizeof notpng, "fake.png");
  path_in(sheet, sizeof sheet, "sheet.pdf");
  carm_picture *pic = NULL;
  CHECK(carm_picture_create(&pic, 64, 48) == CARM_OK);
  for (int i = 0; pic != NULL && i < 64 * 48 * 3; i++) {
    pic->rgb[i] = (uint8_t)(i * 7);
  }
  CHECK(carm_picture_write_png(pic, png) == CARM_OK);
  carm_picture_destroy(pic);
  FILE *f = fopen(notpng, "wb");
  if (f != NULL) {
    fputs("\x89PNG\r\n\x1a\nthis is not a PNG", f);
    fclose(f);
  }

  carm_board *db = NULL;
  CHECK(carm_board_open(&db, dbp, "tester") == CARM_OK);
  if (db == NULL) {
    return check_done();
  }
  CHECK(carm_board_schema_version(db) == 3);
  CHECK(carm_board_add_patient(db, "P-1", NULL) == CARM_OK);
  CHECK(carm_board_add_patient(db, "P-2", NULL) == CARM_OK);
  carm_board_tumour t[2] = {{"T1", 25.0, NAN, 8.2, "8", CARM_FLAG_YES},
                            {"T2", 18.0, 12.0, NAN, NULL, CARM_FLAG_NO}};
  int64_t study = 0;
  int64_t other_study = 0;
  CHECK(carm_board_add_study(db, "P-1", "2026-11-17", "CBCT", t, 2, &study) == CARM_OK);
  CHECK(carm_board_add_study(db, "P-2", "2026-11-17", "CT", t, 1, &other_study) == CARM_OK);

  /* ---- pictures ---- */
  int64_t pid = 0;
  int64_t audit0 = count(db, "audit");
  CHECK(carm_board_add_picture(db, "P-1", study, png, "Vessel MIP", &pid) == CARM_OK && pid > 0);
  CHECK(count(db, "pictures") == 1 && count(db, "audit") == audit0 + 1);
  void *data = NULL;
  size_t size = 0;
  size_t file_size = 0;
  char *file = read_all(png, &file_size);
  CHECK(carm_board_picture_png(db, pid, &data, &size) == CARM_OK);
  CHECK(file != NULL && size == file_size && memcmp(data, file, size) == 0);
  free(data);
  free(file);
  CHECK(carm_board_picture_png(db, 999, &data, &size) == CARM_ERR_NOTFOUND);
  CHECK(carm_board_add_picture(db, "P-1", 0, notpng, NULL, NULL) == CARM_ERR_FORMAT);
  CHECK(carm_board_add_picture(db, "P-1", 0, dbp, NULL, NULL) == CARM_ERR_FORMAT);
  CHECK(carm_board_add_picture(db, "P-1", 0, "/nonexistent/x.png", NULL, NULL) == CARM_ERR_IO);
  CHECK(carm_board_add_picture(db, "P-1", other_study, png, NULL, NULL) == CARM_ERR_INVALID &&
        detail_has("study"));
  CHECK(carm_board_add_picture(db, "P-9", 0, png, NULL, NULL) == CARM_ERR_NOTFOUND);
  char long_caption[300];
  memset(long_caption, 'x', sizeof long_caption - 1);
  long_caption[sizeof long_caption - 1] = '\0';
  CHECK(carm_board_add_picture(db, "P-1", 0, png, long_caption, NULL) == CARM_ERR_RANGE);
  CHECK(count(db, "pictures") == 1 && count(db, "audit") == audit0 + 1);

  /* ---- list and meetings ---- */
  const char *names[] = {"Dr A", "Dr B", "Dr C"};
  const char *specs[] = {"surgery", "oncology", "radiology"};
  int64_t m = 0;
  CHECK(carm_board_add_meeting(db, "2026-11-20", names, specs, 3, &m) == CARM_OK);
  char *text = NULL;
  CHECK(carm_board_meeting_show(db, m, &text) == CARM_OK);
  json_t *j = text != NULL ? json_loads(text, 0, NULL) : NULL;
  CHECK(json_is_true(json_object_get(j, "quorum")) &&
        json_array_size(json_object_get(j, "attendees")) == 3);
  json_decref(j);
  free(text);
  text = NULL;
  CHECK(carm_board_meeting_show(db, 77, &text) == CARM_ERR_NOTFOUND && text == NULL);
  CHECK(carm_board_add_score(db, "P-1", "2026-11-20", "child-pugh",
                             "{\"score\": 8, \"class\": \"B\"}", NULL) == CARM_OK);
  CHECK(carm_board_add_score(db, "P-1", "2026-11-21", "child-pugh",
                             "{\"score\": 6, \"class\": \"A\"}", NULL) == CARM_OK);
  CHECK(carm_board_list(db, &text) == CARM_OK);
  j = text != NULL ? json_loads(text, 0, NULL) : NULL;
  json_t *cases = json_object_get(j, "cases");
  json_t *c1 = json_array_get(cases, 0);
  json_t *c2 = json_array_get(cases, 1);
  CHECK(json_array_size(cases) == 2);
  CHECK(strcmp(json_string_value(json_object_get(c1, "pseudonym")), "P-1") == 0);
  /* the latest score wins; tumours of the latest study */
  CHECK(json_integer_value(json_object_get(c1, "child_pugh_score")) == 6);
  CHECK(json_integer_value(json_object_get(c1, "tumours")) == 2);
  CHECK(json_number_value(json_object_get(c1, "largest_mm")) == 25.0);
  CHECK(json_is_null(json_object_get(c1, "stage")));
  CHECK(json_integer_value(json_object_get(c2, "tumours")) == 1);
  CHECK(json_array_size(json_object_get(j, "meetings")) == 1);
  json_decref(j);
  free(text);

  /* ---- the sheet ---- */
  CHECK(carm_board_sheet(db, "P-1", NULL, sheet) == CARM_OK && exists(sheet));
  struct stat before;
  stat(sheet, &before);
  carm_board_sheet_opts o = CARM_BOARD_SHEET_INIT;
  CHECK(carm_board_sheet(db, "P-9", &o, sheet) == CARM_ERR_NOTFOUND);
  CHECK(carm_board_sheet(db, "bad name", &o, sheet) == CARM_ERR_INVALID);
  o.version = 2;
  CHECK(carm_board_sheet(db, "P-1", &o, sheet) == CARM_ERR_INVALID);
  o.version = 1;
  o.n_pictures = 1;
  CHECK(carm_board_sheet(db, "P-1", &o, sheet) == CARM_ERR_INVALID);
  const char *bad[] = {notpng};
  o.picture_paths = bad;
  CHECK(carm_board_sheet(db, "P-1", &o, sheet) == CARM_ERR_FORMAT && detail_has("fake.png"));
  o.n_pictures = 0;
  o.meeting_id = 55;
  CHECK(carm_board_sheet(db, "P-1", &o, sheet) == CARM_ERR_NOTFOUND);
  o.meeting_id = 0;
  CHECK(carm_board_sheet(db, "P-1", &o, "/nonexistent/dir/sheet.pdf") == CARM_ERR_IO);
  CHECK(carm_board_sheet(NULL, "P-1", &o, sheet) == CARM_ERR_INVALID);
  CHECK(carm_board_sheet(db, "P-1", &o, NULL) == CARM_ERR_INVALID);
  struct stat after;
  stat(sheet, &after);
  CHECK(before.st_size == after.st_size && before.st_mtime == after.st_mtime &&
        before.st_ino == after.st_ino);
  CHECK(files_with(".tmp.") == 0);
  /* text that is not UTF-8 from the store still renders */
  carm_board_decision d = {"P-1", m,    "TACE", NULL, NULL, "bad \xff\xfe bytes\n and a newline",
                           NULL,  NULL, 0};
  CHECK(carm_board_decide(db, &d, NULL) == CARM_OK);
  path_in(sheet, sizeof sheet, "utf8.pdf");
  CHECK(carm_board_sheet(db, "P-1", NULL, sheet) == CARM_OK && exists(sheet));
  carm_board_close(db);

  char cmd[300];
  snprintf(cmd, sizeof cmd, "rm -rf %s", g_dir);
  CHECK(system(cmd) == 0);
  return check_done();
}
