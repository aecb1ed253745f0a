// The GDCM adapter: carm's only C++ file. See dicom_gdcm.h for the contract.
// Every entry point catches every exception (GDCM throws on some malformed
// input, the STL on allocation failure) and reports it as an error return.
#include "io/dicom_gdcm.h"

#include <gdcmAttribute.h>
#include <gdcmDataSet.h>
#include <gdcmDict.h>
#include <gdcmDicts.h>
#include <gdcmFileMetaInformation.h>
#include <gdcmGlobal.h>
#include <gdcmImage.h>
#include <gdcmImageReader.h>
#include <gdcmItem.h>
#include <gdcmReader.h>
#include <gdcmSequenceOfItems.h>
#include <gdcmTrace.h>
#include <gdcmWriter.h>

#include <cerrno>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <new>
#include <string>
#include <vector>

struct cdg_file {
  gdcm::Reader reader;
};

namespace {

void set_err(char *err, size_t errlen, const std::string &msg) {
  if (err != nullptr && errlen > 0) {
    std::snprintf(err, errlen, "%s", msg.c_str());
  }
}

struct Segment {
  uint16_t group = 0;
  uint16_t element = 0;
  long item = -1; // -1: leaf (no [n])
};

bool parse_path(const char *path, std::vector<Segment> &out) {
  if (path == nullptr || *path == '\0') {
    return false;
  }
  const char *p = path;
  while (*p != '\0') {
    Segment s;
    char *end = nullptr;
    unsigned long g = std::strtoul(p, &end, 16);
    if (end != p + 4 || *end != ',') {
      return false;
    }
    p = end + 1;
    unsigned long e = std::strtoul(p, &end, 16);
    if (end != p + 4) {
      return false;
    }
    p = end;
    s.group = static_cast<uint16_t>(g);
    s.element = static_cast<uint16_t>(e);
    if (*p == '[') {
      long idx = std::strtol(p + 1, &end, 10);
      if (end == p + 1 || *end != ']' || idx < 0 || idx > 10000000) {
        return false;
      }
      s.item = idx;
      p = end + 1;
    }
    out.push_back(s);
    if (*p == '/') {
      p++;
      if (*p == '\0') {
        return false;
      }
    } else if (*p != '\0') {
      return false;
    }
  }
  // every segment but the last must name an item
  for (size_t i = 0; i + 1 < out.size(); i++) {
    if (out[i].item < 0) {
      return false;
    }
  }
  return true;
}

// Navigate to the data set that holds the last segment. `keep` holds
// sequences GDCM had to parse on the fly so that references stay valid.
const gdcm::DataSet *walk(const gdcm::DataSet &root, const std::vector<Segment> &segs, size_t upto,
                          std::vector<gdcm::SmartPointer<gdcm::SequenceOfItems>> &keep) {
  const gdcm::DataSet *ds = &root;
  for (size_t i = 0; i < upto; i++) {
    gdcm::Tag tag(segs[i].group, segs[i].element);
    if (!ds->FindDataElement(tag)) {
      return nullptr;
    }
    const gdcm::DataElement &de = ds->GetDataElement(tag);
    gdcm::SmartPointer<gdcm::SequenceOfItems> sq = de.GetValueAsSQ();
    if (!sq) {
      return nullptr;
    }
    keep.push_back(sq);
    size_t n = sq->GetNumberOfItems();
    size_t idx = static_cast<size_t>(segs[i].item);
    if (idx >= n) {
      return nullptr;
    }
    ds = &sq->GetItem(idx + 1).GetNestedDataSet();
  }
  return ds;
}

std::string trim(const std::string &s) {
  size_t end = s.size();
  while (end > 0 && (s[end - 1] == ' ' || s[end - 1] == '\0')) {
    end--;
  }
  size_t begin = 0;
  while (begin < end && s[begin] == ' ') {
    begin++;
  }
  return s.substr(begin, end - begin);
}

// The text of a value, without GDCM's StringFilter (which asserts on odd
// lengths): ASCII VRs as they are, binary numbers converted here.
template <typename T> T load(const unsigned char *p, bool swap) {
  unsigned char b[sizeof(T)];
  for (size_t i = 0; i < sizeof(T); i++) {
    b[i] = swap ? p[sizeof(T) - 1 - i] : p[i];
  }
  T v;
  std::memcpy(&v, b, sizeof(T));
  return v;
}

bool value_text(const cdg_file *f, const gdcm::DataElement &de, std::string &out) {
  const gdcm::ByteValue *bv = de.GetByteValue();
  if (bv == nullptr) {
    return false;
  }
  gdcm::VR vr = de.GetVR();
  if (vr == gdcm::VR::INVALID || vr == gdcm::VR::UN) {
    const gdcm::Dicts &dicts = gdcm::Global::GetInstance().GetDicts();
    vr = dicts.GetDictEntry(de.GetTag()).GetVR();
  }
  const char *vs = gdcm::VR::GetVRString(vr);
  std::string name = vs != nullptr ? vs : "";
  const unsigned char *p = reinterpret_cast<const unsigned char *>(bv->GetPointer());
  size_t n = bv->GetLength();
  if (p == nullptr) {
    return false;
  }
  (void)f;
  const bool swap = false; /* GDCM's reader already swapped big-endian values */
  size_t size = name == "US" || name == "SS" || name == "US_SS"                ? 2
                : name == "UL" || name == "SL" || name == "FL" || name == "AT" ? 4
                : name == "FD"                                                 ? 8
                                                                               : 0;
  if (size == 0) {
    if (name == "SQ" || name.empty() || name[0] == 'O' || name == "UN" || name == "OB_OW") {
      return false;
    }
    out.assign(reinterpret_cast<const char *>(p), n);
    return true;
  }
  if (n % size != 0 || n / size > 100000) {
    return false;
  }
  char one[64];
  for (size_t i = 0; i < n / size; i++) {
    const unsigned char *q = p + i * size;
    if (name == "US" || name == "US_SS") {
      std::snprintf(one, sizeof one, "%u", static_cast<unsigned>(load<uint16_t>(q, swap)));
    } else if (name == "SS") {
      std::snprintf(one, sizeof one, "%d", static_cast<int>(load<int16_t>(q, swap)));
    } else if (name == "UL") {
      std::snprintf(one, sizeof one, "%lu", static_cast<unsigned long>(load<uint32_t>(q, swap)));
    } else if (name == "SL") {
      std::snprintf(one, sizeof one, "%ld", static_cast<long>(load<int32_t>(q, swap)));
    } else if (name == "FL") {
      std::snprintf(one, sizeof one, "%.9g", static_cast<double>(load<float>(q, swap)));
    } else if (name == "FD") {
      std::snprintf(one, sizeof one, "%.17g", load<double>(q, swap));
    } else { // AT
      std::snprintf(one, sizeof one, "%04x,%04x", static_cast<unsigned>(load<uint16_t>(q, swap)),
                    static_cast<unsigned>(load<uint16_t>(q + 2, swap)));
    }
    if (i > 0) {
      out.push_back('\\');
    }
    out += one;
  }
  return true;
}

// The forked children below send their stderr into a pipe: the codecs
// (OpenJPEG through GDCM above all) print their complaints there, and a
// library must not print. The parent keeps the first line for the error
// detail. O_CLOEXEC: a job started by `carm serve` must not hold the write
// end open (the parent reads to end of file).
struct ChildErr {
  int fd[2] = {-1, -1};
  bool open() { return pipe2(fd, O_CLOEXEC) == 0; }
  // in the child: stderr into the pipe
  void in_child() {
    if (fd[1] >= 0) {
      dup2(fd[1], 2);
    }
  }
  // in the parent: read to end of file; the first non-empty line, trimmed
  std::string drain() {
    std::string all;
    if (fd[1] >= 0) {
      close(fd[1]);
      fd[1] = -1;
    }
    char buf[1024];
    while (fd[0] >= 0) {
      ssize_t n = read(fd[0], buf, sizeof buf);
      if (n < 0 && errno == EINTR) {
        continue;
      }
      if (n <= 0) {
        break;
      }
      if (all.size() < 4096) {
        all.append(buf, static_cast<size_t>(n));
      }
    }
    close_all();
    size_t b = all.find_first_not_of(" \t\r\n");
    if (b == std::string::npos) {
      return "";
    }
    size_t e = all.find_first_of("\r\n", b);
    std::string line = all.substr(b, e == std::string::npos ? std::string::npos : e - b);
    if (line.size() > 200) {
      line.resize(200);
    }
    for (char &c : line) {
      if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) == 0x7f) {
        c = ' ';
      }
    }
    return line;
  }
  void close_all() {
    for (int &f : fd) {
      if (f >= 0) {
        close(f);
        f = -1;
      }
    }
  }
};

