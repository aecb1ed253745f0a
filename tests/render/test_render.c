/* Pictures checked by properties: the MIP of a volume with a known sphere
 * shows a disk of the right radius at the right place, in each plane and
 * with an oblique direction matrix; MPR letters follow the radiological
 * convention; labels colour the picture; PNG round trip. */
#include "carm/carm.h"
#include "carm/render.h"
#include "check.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

static carm_volume *sphere_volume(const double centre[3], double radius, double angle) {
  carm_volume *v = NULL;
  int64_t dims[3] = {64, 60, 56};
  if (carm_volume_create(&v, dims) != CARM_OK) {
    return NULL;
  }
  v->spacing[0] = 1.0;
  v->spacing[1] = 1.1;
  v->spacing[2] = 1.2;
  carm_mat3_rot_z(angle, v->direction);
  /* place the volume centre at (0, 0, 0) */
  double half[3] = {31.5, 29.5, 27.5};
  double c[3];
  v->origin[0] = v->origin[1] = v->origin[2] = 0.0;
  carm_volume_index_to_point(v, half, c);
  for (int a = 0; a < 3; a++) {
    v->origin[a] = -c[a];
  }
  for (int64_t k = 0; k < dims[2]; k++) {
    for (int64_t j = 0; j < dims[1]; j++) {
      for (int64_t i = 0; i < dims[0]; i++) {
        double ijk[3] = {(double)i, (double)j, (double)k};
        double p[3];
        carm_volume_index_to_point(v, ijk, p);
        double d2 = 0.0;
        for (int a = 0; a < 3; a++) {
          d2 += (p[a] - centre[a]) * (p[a] - centre[a]);
        }
        v->data[(k * dims[1] + j) * dims[0] + i] = d2 <= radius * radius ? 1000.0f : 0.0f;
      }
    }
  }
  return v;
}

/* Measure the bright disk: area-equivalent radius and centroid in pixels. */
static void disk(const carm_picture *p, double *radius_px, double *cc, double *cr) {
  double n = 0.0;
  double sc = 0.0;
  double sr = 0.0;
  for (int r = 0; r < p->height; r++) {
    for (int c = 0; c < p->width; c++) {
      if (p->rgb[3 * (r * p->width + c)] > 128) {
        n += 1.0;
        sc += c;
        sr += r;
      }
    }
  }
  *radius_px = sqrt(n / M_PI);
  *cc = n > 0 ? sc / n : NAN;
  *cr = n > 0 ? sr / n : NAN;
}

static void test_mip_disk(double angle) {
  const double centre[3] = {6.0, -8.0, 5.0};
  const double radius = 9.0;
  carm_volume *v = sphere_volume(centre, radius, angle);
  CHECK(v != NULL);
  for (int plane = 0; plane < 3; plane++) {
    carm_render_opts o = CARM_RENDER_INIT;
    o.mode = CARM_RENDER_MIP;
    o.plane = (carm_plane)plane;
    o.window = 1000.0;
    o.level = 500.0;
    o.pixel_mm = 0.5;
    o.annotate = 0;
    carm_picture *pic = NULL;
    CHECK(carm_render(&pic, v, &o) == CARM_OK);
    double rad;
    double cc;
    double cr;
    disk(pic, &rad, &cc, &cr);
    CHECK_NEAR(rad * pic->pixel_mm, radius, 0.6);
    double ec;
    double er;
    carm_render_point_to_pixel(v, &o, centre, &ec, &er);
    CHECK_NEAR(cc, ec, 1.0);
    CHECK_NEAR(cr, er, 1.0);
    carm_picture_destroy(pic);
  }
  carm_volume_destroy(v);
}

/* Orientation: a bright spot on the patient's left (+x) appears on the right
 * of an axial picture, a spot anterior (-y) at the top, a superior spot at the
 * top of a coronal picture, an anterior spot on the left of a sagittal one. */
static void test_orientation(void) {
  const double left[3] = {20.0, 0.0, 0.0};
  carm_volume *v = sphere_volume(left, 4.0, 0.0);
  carm_render_opts o = CARM_RENDER_INIT;
  o.mode = CARM_RENDER_MIP;
  o.window = 1000;
  o.level = 500;
  o.annotate = 0;
  carm_picture *p = NULL;
  double rad;
  double cc;
  double cr;
  CHECK(carm_render(&p, v, &o) == CARM_OK);
  disk(p, &rad, &cc, &cr);
  CHECK(cc > 0.6 * p->width);
  carm_picture_destroy(p);
  carm_volume_destroy(v);

  const double anterior[3] = {0.0, -20.0, 0.0};
  v = sphere_volume(anterior, 4.0, 0.0);
  CHECK(carm_render(&p, v, &o) == CARM_OK); /* axial */
  disk(p, &rad, &cc, &cr);
  CHECK(cr < 0.4 * p->height);
  carm_picture_destroy(p);
  o.plane = CARM_PLANE_SAGITTAL;
  CHECK(carm_render(&p, v, &o) == CARM_OK);
  disk(p, &rad, &cc, &cr);
  CHECK(cc < 0.4 * p->width);
  carm_picture_destroy(p);
  carm_volume_destroy(v);

  const double superior[3] = {0.0, 0.0, 20.0};
  v = sphere_volume(superior, 4.0, 0.0);
  o.plane = CARM_PLANE_CORONAL;
  CHECK(carm_render(&p, v, &o) == CARM_OK);
  disk(p, &rad, &cc, &cr);
  CHECK(cr < 0.4 * p->height);
  carm_picture_destroy(p);
  carm_volume_destroy(v);
}

