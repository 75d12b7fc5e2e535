// The MQL5 runtime functions the EA's pure include files use, in C++.
//
// tests/mql5/mql_cpp.py turns Json.mqh, RequestFields.mqh, Outcome.mqh,
// Replies.mqh, CommandLedger.mqh, Retcodes.mqh and Protocol.mqh into C++
// (pointer '.' becomes '->', 'T name[]' becomes MqlArray<T>, string literals
// become MqlString); this header supplies what MetaTrader would. Semantics
// follow the MQL5 reference: strings are UTF-16, StringSubstr/StringFind
// count UTF-16 units, text files are read line by line up to CR LF.
#pragma once

#include <algorithm>
#include <cfloat>
#include <climits>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

typedef unsigned char uchar;
typedef unsigned short ushort;
typedef unsigned int uint;
typedef unsigned long ulong;
typedef long datetime;

#define CP_UTF8 65001
#define WHOLE_ARRAY -1
#define INVALID_HANDLE -1
#define POINTER_INVALID 0
#define POINTER_DYNAMIC 1
#define FILE_READ 1
#define FILE_WRITE 2
#define FILE_BIN 4
#define FILE_CSV 8
#define FILE_TXT 16
#define FILE_ANSI 32
#define FILE_UNICODE 64
#define FILE_SHARE_READ 128
#define FILE_SHARE_WRITE 256
#define FILE_REWRITE 512
#define FILE_COMMON 4096

// ------------------------------------------------------------------ string

class MqlString {
 public:
  std::u16string s;
  MqlString() {}
  MqlString(const char* ascii) {
    while (ascii && *ascii) s.push_back((unsigned char)*ascii++);
  }
  MqlString(const std::u16string& u) : s(u) {}
  MqlString& operator+=(const MqlString& o) { s += o.s; return *this; }
  bool operator==(const MqlString& o) const { return s == o.s; }
  bool operator!=(const MqlString& o) const { return s != o.s; }
  bool operator<(const MqlString& o) const { return s < o.s; }
  std::string utf8() const;
};
inline MqlString operator+(const MqlString& a, const MqlString& b) { return MqlString(a.s + b.s); }
inline MqlString operator+(const char* a, const MqlString& b) { return MqlString(a) + b; }
inline MqlString operator+(const MqlString& a, const char* b) { return a + MqlString(b); }
typedef MqlString string;

inline void utf8_append(std::string& out, uint32_t cp) {
  if (cp < 0x80) out.push_back((char)cp);
  else if (cp < 0x800) { out.push_back((char)(0xC0 | (cp >> 6))); out.push_back((char)(0x80 | (cp & 0x3F))); }
  else if (cp < 0x10000) { out.push_back((char)(0xE0 | (cp >> 12))); out.push_back((char)(0x80 | ((cp >> 6) & 0x3F))); out.push_back((char)(0x80 | (cp & 0x3F))); }
  else { out.push_back((char)(0xF0 | (cp >> 18))); out.push_back((char)(0x80 | ((cp >> 12) & 0x3F))); out.push_back((char)(0x80 | ((cp >> 6) & 0x3F))); out.push_back((char)(0x80 | (cp & 0x3F))); }
}

// UTF-16 -> UTF-8 as Windows WideCharToMultiByte does: a lone surrogate becomes U+FFFD
inline std::string utf16_to_utf8(const std::u16string& u) {
  std::string out;
  for (size_t i = 0; i < u.size(); i++) {
    uint32_t c = u[i];
    if (c >= 0xD800 && c <= 0xDBFF && i + 1 < u.size() && u[i + 1] >= 0xDC00 && u[i + 1] <= 0xDFFF) {
      c = 0x10000 + ((c - 0xD800) << 10) + (u[i + 1] - 0xDC00);
      i++;
    } else if (c >= 0xD800 && c <= 0xDFFF) {
      c = 0xFFFD;
    }
    utf8_append(out, c);
  }
  return out;
}
inline std::string MqlString::utf8() const { return utf16_to_utf8(s); }

