/* Vessel tree from a skeleton: graph (end points, bifurcation clusters,
 * segments), spur pruning, merging of degree-2 nodes, orientation from the
 * root, radius per point from the distance map, light smoothing. */
#include "seg/seg_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct tpoint {
  double x[3]; /* mm */
  double r;    /* mm */
} tpoint;

typedef struct tedge {
  int64_t a, b; /* nodes; points run from a to b */
  tpoint *pts;
  int64_t n, cap;
  int alive;
} tedge;

typedef struct tnode {
  double x[3];  /* centroid, mm */
  double r;     /* radius, mm */
  int64_t nvox; /* voxels in the cluster */
  int64_t deg;  /* alive incident edges */
  int alive;
} tnode;

typedef struct tgraph {
  tnode *nodes;
  int64_t nn, ncap;
  tedge *edges;
  int64_t ne, ecap;
} tgraph;

static void graph_free(tgraph *g) {
  for (int64_t e = 0; e < g->ne; e++) {
    free(g->edges[e].pts);
  }
  free(g->edges);
  free(g->nodes);
  memset(g, 0, sizeof *g);
}

static carm_status edge_push(tedge *e, const tpoint *p) {
  if (e->n == e->cap) {
    int64_t cap = e->cap < 16 ? 16 : 2 * e->cap;
    tpoint *q = realloc(e->pts, (size_t)cap * sizeof *q);
    if (q == NULL) {
      return carm_error(CARM_ERR_NOMEM, "tree: cannot grow a segment");
    }
    e->pts = q;
    e->cap = cap;
  }
  e->pts[e->n++] = *p;
  return CARM_OK;
}

static carm_status graph_add_edge(tgraph *g, int64_t a, int64_t b, int64_t *id) {
  if (g->ne == g->ecap) {
    int64_t cap = g->ecap < 64 ? 64 : 2 * g->ecap;
    tedge *q = realloc(g->edges, (size_t)cap * sizeof *q);
    if (q == NULL) {
      return carm_error(CARM_ERR_NOMEM, "tree: cannot grow the edge table");
    }
    g->edges = q;
    g->ecap = cap;
  }
  tedge *e = &g->edges[g->ne];
  memset(e, 0, sizeof *e);
  e->a = a;
  e->b = b;
  e->alive = 1;
  *id = g->ne++;
  return CARM_OK;
}

static double edge_length(const tedge *e) {
  double len = 0.0;
  for (int64_t p = 1; p < e->n; p++) {
    double d2 = 0.0;
    for (int c = 0; c < 3; c++) {
      double d = e->pts[p].x[c] - e->pts[p - 1].x[c];
      d2 += d * d;
    }
    len += sqrt(d2);
  }
  return len;
}

static void edge_reverse(tedge *e) {
  for (int64_t p = 0; p < e->n / 2; p++) {
    tpoint t = e->pts[p];
    e->pts[p] = e->pts[e->n - 1 - p];
    e->pts[e->n - 1 - p] = t;
  }
  int64_t t = e->a;
  e->a = e->b;
  e->b = t;
}

/* Position of linear index `v` in the sorted array, or -1. */
static int64_t find_vox(const int64_t *vox, int64_t n, int64_t v) {
  int64_t lo = 0, hi = n - 1;
  while (lo <= hi) {
    int64_t mid = lo + (hi - lo) / 2;
    if (vox[mid] == v) {
      return mid;
    }
    if (vox[mid] < v) {
      lo = mid + 1;
    } else {
      hi = mid - 1;
    }
  }
  return -1;
}

typedef struct skel {
  const carm_volume *grid;
  const carm_volume *dist;
  int64_t *vox; /* sorted linear indices */
  int64_t n;
  int64_t *nbr; /* 26 entries per voxel: positions of neighbours, -1 none */
  int *deg;
  int64_t *node; /* node id per voxel, -1 for path voxels */
  uint8_t *seen;
  double rcorr; /* radius correction (mm) */
} skel;

