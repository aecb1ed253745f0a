/* Internal C interface over GDCM (src/io/dicom_gdcm.cc, the only C++ file
 * of carm). Everything DICOM-specific that needs a parser or a codec goes
 * through here; the rest of src/io/dicom*.c is plain C.
 *
 * Tag paths name an element, possibly inside sequences:
 *   "0020,0032"                              top level
 *   "5200,9230[3]/0020,9113[0]/0020,0032"    item 3 (0-based) of (5200,9230),
 *                                             then item 0 of (0020,9113)
 * Every function catches every C++ exception and turns it into an error
 * return with a one-line message; nothing here prints, throws or aborts.
 * Thread safety: distinct handles may be used from distinct threads. */
#ifndef CARM_IO_DICOM_GDCM_H
#define CARM_IO_DICOM_GDCM_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct cdg_file cdg_file;

/** Parse a DICOM file (Part 10, or a raw data set GDCM recognises). On
 * failure returns NULL and writes a message into err. */
cdg_file *cdg_open(const char *path, char *err, size_t errlen);

/** cdg_open without the isolated trial parse, for a file that cdg_open has
 * just accepted. */
cdg_file *cdg_open_trusted(const char *path, char *err, size_t errlen);
void cdg_close(cdg_file *f);

/** The value at `path` as text (several values joined by '\\', binary
 * numbers printed in decimal, trailing padding removed). Returns the text
 * length (0 = present but empty), -1 when absent, -2 when the path is
 * malformed or the value cannot be rendered (e.g. a sequence). Truncates to
 * cap - 1 bytes. */
int64_t cdg_get(const cdg_file *f, const char *path, char *buf, size_t cap);

/** Whether an element exists at `path` (any VR, sequences included). */
int cdg_has(const cdg_file *f, const char *path);

/** Items in the sequence at `path`; -1 when absent or not a sequence. */
int64_t cdg_count(const cdg_file *f, const char *path);

/** Transfer syntax UID of the data set ("" when unknown). */
void cdg_transfer_syntax(const cdg_file *f, char *buf, size_t cap);

/** Decoded pixel layout. */
typedef struct cdg_pixels {
  uint32_t cols, rows, frames;
  int samples;        /**< samples per pixel (1 or 3) */
  int bits_allocated; /**< 1, 8, 16, 32 */
  int bits_stored;
  int high_bit;
  int pixel_rep;        /**< 1 = signed */
  int planar;           /**< planar configuration (for samples 3) */
  char photometric[24]; /**< after decoding (e.g. "RGB" for JPEG YBR) */
  void *data;           /**< malloc'ed, little-endian native layout */
  size_t bytes;         /**< size of data */
} cdg_pixels;

/** Decode the pixel data of `f` with GDCM's codecs (every transfer syntax
 * GDCM knows). The caller fills the layout (cols .. photometric; validated
 * beforehand: GDCM asserts on impossible pixel formats); this fills data
 * and bytes, and may change photometric (colour JPEG decodes to RGB).
 * `max_bytes` caps the decoded size. 0 on success; -1 with a message
 * otherwise (px->data untouched). GDCM's image helpers (which compute
 * spacing and origin, and assert on odd values) are not used. */
int cdg_decode(const cdg_file *f, uint64_t max_bytes, cdg_pixels *px, char *err, size_t errlen);

/* ---- writing ------------------------------------------------------------ */

typedef struct cdg_builder cdg_builder;

cdg_builder *cdg_builder_create(void);
void cdg_builder_destroy(cdg_builder *b);

/** Set the element at `path` from text; the VR comes from the DICOM
 * dictionary, binary VRs (US, SS, UL, SL, FL, FD, AT) are parsed from
 * '\\'-separated decimal (AT: "gggg,eeee"). Sequence items named in the
 * path are created as needed (an item index may exceed the current count
 * by at most one). 0 on success, -1 on a bad path, tag or number. */
int cdg_set(cdg_builder *b, const char *path, const char *value);

/** Set an element with an explicit VR ("OB", "OW", ...) from raw bytes. */
int cdg_set_bytes(cdg_builder *b, const char *path, const char *vr, const void *data, size_t len);

/** Create (or keep) an empty sequence at `path` (type 2 sequences). */
int cdg_set_empty_sequence(cdg_builder *b, const char *path);

/** Write the data set as a Part 10 file, Explicit VR Little Endian, with a
 * file meta header filled from (0008,0016)/(0008,0018). 0 or -1 + err. */
int cdg_save(const cdg_builder *b, const char *filename, char *err, size_t errlen);

/** Silence GDCM's own warning/error printing (idempotent). */
void cdg_quiet(void);

#ifdef __cplusplus
}
#endif
#endif