// UTF-8 -> UTF-16 as MultiByteToWideChar does: invalid bytes become U+FFFD
inline std::u16string utf8_to_utf16(const unsigned char* p, size_t n) {
  std::u16string out;
  size_t i = 0;
  while (i < n) {
    unsigned char b = p[i];
    uint32_t cp;
    size_t len;
    if (b < 0x80) { cp = b; len = 1; }
    else if ((b & 0xE0) == 0xC0) { cp = b & 0x1F; len = 2; }
    else if ((b & 0xF0) == 0xE0) { cp = b & 0x0F; len = 3; }
    else if ((b & 0xF8) == 0xF0) { cp = b & 0x07; len = 4; }
    else { out.push_back(0xFFFD); i++; continue; }
    if (i + len > n) { out.push_back(0xFFFD); i++; continue; }
    bool ok = true;
    for (size_t k = 1; k < len; k++) {
      if ((p[i + k] & 0xC0) != 0x80) { ok = false; break; }
      cp = (cp << 6) | (p[i + k] & 0x3F);
    }
    if (!ok || (len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10FFFF)) ||
        (cp >= 0xD800 && cp <= 0xDFFF)) {
      out.push_back(0xFFFD);
      i++;
      continue;
    }
    if (cp >= 0x10000) {
      cp -= 0x10000;
      out.push_back((char16_t)(0xD800 + (cp >> 10)));
      out.push_back((char16_t)(0xDC00 + (cp & 0x3FF)));
    } else {
      out.push_back((char16_t)cp);
    }
    i += len;
  }
  return out;
}

inline int StringLen(const string& s) { return (int)s.s.size(); }
inline ushort StringGetCharacter(const string& s, int pos) {
  return (pos >= 0 && pos < (int)s.s.size()) ? (ushort)s.s[pos] : 0;
}
inline string StringSubstr(const string& s, int start, int length = -1) {
  if (start < 0 || start >= (int)s.s.size()) return string();
  if (length < 0) return string(s.s.substr(start));
  return string(s.s.substr(start, length));
}
inline int StringFind(const string& s, const string& sub, int start = 0) {
  size_t p = s.s.find(sub.s, start < 0 ? 0 : start);
  return p == std::u16string::npos ? -1 : (int)p;
}
inline int StringCompare(const string& a, const string& b, bool case_sensitive = true) {
  (void)case_sensitive;
  return a.s < b.s ? -1 : (a.s == b.s ? 0 : 1);
}
inline string ShortToString(ushort c) {
  if (c == 0) return string();
  return string(std::u16string(1, (char16_t)c));
}
inline long StringToInteger(const string& s) { return std::strtoll(s.utf8().c_str(), nullptr, 10); }
inline double StringToDouble(const string& s) { return std::strtod(s.utf8().c_str(), nullptr); }
inline string IntegerToString(long v, int = 0, ushort = ' ') { return string(std::to_string(v).c_str()); }
inline string DoubleToString(double v, int digits = 8) {
  if (digits < 0 || digits > 16) digits = 8;
  char buf[512];
  std::snprintf(buf, sizeof buf, "%.*f", digits, v);
  return string(buf);
}

// MQL5 formats "%I64d"/"%I64u" for 64-bit integers; C wants "%lld"/"%llu"
template <typename T>
inline T fmt_arg(std::deque<std::string>&, const T& v) { return v; }
inline const char* fmt_arg(std::deque<std::string>& keep, const MqlString& s) {
  keep.push_back(s.utf8());
  return keep.back().c_str();
}
template <typename... A>
inline string StringFormat(const string& format, const A&... args) {
  std::string f = format.utf8();
  for (size_t p = f.find("I64"); p != std::string::npos; p = f.find("I64")) f.replace(p, 3, "ll");
  std::deque<std::string> keep;
  char buf[8192];
  std::snprintf(buf, sizeof buf, f.c_str(), fmt_arg(keep, args)...);
  return string(utf8_to_utf16((const unsigned char*)buf, std::strlen(buf)));
}
template <typename... A>
inline void PrintFormat(const string& format, const A&... args) {
  std::fprintf(stderr, "%s\n", StringFormat(format, args...).utf8().c_str());
}