static void vox_point(const skel *s, int64_t q, tpoint *p) {
  const carm_volume *g = s->grid;
  int64_t v = s->vox[q];
  double ijk[3] = {(double)(v % g->dims[0]), (double)((v / g->dims[0]) % g->dims[1]),
                   (double)(v / (g->dims[0] * g->dims[1]))};
  carm_volume_index_to_point(g, ijk, p->x);
  double r = (double)s->dist->data[v] - s->rcorr;
  p->r = r > s->rcorr ? r : s->rcorr;
}

/* Trace from node voxel q0 (node u) through the path voxel q1. */
static carm_status trace(tgraph *g, skel *s, int64_t u, int64_t q0, int64_t q1) {
  int64_t eid = 0;
  carm_status st = graph_add_edge(g, u, -1, &eid);
  if (st != CARM_OK) {
    return st;
  }
  tpoint p;
  memcpy(p.x, g->nodes[u].x, sizeof p.x);
  p.r = g->nodes[u].r;
  st = edge_push(&g->edges[eid], &p);
  int64_t prev = q0, cur = q1;
  while (st == CARM_OK) {
    s->seen[cur] = 1;
    vox_point(s, cur, &p);
    st = edge_push(&g->edges[eid], &p);
    if (st != CARM_OK) {
      break;
    }
    int64_t next = -1, end_node = -1;
    for (int t = 0; t < 26; t++) {
      int64_t w = s->nbr[cur * 26 + t];
      if (w < 0 || w == prev || w == cur) {
        continue;
      }
      if (s->node[w] >= 0) {
        if (!(s->node[w] == u && g->edges[eid].n <= 2 && s->node[prev] == u)) {
          end_node = s->node[w];
        }
      } else if (!s->seen[w]) {
        next = w;
      }
    }
    if (end_node >= 0) {
      g->edges[eid].b = end_node;
      memcpy(p.x, g->nodes[end_node].x, sizeof p.x);
      p.r = g->nodes[end_node].r;
      st = edge_push(&g->edges[eid], &p);
      break;
    }
    if (next < 0) {
      g->edges[eid].alive = 0; /* a loop of path voxels, or a dead end */
      break;
    }
    prev = cur;
    cur = next;
  }
  return st;
}

