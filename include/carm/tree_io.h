/**
 * @file tree_io.h
 * @brief Reading vessel-tree JSON files into a carm_seg_tree: the tree
 * written by carm_seg_tree_write_json ("points", "radius") and the digital
 * twin's truth tree written by carm_twin_write_tree ("points_mm",
 * "radius_mm", one "kind" per segment). Format: docs/formats.md.
 */
#ifndef CARM_TREE_IO_H
#define CARM_TREE_IO_H

#include "carm/seg.h"

#ifdef __cplusplus
extern "C" {
#endif

/**
 * Read a vessel tree from JSON. When `kind` is not NULL only the segments
 * whose "kind" equals it are kept (e.g. "artery" from a twin tree holding
 * every vessel); a kept segment whose parent is dropped becomes a root.
 * Segments are renumbered 0..n-1 with parents before children; when
 * `source_ids` is not NULL it receives a malloc'ed array (free()) of each
 * segment's "id" in the file. Segment kinds (root / branch / terminal) and
 * the node counts are recomputed from the parent links. Errors:
 * CARM_ERR_IO (unreadable, not JSON), CARM_ERR_FORMAT (missing or wrong
 * fields, unknown or duplicate ids, parent cycles, fewer than 2 points,
 * non-finite or negative values), CARM_ERR_INVALID (no segment of `kind`),
 * CARM_ERR_NOMEM. `*out` is written only on success.
 */
carm_status carm_seg_tree_read_json(carm_seg_tree **out, int64_t **source_ids, const char *path,
                                    const char *kind);

#ifdef __cplusplus
}
#endif
#endif