// ------------------------------------------------------------------ arrays

template <typename T>
class MqlArray {
 public:
  std::vector<T> v;
  T& operator[](int i) { return v.at((size_t)i); }
  const T& operator[](int i) const { return v.at((size_t)i); }
};
template <typename T>
inline int ArraySize(const MqlArray<T>& a) { return (int)a.v.size(); }
template <typename T, size_t N>
inline int ArraySize(const T (&)[N]) { return (int)N; }
template <typename T>
inline int ArrayResize(MqlArray<T>& a, int n, int reserve = 0) {
  if (n < 0) return -1;
  if (reserve > 0) a.v.reserve((size_t)(n + reserve));
  a.v.resize((size_t)n);
  return n;
}
template <typename T>
inline void ArrayFree(MqlArray<T>& a) { a.v.clear(); a.v.shrink_to_fit(); }
template <typename T>
inline int ArrayCopy(MqlArray<T>& dst, const MqlArray<T>& src, int dst_start = 0, int src_start = 0, int count = WHOLE_ARRAY) {
  if (count < 0) count = (int)src.v.size() - src_start;
  if (count <= 0) return 0;
  if ((int)dst.v.size() < dst_start + count) dst.v.resize((size_t)(dst_start + count));
  for (int i = 0; i < count; i++) dst.v[(size_t)(dst_start + i)] = src.v.at((size_t)(src_start + i));
  return count;
}
template <typename T>
inline bool ArraySort(MqlArray<T>& a) { std::sort(a.v.begin(), a.v.end()); return true; }

inline int StringSplit(const string& s, ushort sep, MqlArray<string>& out) {
  out.v.clear();
  std::u16string cur;
  for (char16_t c : s.s) {
    if (c == sep) { out.v.push_back(string(cur)); cur.clear(); }
    else cur.push_back(c);
  }
  out.v.push_back(string(cur));
  return (int)out.v.size();
}

// count = characters of str to convert (-1: all, plus the terminating zero)
inline int StringToCharArray(const string& str, MqlArray<uchar>& arr, int start = 0, int count = -1, uint codepage = CP_UTF8) {
  (void)codepage;
  std::u16string part = count < 0 ? str.s : str.s.substr(0, (size_t)count);
  std::string bytes = utf16_to_utf8(part);
  if (count < 0) bytes.push_back('\0');
  if ((int)arr.v.size() < start + (int)bytes.size()) arr.v.resize((size_t)start + bytes.size());
  for (size_t i = 0; i < bytes.size(); i++) arr.v[(size_t)start + i] = (uchar)bytes[i];
  return (int)bytes.size();
}
inline string CharArrayToString(const MqlArray<uchar>& arr, int start = 0, int count = -1, uint codepage = CP_UTF8) {
  (void)codepage;
  int n = count < 0 ? (int)arr.v.size() - start : count;
  int end = start;
  while (end < start + n && arr.v.at((size_t)end) != 0) end++;  // stops at a NUL, as MQL5 does
  return string(utf8_to_utf16(arr.v.data() + start, (size_t)(end - start)));
}

// ------------------------------------------------------------------ misc

template <typename T>
inline int CheckPointer(T* p) { return p ? POINTER_DYNAMIC : POINTER_INVALID; }
template <typename A, typename B>
inline auto MathMax(A a, B b) -> decltype(a + b) { return a > b ? a : b; }
template <typename A, typename B>
inline auto MathMin(A a, B b) -> decltype(a + b) { return a < b ? a : b; }
inline double MathAbs(double v) { return std::fabs(v); }
inline double MathRound(double v) { return std::round(v); }
inline double MathFloor(double v) { return std::floor(v); }
inline bool MathIsValidNumber(double v) { return std::isfinite(v); }
inline double NormalizeDouble(double v, int digits) {
  double scale = std::pow(10.0, digits);
  return std::round(v * scale) / scale;
}