/* Build nodes and edges from the skeleton. */
static carm_status build_graph(tgraph *g, skel *s) {
  const carm_volume *v = s->grid;
  const int64_t nx = v->dims[0], ny = v->dims[1], nz = v->dims[2];
  int off[26][3];
  seg_neighbour_offsets(26, off);
  for (int64_t q = 0; q < s->n; q++) {
    int64_t idx = s->vox[q];
    int64_t i = idx % nx, j = (idx / nx) % ny, k = idx / (nx * ny);
    int d = 0;
    for (int t = 0; t < 26; t++) {
      int64_t a = i + off[t][0], b = j + off[t][1], c = k + off[t][2];
      int64_t w = -1;
      if (a >= 0 && b >= 0 && c >= 0 && a < nx && b < ny && c < nz) {
        w = find_vox(s->vox, s->n, (c * ny + b) * nx + a);
      }
      s->nbr[q * 26 + t] = w;
      d += w >= 0;
    }
    s->deg[q] = d;
    s->node[q] = -1;
  }
  /* nodes: end points, and clusters of 26-adjacent voxels of degree >= 3 */
  seg_stack stack = {0};
  carm_status st = CARM_OK;
  for (int64_t q = 0; q < s->n && st == CARM_OK; q++) {
    if (s->node[q] >= 0 || s->deg[q] == 2 || s->deg[q] == 0) {
      continue;
    }
    if (g->nn == g->ncap) {
      int64_t cap = g->ncap < 64 ? 64 : 2 * g->ncap;
      tnode *nq = realloc(g->nodes, (size_t)cap * sizeof *nq);
      if (nq == NULL) {
        st = carm_error(CARM_ERR_NOMEM, "tree: cannot grow the node table");
        break;
      }
      g->nodes = nq;
      g->ncap = cap;
    }
    int64_t id = g->nn++;
    tnode *nd = &g->nodes[id];
    memset(nd, 0, sizeof *nd);
    nd->alive = 1;
    s->node[q] = id;
    st = seg_stack_push(&stack, q);
    while (st == CARM_OK && stack.n > 0) {
      int64_t c = stack.items[--stack.n];
      tpoint p;
      vox_point(s, c, &p);
      for (int a = 0; a < 3; a++) {
        nd->x[a] += p.x[a];
      }
      nd->r = p.r > nd->r ? p.r : nd->r;
      nd->nvox++;
      if (s->deg[c] < 3) {
        continue; /* an end point is a cluster of one */
      }
      for (int t = 0; t < 26 && st == CARM_OK; t++) {
        int64_t w = s->nbr[c * 26 + t];
        if (w >= 0 && s->deg[w] >= 3 && s->node[w] < 0) {
          s->node[w] = id;
          st = seg_stack_push(&stack, w);
        }
      }
    }
    for (int a = 0; a < 3; a++) {
      nd->x[a] /= (double)nd->nvox;
    }
  }
  seg_stack_free(&stack);
  if (st != CARM_OK) {
    return st;
  }
  /* edges: walk from every node voxel into each path voxel or adjacent node */
  for (int64_t q = 0; q < s->n && st == CARM_OK; q++) {
    int64_t u = s->node[q];
    if (u < 0) {
      continue;
    }
    for (int t = 0; t < 26 && st == CARM_OK; t++) {
      int64_t w = s->nbr[q * 26 + t];
      if (w < 0 || s->node[w] == u) {
        continue;
      }
      if (s->node[w] >= 0) {
        int64_t other = s->node[w];
        if (other < u) {
          continue;
        }
        int dup = 0;
        for (int64_t e = 0; e < g->ne; e++) {
          if (g->edges[e].alive && g->edges[e].n == 2 &&
              ((g->edges[e].a == u && g->edges[e].b == other) ||
               (g->edges[e].a == other && g->edges[e].b == u))) {
            dup = 1;
          }
        }
        if (dup) {
          continue;
        }
        int64_t eid = 0;
        st = graph_add_edge(g, u, other, &eid);
        tpoint p;
        for (int end = 0; end < 2 && st == CARM_OK; end++) {
          const tnode *nd = &g->nodes[end == 0 ? u : other];
          memcpy(p.x, nd->x, sizeof p.x);
          p.r = nd->r;
          st = edge_push(&g->edges[eid], &p);
        }
      } else if (!s->seen[w]) {
        st = trace(g, s, u, q, w);
      }
    }
  }
  if (st != CARM_OK) {
    return st;
  }
  for (int64_t e = 0; e < g->ne; e++) {
    tedge *ed = &g->edges[e];
    if (ed->alive && ed->a == ed->b) {
      ed->alive = 0; /* self loops are thinning noise */
    }
    if (ed->alive) {
      g->nodes[ed->a].deg++;
      g->nodes[ed->b].deg++;
    }
  }
  return CARM_OK;
}

/* Re-centre the interior points of an edge on the vessel cross-section and
 * measure its radius there. The cross-section is the slab of mask voxels
 * (distance > 0) around the point, perpendicular to the local tangent,
 * weighted by a hat of half width h (the largest spacing) along the
 * tangent; the hat sums to one per spacing h, so the area is
 * voxel volume x sum of weights / h. The point moves to the weighted
 * centroid of the slab and the radius becomes sqrt(area / pi), which is
 * sub-voxel on tubes where the thinning leaves the skeleton up to a voxel
 * off the axis. */