// GDCM's codecs (RLE, JPEG, JPEG-LS, JPEG 2000) assert() on some corrupt
// streams, and Debian builds GDCM with assertions on: an abort no exception
// handler can catch. So compressed pixel data is decoded in a forked child
// that writes into shared memory; if the child dies, the decode failed.
// Uncompressed data (the common case for big volumes) is decoded in place.
// On failure `why` gets the decoder's first complaint ("" when none).
bool decode_isolated(const gdcm::Image &img, void *out, size_t len, std::string &why) {
  void *shm = mmap(nullptr, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (shm == MAP_FAILED) {
    return false;
  }
  ChildErr ce;
  if (!ce.open()) {
    munmap(shm, len);
    return false;
  }
  pid_t pid = fork();
  if (pid < 0) {
    ce.close_all();
    munmap(shm, len);
    return false;
  }
  if (pid == 0) {
    ce.in_child();
    bool ok = false;
    try {
      ok = img.GetBuffer(static_cast<char *>(shm));
    } catch (...) {
      ok = false;
    }
    _exit(ok ? 0 : 3);
  }
  std::string said = ce.drain();
  int status = 0;
  pid_t got;
  do {
    got = waitpid(pid, &status, 0);
  } while (got < 0 && errno == EINTR);
  bool ok = got == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0;
  if (ok) {
    std::memcpy(out, shm, len);
  } else {
    why = said;
  }
  munmap(shm, len);
  return ok;
}

// Walk every sequence (GDCM parses implicit-VR and UN sequences lazily).
void touch_sequences(const gdcm::DataSet &ds, int depth) {
  if (depth > 40) {
    return;
  }
  for (gdcm::DataSet::ConstIterator it = ds.Begin(); it != ds.End(); ++it) {
    const gdcm::DataElement &de = *it;
    if (de.GetTag() == gdcm::Tag(0x7fe0, 0x0010)) {
      continue;
    }
    if (de.GetVR() != gdcm::VR::SQ && de.GetVR() != gdcm::VR::UN &&
        de.GetVR() != gdcm::VR::INVALID) {
      continue;
    }
    gdcm::SmartPointer<gdcm::SequenceOfItems> sq = de.GetValueAsSQ();
    if (!sq) {
      continue;
    }
    for (size_t i = 1; i <= sq->GetNumberOfItems(); i++) {
      touch_sequences(sq->GetItem(i).GetNestedDataSet(), depth + 1);
    }
  }
}

// Parse the file once in a forked child first: GDCM's parser asserts on
// some malformed input that the structural pre-check (dicom_check.c) does
// not foresee. 0: parses, 1: GDCM refuses it, 2: the parser crashed.
int parse_isolated(const char *path) {
  ChildErr ce;
  if (!ce.open()) {
    return 0; /* no isolation possible: rely on the pre-check */
  }
  pid_t pid = fork();
  if (pid < 0) {
    ce.close_all();
    return 0;
  }
  if (pid == 0) {
    ce.in_child();
    int code = 1;
    try {
      gdcm::Reader r;
      r.SetFileName(path);
      if (r.Read()) {
        touch_sequences(r.GetFile().GetDataSet(), 0);
        code = 0;
      }
    } catch (...) {
      code = 1;
    }
    _exit(code);
  }
  (void)ce.drain(); /* an assertion message: the caller says the parser failed */
  int status = 0;
  pid_t got;
  do {
    got = waitpid(pid, &status, 0);
  } while (got < 0 && errno == EINTR);
  if (got != pid) {
    return 0;
  }
  if (WIFEXITED(status)) {
    return WEXITSTATUS(status) == 0 ? 0 : 1;
  }
  return 2;
}

// ---- builder tree ----------------------------------------------------------
struct Tree;
struct Node {
  bool is_seq = false;
  std::string vr;
  std::string bytes;
  std::vector<Tree> items;
};
struct Tree {
  std::map<uint32_t, Node> elems;
};

uint32_t key(const Segment &s) { return (static_cast<uint32_t>(s.group) << 16) | s.element; }

Node *node_at(Tree &root, const std::vector<Segment> &segs) {
  Tree *t = &root;
  for (size_t i = 0; i + 1 < segs.size(); i++) {
    Node &n = t->elems[key(segs[i])];
    if (!n.is_seq) {
      if (!n.bytes.empty()) {
        return nullptr;
      }
      n.is_seq = true;
      n.vr = "SQ";
    }
    size_t idx = static_cast<size_t>(segs[i].item);
    if (idx > n.items.size()) {
      return nullptr;
    }
    if (idx == n.items.size()) {
      n.items.emplace_back();
    }
    t = &n.items[idx];
  }
  return &t->elems[key(segs.back())];
}

bool dict_vr(const Segment &s, std::string &vr) {
  const gdcm::Dicts &dicts = gdcm::Global::GetInstance().GetDicts();
  const gdcm::DictEntry &e = dicts.GetDictEntry(gdcm::Tag(s.group, s.element));
  gdcm::VR v = e.GetVR();
  if (v == gdcm::VR::US_SS) {
    v = gdcm::VR::US;
  } else if (v == gdcm::VR::OB_OW) {
    v = gdcm::VR::OW;
  }
  const char *name = gdcm::VR::GetVRString(v);
  if (v == gdcm::VR::INVALID || name == nullptr || std::strlen(name) != 2) {
    return false;
  }
  vr = name;
  return true;
}

template <typename T> void append_le(std::string &out, T v) {
  unsigned char b[sizeof(T)];
  std::memcpy(b, &v, sizeof(T)); // x86-64 and every target we build on: little-endian
  out.append(reinterpret_cast<const char *>(b), sizeof(T));
}

bool encode_binary(const std::string &vr, const char *value, std::string &out) {
  if (*value == '\0') {
    return true; // empty value
  }
  std::string v(value);
  size_t pos = 0;
  while (pos <= v.size()) {
    size_t next = v.find('\\', pos);
    if (next == std::string::npos) {
      next = v.size();
    }
    std::string tok = v.substr(pos, next - pos);
    const char *s = tok.c_str();
    char *end = nullptr;
    errno = 0;
    if (vr == "AT") {
      unsigned long g = std::strtoul(s, &end, 16);
      if (end != s + 4 || *end != ',') {
        return false;
      }
      unsigned long e = std::strtoul(end + 1, &end, 16);
      if (*end != '\0') {
        return false;
      }
      append_le(out, static_cast<uint16_t>(g));
      append_le(out, static_cast<uint16_t>(e));
    } else if (vr == "FL" || vr == "FD") {
      double d = std::strtod(s, &end);
      if (end == s || *end != '\0') {
        return false;
      }
      if (vr == "FL") {
        append_le(out, static_cast<float>(d));
      } else {
        append_le(out, d);
      }
    } else {
      long long n = std::strtoll(s, &end, 10);
      if (end == s || *end != '\0' || errno != 0) {
        return false;
      }
      if (vr == "US" && n >= 0 && n <= 65535) {
        append_le(out, static_cast<uint16_t>(n));
      } else if (vr == "SS" && n >= -32768 && n <= 32767) {
        append_le(out, static_cast<int16_t>(n));
      } else if (vr == "UL" && n >= 0 && n <= 4294967295LL) {
        append_le(out, static_cast<uint32_t>(n));
      } else if (vr == "SL" && n >= -2147483648LL && n <= 2147483647LL) {
        append_le(out, static_cast<int32_t>(n));
      } else {
        return false;
      }
    }
    pos = next + 1;
  }
  return true;
}

bool is_binary_vr(const std::string &vr) {
  return vr == "US" || vr == "SS" || vr == "UL" || vr == "SL" || vr == "FL" || vr == "FD" ||
         vr == "AT";
}

void build(const Tree &t, gdcm::DataSet &ds) {
  for (const auto &kv : t.elems) {
    gdcm::Tag tag(static_cast<uint16_t>(kv.first >> 16), static_cast<uint16_t>(kv.first & 0xffff));
    gdcm::DataElement de(tag);
    const Node &n = kv.second;
    if (n.is_seq) {
      gdcm::SmartPointer<gdcm::SequenceOfItems> sq = new gdcm::SequenceOfItems;
      sq->SetLengthToUndefined();
      for (const Tree &it : n.items) {
        gdcm::Item item;
        item.SetVLToUndefined();
        build(it, item.GetNestedDataSet());
        sq->AddItem(item);
      }
      de.SetVR(gdcm::VR::SQ);
      de.SetValue(*sq);
      de.SetVLToUndefined();
    } else {
      de.SetVR(gdcm::VR::GetVRType(n.vr.c_str()));
      de.SetByteValue(n.bytes.data(), static_cast<uint32_t>(n.bytes.size()));
    }
    ds.Replace(de);
  }
}

} // namespace