// ------------------------------------------------------------------ files (MQL5/Files sandbox)

static int g_last_error = 0;
inline int GetLastError() { return g_last_error; }
inline void ResetLastError() { g_last_error = 0; }

struct ShimFile {
  std::filesystem::path path;
  std::string data;
  size_t pos = 0;
  bool writable = false;
};
static std::map<int, ShimFile> g_files;
static int g_next_handle = 1;

inline std::filesystem::path shim_path(const string& name) {
  const char* root = std::getenv("FX_MQL5_FILES");
  std::string rel = name.utf8();
  std::replace(rel.begin(), rel.end(), '\\', '/');
  return std::filesystem::path(root ? root : ".") / rel;
}
inline bool FolderCreate(const string& name, int = 0) {
  std::error_code ec;
  std::filesystem::create_directories(shim_path(name), ec);
  return !ec;
}
inline bool FileIsExist(const string& name, int = 0) { return std::filesystem::is_regular_file(shim_path(name)); }
inline int FileOpen(const string& name, int flags, int = '\t', uint = 0) {
  ShimFile f;
  f.path = shim_path(name);
  // no folder is created here: the EA must FolderCreate it (MQL5 may not do it for us)
  if (!std::filesystem::is_directory(f.path.parent_path())) { g_last_error = 5002; return INVALID_HANDLE; }
  bool exists = std::filesystem::is_regular_file(f.path);
  if ((flags & FILE_WRITE) == 0 && !exists) { g_last_error = 5004; return INVALID_HANDLE; }
  if ((flags & FILE_READ) && exists) {
    std::ifstream in(f.path, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    f.data = ss.str();
  }
  f.writable = (flags & FILE_WRITE) != 0;
  if (f.writable) {
    std::ofstream out(f.path, std::ios::binary);
    if (!out.good()) { g_last_error = 5004; return INVALID_HANDLE; }
    out << f.data;
  }
  int h = g_next_handle++;
  g_files[h] = f;
  return h;
}
inline void FileFlush(int h) {
  auto it = g_files.find(h);
  if (it == g_files.end() || !it->second.writable) return;
  std::ofstream out(it->second.path, std::ios::binary | std::ios::trunc);
  out << it->second.data;
}
inline void FileClose(int h) { FileFlush(h); g_files.erase(h); }
inline bool FileSeek(int h, long offset, int origin) {
  auto& f = g_files.at(h);
  long base = origin == SEEK_SET ? 0 : origin == SEEK_CUR ? (long)f.pos : (long)f.data.size();
  f.pos = (size_t)std::max(0L, base + offset);
  return true;
}
inline uint FileWriteString(int h, const string& text, int = -1) {
  auto& f = g_files.at(h);
  std::string bytes;
  for (char16_t c : text.s) bytes.push_back(c < 256 ? (char)c : '?');  // ANSI
  f.data.replace(f.pos, std::min(bytes.size(), f.data.size() - std::min(f.pos, f.data.size())), bytes);
  f.pos += bytes.size();
  return (uint)bytes.size();
}
inline bool FileIsEnding(int h) { auto& f = g_files.at(h); return f.pos >= f.data.size(); }
inline string FileReadString(int h, int = -1) {
  auto& f = g_files.at(h);
  size_t end = f.data.find('\n', f.pos);
  std::string line = f.data.substr(f.pos, end == std::string::npos ? std::string::npos : end - f.pos);
  f.pos = end == std::string::npos ? f.data.size() : end + 1;
  if (!line.empty() && line.back() == '\r') line.pop_back();
  std::u16string u;
  for (unsigned char c : line) u.push_back(c);
  return string(u);
}
inline bool FileMove(const string& src, int, const string& dst, int flags) {
  auto from = shim_path(src), to = shim_path(dst);
  if (std::filesystem::exists(to) && !(flags & FILE_REWRITE)) { g_last_error = 5019; return false; }
  std::error_code ec;
  std::filesystem::rename(from, to, ec);
  return !ec;
}