static void refine_edge(tedge *e, const skel *s) {
  const carm_volume *d = s->dist;
  const int64_t nx = d->dims[0], ny = d->dims[1], nz = d->dims[2];
  double h = d->spacing[0];
  h = d->spacing[1] > h ? d->spacing[1] : h;
  h = d->spacing[2] > h ? d->spacing[2] : h;
  const double vox = d->spacing[0] * d->spacing[1] * d->spacing[2];
  for (int64_t p = 1; p + 1 < e->n; p++) {
    double t[3], len = 0.0;
    int64_t pa = p >= 2 ? p - 2 : p - 1, pb = p + 2 < e->n ? p + 2 : p + 1;
    for (int c = 0; c < 3; c++) {
      t[c] = e->pts[pb].x[c] - e->pts[pa].x[c];
      len += t[c] * t[c];
    }
    len = sqrt(len);
    if (!(len > 0.0)) {
      continue;
    }
    for (int c = 0; c < 3; c++) {
      t[c] /= len;
    }
    double lim = e->pts[p].r + s->rcorr + 2.0 * h;
    double ijk[3];
    carm_volume_point_to_index(d, e->pts[p].x, ijk);
    int64_t lo[3], hi[3];
    for (int c = 0; c < 3; c++) {
      /* the box in index space (axis-aligned grids; a rotated direction
       * matrix only needs the same half width in voxels) */
      int64_t half = (int64_t)ceil(lim / d->spacing[c]) + 1;
      lo[c] = (int64_t)floor(ijk[c]) - half;
      hi[c] = (int64_t)ceil(ijk[c]) + half;
      lo[c] = lo[c] < 0 ? 0 : lo[c];
    }
    hi[0] = hi[0] > nx - 1 ? nx - 1 : hi[0];
    hi[1] = hi[1] > ny - 1 ? ny - 1 : hi[1];
    hi[2] = hi[2] > nz - 1 ? nz - 1 : hi[2];
    double wsum = 0.0, acc[3] = {0.0, 0.0, 0.0};
    for (int64_t k = lo[2]; k <= hi[2]; k++) {
      for (int64_t j = lo[1]; j <= hi[1]; j++) {
        for (int64_t i = lo[0]; i <= hi[0]; i++) {
          if (!(d->data[(k * ny + j) * nx + i] > 0.0f)) {
            continue;
          }
          double q[3], uvw[3] = {(double)i, (double)j, (double)k}, dv[3];
          carm_volume_index_to_point(d, uvw, q);
          double along = 0.0;
          for (int c = 0; c < 3; c++) {
            dv[c] = q[c] - e->pts[p].x[c];
            along += dv[c] * t[c];
          }
          double w = 1.0 - fabs(along) / h;
          if (w <= 0.0) {
            continue;
          }
          double perp2 = 0.0;
          for (int c = 0; c < 3; c++) {
            dv[c] -= along * t[c];
            perp2 += dv[c] * dv[c];
          }
          if (perp2 > lim * lim) {
            continue;
          }
          wsum += w;
          for (int c = 0; c < 3; c++) {
            acc[c] += w * dv[c];
          }
        }
      }
    }
    if (wsum > 0.0) {
      for (int c = 0; c < 3; c++) {
        e->pts[p].x[c] += acc[c] / wsum;
      }
      e->pts[p].r = sqrt(vox * wsum / h / M_PI);
    }
  }
}

typedef struct spur {
  int64_t e;
  double len;
} spur;

static int spur_cmp(const void *pa, const void *pb) {
  const spur *a = pa, *b = pb;
  return a->len < b->len ? -1 : (a->len > b->len ? 1 : (a->e < b->e ? -1 : 1));
}