extern "C" {

void cdg_quiet(void) {
  gdcm::Trace::SetDebug(false);
  gdcm::Trace::SetWarning(false);
  gdcm::Trace::SetError(false);
}

static cdg_file *open_impl(const char *path, int isolate, char *err, size_t errlen) {
  try {
    cdg_quiet();
    int probe = isolate ? parse_isolated(path) : 0;
    if (probe == 2) {
      set_err(err, errlen, "the DICOM parser fails on this malformed file");
      return nullptr;
    }
    if (probe == 1) {
      set_err(err, errlen, "not a DICOM file, or its data set is corrupt or truncated");
      return nullptr;
    }
    cdg_file *f = new cdg_file;
    f->reader.SetFileName(path);
    if (!f->reader.Read()) {
      delete f;
      set_err(err, errlen, "not a DICOM file, or its data set is corrupt or truncated");
      return nullptr;
    }
    return f;
  } catch (const std::bad_alloc &) {
    set_err(err, errlen, "out of memory while parsing");
  } catch (const std::exception &e) {
    set_err(err, errlen, std::string("DICOM parser: ") + e.what());
  } catch (...) {
    set_err(err, errlen, "DICOM parser failed on malformed data");
  }
  return nullptr;
}

cdg_file *cdg_open(const char *path, char *err, size_t errlen) {
  return open_impl(path, 1, err, errlen);
}

cdg_file *cdg_open_trusted(const char *path, char *err, size_t errlen) {
  return open_impl(path, 0, err, errlen);
}

void cdg_close(cdg_file *f) { delete f; }

int64_t cdg_get(const cdg_file *f, const char *path, char *buf, size_t cap) {
  if (buf != nullptr && cap > 0) {
    buf[0] = '\0';
  }
  try {
    std::vector<Segment> segs;
    if (f == nullptr || !parse_path(path, segs) || segs.back().item >= 0) {
      return -2;
    }
    std::vector<gdcm::SmartPointer<gdcm::SequenceOfItems>> keep;
    const gdcm::DataSet *ds = walk(f->reader.GetFile().GetDataSet(), segs, segs.size() - 1, keep);
    if (ds == nullptr) {
      return -1;
    }
    gdcm::Tag tag(segs.back().group, segs.back().element);
    if (!ds->FindDataElement(tag)) {
      return -1;
    }
    const gdcm::DataElement &de = ds->GetDataElement(tag);
    if (de.GetVR() == gdcm::VR::SQ) {
      return -2;
    }
    if (de.IsEmpty()) {
      return 0;
    }
    std::string s;
    if (!value_text(f, de, s)) {
      return -2;
    }
    s = trim(s);
    if (s.size() > 1000000) {
      return -2;
    }
    if (buf != nullptr && cap > 0) {
      std::snprintf(buf, cap, "%s", s.c_str());
    }
    return static_cast<int64_t>(s.size());
  } catch (...) {
    return -2;
  }
}

int cdg_has(const cdg_file *f, const char *path) {
  try {
    std::vector<Segment> segs;
    if (f == nullptr || !parse_path(path, segs) || segs.back().item >= 0) {
      return 0;
    }
    std::vector<gdcm::SmartPointer<gdcm::SequenceOfItems>> keep;
    const gdcm::DataSet *ds = walk(f->reader.GetFile().GetDataSet(), segs, segs.size() - 1, keep);
    return ds != nullptr && ds->FindDataElement(gdcm::Tag(segs.back().group, segs.back().element));
  } catch (...) {
    return 0;
  }
}

int64_t cdg_count(const cdg_file *f, const char *path) {
  try {
    std::vector<Segment> segs;
    if (f == nullptr || !parse_path(path, segs) || segs.back().item >= 0) {
      return -1;
    }
    std::vector<gdcm::SmartPointer<gdcm::SequenceOfItems>> keep;
    const gdcm::DataSet *ds = walk(f->reader.GetFile().GetDataSet(), segs, segs.size() - 1, keep);
    if (ds == nullptr) {
      return -1;
    }
    gdcm::Tag tag(segs.back().group, segs.back().element);
    if (!ds->FindDataElement(tag)) {
      return -1;
    }
    gdcm::SmartPointer<gdcm::SequenceOfItems> sq = ds->GetDataElement(tag).GetValueAsSQ();
    if (!sq) {
      return -1;
    }
    return static_cast<int64_t>(sq->GetNumberOfItems());
  } catch (...) {
    return -1;
  }
}

void cdg_transfer_syntax(const cdg_file *f, char *buf, size_t cap) {
  if (buf == nullptr || cap == 0) {
    return;
  }
  buf[0] = '\0';
  try {
    const gdcm::TransferSyntax &ts = f->reader.GetFile().GetHeader().GetDataSetTransferSyntax();
    const char *s = gdcm::TransferSyntax::GetTSString(ts);
    if (s != nullptr) {
      std::snprintf(buf, cap, "%s", s);
    }
  } catch (...) {
  }
}

int cdg_decode(const cdg_file *f, uint64_t max_bytes, cdg_pixels *px, char *err, size_t errlen) {
  void *data = nullptr;
  try {
    cdg_quiet();
    const gdcm::File &file = f->reader.GetFile();
    const gdcm::DataSet &ds = file.GetDataSet();
    const gdcm::Tag pixel_tag(0x7fe0, 0x0010);
    if (!ds.FindDataElement(pixel_tag)) {
      set_err(err, errlen, "no pixel data");
      return -1;
    }
    const gdcm::DataElement &pde = ds.GetDataElement(pixel_tag);
    if (pde.IsEmpty()) {
      set_err(err, errlen, "empty pixel data");
      return -1;
    }
    uint64_t bits = static_cast<uint64_t>(px->cols) * px->rows * px->frames *
                    static_cast<uint64_t>(px->samples) * static_cast<uint64_t>(px->bits_allocated);
    uint64_t len = (bits + 7) / 8;
    if (len == 0 || len > max_bytes) {
      set_err(err, errlen, "image size is out of range or inconsistent with its header");
      return -1;
    }
    const gdcm::TransferSyntax &ts = file.GetHeader().GetDataSetTransferSyntax();
    const gdcm::ByteValue *bv = pde.GetByteValue();
    if (bv != nullptr && !ts.IsEncapsulated() && bv->GetLength() < len) {
      set_err(err, errlen, "pixel data shorter than the image its header describes");
      return -1;
    }
    if (bv == nullptr && pde.GetSequenceOfFragments() == nullptr) {
      set_err(err, errlen, "pixel data is neither native nor encapsulated");
      return -1;
    }
    gdcm::Image img;
    img.SetNumberOfDimensions(px->frames > 1 ? 3 : 2);
    img.SetDimension(0, px->cols);
    img.SetDimension(1, px->rows);
    if (px->frames > 1) {
      img.SetDimension(2, px->frames);
    }
    gdcm::PixelFormat pf(
        static_cast<unsigned short>(px->samples), static_cast<unsigned short>(px->bits_allocated),
        static_cast<unsigned short>(px->bits_stored), static_cast<unsigned short>(px->high_bit),
        static_cast<unsigned short>(px->pixel_rep));
    img.SetPixelFormat(pf);
    gdcm::PhotometricInterpretation pi(gdcm::PhotometricInterpretation::GetPIType(px->photometric));
    if (pi == gdcm::PhotometricInterpretation::UNKNOWN ||
        pi == gdcm::PhotometricInterpretation::PI_END) {
      pi = px->samples == 3 ? gdcm::PhotometricInterpretation::RGB
                            : gdcm::PhotometricInterpretation::MONOCHROME2;
    }
    img.SetPhotometricInterpretation(pi);
    if (px->samples == 3) {
      img.SetPlanarConfiguration(static_cast<unsigned int>(px->planar));
    }
    img.SetTransferSyntax(ts);
    img.SetDataElement(pde);
    uint64_t glen = img.GetBufferLength();
    if (px->bits_allocated == 1 && glen >= (len > 8 ? len - 8 : 0) &&
        glen <= len + 8 * px->frames) {
      len = glen > len ? glen : len; /* 1-bit frames: GDCM rounds per frame */
    } else if (glen != len) {
      set_err(err, errlen, "image size is inconsistent with its header");
      return -1;
    }
    data = std::calloc(1, static_cast<size_t>(len));
    if (data == nullptr) {
      set_err(err, errlen, "out of memory for the pixel data");
      return -1;
    }
    std::string why;
    bool decoded = ts.IsEncapsulated() ? decode_isolated(img, data, static_cast<size_t>(len), why)
                                       : img.GetBuffer(static_cast<char *>(data));
    if (!decoded) {
      std::free(data);
      std::string msg = "pixel data cannot be decoded (corrupt, truncated or unsupported)";
      if (!why.empty()) {
        msg += "; decoder: " + why;
      }
      set_err(err, errlen, msg.c_str());
      return -1;
    }
    /* (retired) big endian: GDCM hands the words back in file order */
    if (ts == gdcm::TransferSyntax::ExplicitVRBigEndian && px->bits_allocated > 8) {
      unsigned char *b = static_cast<unsigned char *>(data);
      size_t w = static_cast<size_t>(px->bits_allocated / 8);
      for (size_t i = 0; i + w <= static_cast<size_t>(len); i += w) {
        for (size_t j = 0; j < w / 2; j++) {
          unsigned char t = b[i + j];
          b[i + j] = b[i + w - 1 - j];
          b[i + w - 1 - j] = t;
        }
      }
    }
    /* libjpeg turns colour JPEG (YBR) into RGB */
    if (px->samples == 3 && (ts == gdcm::TransferSyntax::JPEGBaselineProcess1 ||
                             ts == gdcm::TransferSyntax::JPEGExtendedProcess2_4)) {
      std::snprintf(px->photometric, sizeof px->photometric, "RGB");
    }
    /* codecs hand back interleaved samples */
    if (px->samples == 3 && ts.IsEncapsulated()) {
      px->planar = 0;
    }
    px->data = data;
    px->bytes = static_cast<size_t>(len);
    return 0;
  } catch (const std::bad_alloc &) {
    set_err(err, errlen, "out of memory while decoding");
  } catch (const std::exception &e) {
    set_err(err, errlen, std::string("decoder: ") + e.what());
  } catch (...) {
    set_err(err, errlen, "decoder failed on malformed data");
  }
  std::free(data);
  return -1;
}

struct cdg_builder {
  Tree root;
};

cdg_builder *cdg_builder_create(void) {
  try {
    return new cdg_builder;
  } catch (...) {
    return nullptr;
  }
}

void cdg_builder_destroy(cdg_builder *b) { delete b; }

int cdg_set(cdg_builder *b, const char *path, const char *value) {
  try {
    std::vector<Segment> segs;
    if (b == nullptr || value == nullptr || !parse_path(path, segs) || segs.back().item >= 0) {
      return -1;
    }
    std::string vr;
    if (!dict_vr(segs.back(), vr) || vr == "SQ") {
      return -1;
    }
    std::string bytes;
    if (is_binary_vr(vr)) {
      if (!encode_binary(vr, value, bytes)) {
        return -1;
      }
    } else {
      bytes = value;
      if (bytes.size() % 2 != 0) {
        bytes.push_back(vr == "UI" ? '\0' : ' ');
      }
    }
    Node *n = node_at(b->root, segs);
    if (n == nullptr || n->is_seq) {
      return -1;
    }
    n->vr = vr;
    n->bytes = bytes;
    return 0;
  } catch (...) {
    return -1;
  }
}

int cdg_set_bytes(cdg_builder *b, const char *path, const char *vr, const void *data, size_t len) {
  try {
    std::vector<Segment> segs;
    if (b == nullptr || vr == nullptr || std::strlen(vr) != 2 || (data == nullptr && len > 0) ||
        !parse_path(path, segs) || segs.back().item >= 0 || len > 0xfffffff0u) {
      return -1;
    }
    Node *n = node_at(b->root, segs);
    if (n == nullptr || n->is_seq) {
      return -1;
    }
    n->vr = vr;
    n->bytes.assign(static_cast<const char *>(data), len);
    if (n->bytes.size() % 2 != 0) {
      n->bytes.push_back('\0');
    }
    return 0;
  } catch (...) {
    return -1;
  }
}

int cdg_set_empty_sequence(cdg_builder *b, const char *path) {
  try {
    std::vector<Segment> segs;
    if (b == nullptr || !parse_path(path, segs) || segs.back().item >= 0) {
      return -1;
    }
    Node *n = node_at(b->root, segs);
    if (n == nullptr || (!n->is_seq && !n->bytes.empty())) {
      return -1;
    }
    n->is_seq = true;
    n->vr = "SQ";
    return 0;
  } catch (...) {
    return -1;
  }
}

int cdg_save(const cdg_builder *b, const char *filename, char *err, size_t errlen) {
  try {
    cdg_quiet();
    gdcm::Writer w;
    w.SetFileName(filename);
    gdcm::File &file = w.GetFile();
    build(b->root, file.GetDataSet());
    file.GetHeader().SetDataSetTransferSyntax(gdcm::TransferSyntax::ExplicitVRLittleEndian);
    if (!w.Write()) {
      set_err(err, errlen, std::string("cannot write ") + filename);
      return -1;
    }
    return 0;
  } catch (const std::exception &e) {
    set_err(err, errlen, std::string("DICOM writer: ") + e.what());
  } catch (...) {
    set_err(err, errlen, "DICOM writer failed");
  }
  return -1;
}

} // extern "C"