static void test_mpr_slab_labels_png(void) {
  const double centre[3] = {0.0, 0.0, 0.0};
  carm_volume *v = sphere_volume(centre, 10.0, 0.0);
  carm_volume *lab = NULL;
  CHECK(carm_volume_clone(&lab, v) == CARM_OK);
  for (int64_t i = 0; i < carm_volume_count(lab); i++) {
    lab->data[i] = lab->data[i] > 0 ? 11.0f : 0.0f;
  }
  carm_render_opts o = CARM_RENDER_INIT;
  o.window = 1000;
  o.level = 500;
  o.position_mm = 6.0; /* axial slice 6 mm above the centre: radius 8 */
  o.annotate = 0;
  carm_picture *p = NULL;
  CHECK(carm_render(&p, v, &o) == CARM_OK);
  double rad;
  double cc;
  double cr;
  disk(p, &rad, &cc, &cr);
  CHECK_NEAR(rad * p->pixel_mm, 8.0, 0.7);
  carm_picture_destroy(p);
  /* a thin slab MIP 30 mm away sees nothing */
  o.mode = CARM_RENDER_MIP;
  o.slab_mm = 5.0;
  o.position_mm = 20.0;
  CHECK(carm_render(&p, v, &o) == CARM_OK);
  disk(p, &rad, &cc, &cr);
  CHECK(rad == 0.0);
  carm_picture_destroy(p);
  /* labels tint the sphere: green and blue differ from red inside */
  o.position_mm = 0.0;
  o.labels = lab;
  o.label_opacity = 0.5;
  CHECK(carm_render(&p, v, &o) == CARM_OK);
  double ec;
  double er;
  carm_render_point_to_pixel(v, &o, centre, &ec, &er);
  const uint8_t *px = p->rgb + 3 * ((int)er * p->width + (int)ec);
  CHECK(px[0] != px[1] || px[1] != px[2]);
  /* annotation draws letters and a scale bar: pixels change */
  o.annotate = 1;
  carm_picture *q = NULL;
  CHECK(carm_render(&q, v, &o) == CARM_OK);
  CHECK(memcmp(p->rgb, q->rgb, (size_t)p->width * (size_t)p->height * 3u) != 0);
  char path[] = "/tmp/carm_render_XXXXXX";
  int fd = mkstemp(path);
  CHECK(fd >= 0);
  close(fd);
  CHECK(carm_picture_write_png(q, path) == CARM_OK);
  carm_picture *r = NULL;
  CHECK(carm_picture_read_png(&r, path) == CARM_OK);
  CHECK(r != NULL && r->width == q->width && r->height == q->height &&
        memcmp(r->rgb, q->rgb, (size_t)q->width * (size_t)q->height * 3u) == 0);
  unlink(path);
  CHECK(carm_picture_write_png(q, "/nonexistent/dir/x.png") == CARM_ERR_IO);
  CHECK(access("/nonexistent/dir/x.png", F_OK) != 0);
  carm_picture_destroy(r);
  carm_picture_destroy(q);
  carm_picture_destroy(p);
  /* volume rendering: something opaque at the centre, dark at the corner */
  o.mode = CARM_RENDER_VR;
  o.labels = NULL;
  o.annotate = 0;
  o.tf_low = 200;
  o.tf_high = 800;
  CHECK(carm_render(&p, v, &o) == CARM_OK);
  px = p->rgb + 3 * ((int)er * p->width + (int)ec);
  CHECK(px[0] > 100);
  CHECK(p->rgb[0] == 0);
  carm_picture_destroy(p);
  o.window = 0.0;
  CHECK(carm_render(&p, v, &o) == CARM_ERR_RANGE);
  carm_volume_destroy(lab);
  carm_volume_destroy(v);
}

int main(void) {
  test_mip_disk(0.0);
  test_mip_disk(0.5);
  test_orientation();
  test_mpr_slab_labels_png();
  return check_done();
}