/* Prune terminal edges shorter than max(min_mm, factor x junction radius). */
static carm_status prune(tgraph *g, const carm_seg_tree_opts *o) {
  spur *sp = malloc((size_t)(g->ne > 0 ? g->ne : 1) * sizeof *sp);
  if (sp == NULL) {
    return carm_error(CARM_ERR_NOMEM, "tree: cannot allocate the spur list");
  }
  for (;;) {
    int64_t ns = 0;
    for (int64_t e = 0; e < g->ne; e++) {
      tedge *ed = &g->edges[e];
      if (!ed->alive) {
        continue;
      }
      int64_t da = g->nodes[ed->a].deg, db = g->nodes[ed->b].deg;
      if ((da == 1 && db >= 3) || (db == 1 && da >= 3)) {
        sp[ns].e = e;
        sp[ns].len = edge_length(ed);
        ns++;
      }
    }
    qsort(sp, (size_t)ns, sizeof *sp, spur_cmp);
    int64_t removed = 0;
    for (int64_t s = 0; s < ns; s++) {
      tedge *ed = &g->edges[sp[s].e];
      int64_t end = g->nodes[ed->a].deg == 1 ? ed->a : ed->b;
      int64_t junction = end == ed->a ? ed->b : ed->a;
      if (g->nodes[junction].deg < 3 || g->nodes[end].deg != 1) {
        continue;
      }
      double lim = o->min_spur_mm;
      double rel = o->spur_radius_factor * g->nodes[junction].r;
      lim = rel > lim ? rel : lim;
      if (sp[s].len < lim) {
        ed->alive = 0;
        g->nodes[junction].deg--;
        g->nodes[end].deg = 0;
        g->nodes[end].alive = 0;
        removed++;
      }
    }
    if (removed == 0) {
      break;
    }
  }
  free(sp);
  return CARM_OK;
}

/* Merge the two edges at every node of degree 2 (except `keep`). */
static carm_status merge_degree2(tgraph *g, int64_t keep) {
  for (int64_t u = 0; u < g->nn; u++) {
    if (!g->nodes[u].alive || g->nodes[u].deg != 2 || u == keep) {
      continue;
    }
    int64_t e1 = -1, e2 = -1;
    for (int64_t e = 0; e < g->ne; e++) {
      tedge *ed = &g->edges[e];
      if (ed->alive && (ed->a == u || ed->b == u)) {
        if (e1 < 0) {
          e1 = e;
        } else {
          e2 = e;
        }
      }
    }
    if (e1 < 0 || e2 < 0 || e1 == e2) {
      continue;
    }
    tedge *a = &g->edges[e1], *b = &g->edges[e2];
    if (a->b != u) {
      edge_reverse(a);
    }
    if (b->a != u) {
      edge_reverse(b);
    }
    if (a->a == u || b->b == u) {
      continue; /* a loop through u only */
    }
    for (int64_t p = 1; p < b->n; p++) {
      carm_status st = edge_push(a, &b->pts[p]);
      if (st != CARM_OK) {
        return st;
      }
    }
    a->b = b->b;
    b->alive = 0;
    g->nodes[u].alive = 0;
    g->nodes[u].deg = 0;
  }
  return CARM_OK;
}

static void smooth_points(tpoint *pts, int64_t n, int iterations, tpoint *tmp) {
  for (int it = 0; it < iterations; it++) {
    for (int64_t p = 1; p + 1 < n; p++) {
      for (int c = 0; c < 3; c++) {
        tmp[p].x[c] = 0.25 * pts[p - 1].x[c] + 0.5 * pts[p].x[c] + 0.25 * pts[p + 1].x[c];
      }
      tmp[p].r = 0.25 * pts[p - 1].r + 0.5 * pts[p].r + 0.25 * pts[p + 1].r;
    }
    for (int64_t p = 1; p + 1 < n; p++) {
      pts[p] = tmp[p];
    }
  }
}

/* Radius of a node as an inflow: mean radius of the first points of its edge. */
static double inflow_radius(const tgraph *g, int64_t u) {
  for (int64_t e = 0; e < g->ne; e++) {
    const tedge *ed = &g->edges[e];
    if (!ed->alive || (ed->a != u && ed->b != u)) {
      continue;
    }
    double sum = 0.0;
    int64_t cnt = 0;
    for (int64_t p = 0; p < ed->n && p < 5; p++) {
      int64_t q = ed->a == u ? p : ed->n - 1 - p;
      sum += ed->pts[q].r;
      cnt++;
    }
    return cnt > 0 ? sum / (double)cnt : 0.0;
  }
  return 0.0;
}

/* Orient the forest from roots and fill the public tree. */
static carm_status emit_tree(carm_seg_tree *tree, tgraph *g, int64_t forced_root,
                             int smooth_iterations) {
  int64_t *comp = malloc((size_t)(g->nn > 0 ? g->nn : 1) * sizeof *comp);
  int64_t *queue = malloc((size_t)(g->nn > 0 ? g->nn : 1) * sizeof *queue);
  int64_t *in_seg = malloc((size_t)(g->nn > 0 ? g->nn : 1) * sizeof *in_seg);
  uint8_t *used = calloc((size_t)(g->ne > 0 ? g->ne : 1), 1);
  int64_t nalive = 0;
  for (int64_t e = 0; e < g->ne; e++) {
    nalive += g->edges[e].alive;
  }
  tree->segments = calloc((size_t)(nalive > 0 ? nalive : 1), sizeof *tree->segments);
  carm_status st = CARM_OK;
  int64_t nseg = 0;
  if (comp == NULL || queue == NULL || in_seg == NULL || used == NULL || tree->segments == NULL) {
    st = carm_error(CARM_ERR_NOMEM, "tree: cannot allocate the output");
    goto cleanup;
  }
  for (int64_t u = 0; u < g->nn; u++) {
    comp[u] = -1;
  }
  /* incidence lists would be faster; node degrees are small and the
   * graphs modest, so a scan per node keeps this simple */
  for (int pass = 0; pass < 2; pass++) {
    for (int64_t cand = 0; cand < g->nn; cand++) {
      int64_t root = -1;
      if (pass == 0) {
        if (cand > 0 || forced_root < 0) {
          break;
        }
        root = forced_root;
      } else {
        if (!g->nodes[cand].alive || g->nodes[cand].deg == 0 || comp[cand] >= 0) {
          continue;
        }
        /* widest end point of the component of cand (BFS over nodes) */
        int64_t qh = 0, qt = 0, best = -1;
        double best_r = -1.0;
        queue[qt++] = cand;
        comp[cand] = -2;
        while (qh < qt) {
          int64_t u = queue[qh++];
          double r = g->nodes[u].deg == 1 ? inflow_radius(g, u) : -1.0;
          if (r > best_r) {
            best_r = r;
            best = u;
          }
          for (int64_t e = 0; e < g->ne; e++) {
            const tedge *ed = &g->edges[e];
            if (ed->alive && (ed->a == u || ed->b == u)) {
              int64_t w = ed->a == u ? ed->b : ed->a;
              if (comp[w] == -1) {
                comp[w] = -2;
                queue[qt++] = w;
              }
            }
          }
        }
        for (int64_t q = 0; q < qt; q++) {
          comp[queue[q]] = -1;
        }
        root = best >= 0 ? best : cand;
      }
      if (!g->nodes[root].alive || g->nodes[root].deg == 0 || comp[root] >= 0) {
        continue;
      }
      tree->n_roots++;
      int64_t qh = 0, qt = 0;
      queue[qt++] = root;
      comp[root] = root;
      in_seg[root] = -1;
      while (qh < qt) {
        int64_t u = queue[qh++];
        for (int64_t e = 0; e < g->ne; e++) {
          tedge *ed = &g->edges[e];
          if (!ed->alive || used[e] || (ed->a != u && ed->b != u)) {
            continue;
          }
          used[e] = 1;
          if (ed->a != u) {
            edge_reverse(ed);
          }
          int64_t w = ed->b;
          carm_seg_segment *sg = &tree->segments[nseg];
          sg->id = nseg;
          sg->parent = in_seg[u] >= 0 ? in_seg[u] : -1;
          sg->kind = sg->parent < 0 ? CARM_SEG_SEGMENT_ROOT
                                    : (g->nodes[w].deg == 1 ? CARM_SEG_SEGMENT_TERMINAL
                                                            : CARM_SEG_SEGMENT_BRANCH);
          sg->n_points = ed->n;
          sg->points_mm = malloc((size_t)ed->n * sizeof *sg->points_mm);
          sg->radius_mm = malloc((size_t)ed->n * sizeof *sg->radius_mm);
          tpoint *tmp = malloc((size_t)ed->n * sizeof *tmp);
          if (sg->points_mm == NULL || sg->radius_mm == NULL || tmp == NULL) {
            free(tmp);
            nseg++;
            st = carm_error(CARM_ERR_NOMEM, "tree: cannot allocate a segment");
            goto cleanup;
          }
          smooth_points(ed->pts, ed->n, smooth_iterations, tmp);
          free(tmp);
          for (int64_t p = 0; p < ed->n; p++) {
            memcpy(sg->points_mm[p], ed->pts[p].x, sizeof sg->points_mm[p]);
            sg->radius_mm[p] = ed->pts[p].r;
          }
          nseg++;
          if (comp[w] < 0) {
            comp[w] = root;
            in_seg[w] = sg->id;
            queue[qt++] = w;
          }
        }
      }
    }
  }
  for (int64_t u = 0; u < g->nn; u++) {
    if (g->nodes[u].alive && comp[u] >= 0) {
      tree->n_bifurcations += g->nodes[u].deg >= 3;
      tree->n_endpoints += g->nodes[u].deg == 1;
    }
  }
cleanup:
  tree->n_segments = nseg;
  free(comp);
  free(queue);
  free(in_seg);
  free(used);
  return st;
}

carm_status carm_seg_tree_from_skeleton(carm_seg_tree **out, const carm_volume *skeleton,
                                        const carm_volume *distance_mm,
                                        const carm_seg_tree_opts *opts) {
  carm_seg_tree_opts def = CARM_SEG_TREE_OPTS_INIT;
  const carm_seg_tree_opts *o = opts != NULL ? opts : &def;
  if (out == NULL) {
    return carm_error(CARM_ERR_INVALID, "tree: out is NULL");
  }
  carm_status st = seg_check_pair(distance_mm, skeleton, "tree");
  if (st != CARM_OK) {
    return st;
  }
  if (o->version != 1 || !(o->min_spur_mm >= 0.0) || !(o->spur_radius_factor >= 0.0) ||
      o->smooth_iterations < 0 || o->smooth_iterations > 100) {
    return carm_error(CARM_ERR_INVALID,
                      "tree: bad options (version %d, spur %g mm, factor %g, "
                      "smoothing %d)",
                      o->version, o->min_spur_mm, o->spur_radius_factor, o->smooth_iterations);
  }
  int64_t n = carm_volume_count(skeleton);
  skel s = {0};
  tgraph g = {0};
  carm_seg_tree *tree = calloc(1, sizeof *tree);
  if (tree != NULL) {
    memcpy(tree->kind, "vessel", 7);
  }
  s.grid = skeleton;
  s.dist = distance_mm;
  double smin = skeleton->spacing[0];
  smin = skeleton->spacing[1] < smin ? skeleton->spacing[1] : smin;
  smin = skeleton->spacing[2] < smin ? skeleton->spacing[2] : smin;
  s.rcorr = 0.5 * smin;
  for (int64_t v = 0; v < n; v++) {
    s.n += seg_fg(skeleton->data[v]);
  }
  size_t m = (size_t)(s.n > 0 ? s.n : 1);
  s.vox = malloc(m * sizeof *s.vox);
  s.nbr = malloc(m * 26 * sizeof *s.nbr);
  s.deg = malloc(m * sizeof *s.deg);
  s.node = malloc(m * sizeof *s.node);
  s.seen = calloc(m, 1);
  if (tree == NULL || s.vox == NULL || s.nbr == NULL || s.deg == NULL || s.node == NULL ||
      s.seen == NULL) {
    st = carm_error(CARM_ERR_NOMEM, "tree: cannot allocate for %lld skeleton voxels",
                    (long long)s.n);
    goto cleanup;
  }
  s.n = 0;
  for (int64_t v = 0; v < n; v++) {
    if (seg_fg(skeleton->data[v])) {
      s.vox[s.n++] = v;
    }
  }
  st = build_graph(&g, &s);
  if (st == CARM_OK) {
    st = prune(&g, o);
  }
  int64_t root = -1;
  if (st == CARM_OK && o->has_root) {
    /* the nearest end point or bifurcation (degree-2 nodes are thinning
     * artefacts that merge away); any node when there is none */
    double best = INFINITY;
    int any_real = 0;
    for (int64_t u = 0; u < g.nn; u++) {
      any_real = any_real || (g.nodes[u].alive && g.nodes[u].deg > 0 && g.nodes[u].deg != 2);
    }
    for (int64_t u = 0; u < g.nn; u++) {
      if (!g.nodes[u].alive || g.nodes[u].deg == 0 || (any_real && g.nodes[u].deg == 2)) {
        continue;
      }
      double d2 = 0.0;
      for (int c = 0; c < 3; c++) {
        double d = g.nodes[u].x[c] - o->root_mm[c];
        d2 += d * d;
      }
      if (d2 < best) {
        best = d2;
        root = u;
      }
    }
  }
  if (st == CARM_OK) {
    st = merge_degree2(&g, root);
  }
  if (st == CARM_OK) {
    for (int64_t e = 0; e < g.ne; e++) {
      if (g.edges[e].alive) {
        refine_edge(&g.edges[e], &s);
      }
    }
    st = emit_tree(tree, &g, root, o->smooth_iterations);
  }
cleanup:
  free(s.vox);
  free(s.nbr);
  free(s.deg);
  free(s.node);
  free(s.seen);
  graph_free(&g);
  if (st != CARM_OK) {
    carm_seg_tree_destroy(tree);
    return st;
  }
  *out = tree;
  return CARM_OK;
}

carm_status carm_seg_tree_build(carm_seg_tree **out, const carm_volume *mask,
                                const carm_seg_tree_opts *opts, const carm_progress *progress) {
  if (out == NULL) {
    return carm_error(CARM_ERR_INVALID, "tree: out is NULL");
  }
  carm_status st = seg_check_volume(mask, "tree");
  if (st != CARM_OK) {
    return st;
  }
  carm_volume *skel_v = NULL, *dist = NULL;
  st = carm_volume_create_like(&skel_v, mask);
  if (st == CARM_OK) {
    st = carm_volume_create_like(&dist, mask);
  }
  if (st == CARM_OK) {
    st = carm_seg_distance(dist, mask, CARM_SEG_TO_BACKGROUND);
  }
  if (st == CARM_OK) {
    st = carm_seg_thin(skel_v, mask, progress);
  }
  if (st == CARM_OK) {
    st = carm_seg_tree_from_skeleton(out, skel_v, dist, opts);
  }
  carm_volume_destroy(skel_v);
  carm_volume_destroy(dist);
  return st;
}

void carm_seg_tree_destroy(carm_seg_tree *tree) {
  if (tree == NULL) {
    return;
  }
  for (int64_t s = 0; s < tree->n_segments; s++) {
    free(tree->segments[s].points_mm);
    free(tree->segments[s].radius_mm);
  }
  free(tree->segments);
  free(tree);
}

double carm_seg_tree_length_mm(const carm_seg_tree *tree) {
  double len = 0.0;
  if (tree == NULL) {
    return 0.0;
  }
  for (int64_t s = 0; s < tree->n_segments; s++) {
    const carm_seg_segment *sg = &tree->segments[s];
    for (int64_t p = 1; p < sg->n_points; p++) {
      double d2 = 0.0;
      for (int c = 0; c < 3; c++) {
        double d = sg->points_mm[p][c] - sg->points_mm[p - 1][c];
        d2 += d * d;
      }
      len += sqrt(d2);
    }
  }
  return len;
}
