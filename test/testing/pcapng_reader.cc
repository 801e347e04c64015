// SPDX-License-Identifier: Apache-2.0
#include "test/testing/pcapng_reader.h"

#include <cstring>
#include <fstream>
#include <iterator>

#include "absl/strings/str_format.h"

namespace vswitch::testing {
namespace {

uint32_t U32(const uint8_t* p) {
  uint32_t v;
  std::memcpy(&v, p, 4);
  return v;
}
uint16_t U16(const uint8_t* p) {
  uint16_t v;
  std::memcpy(&v, p, 2);
  return v;
}

// Walks the options in [p, end); calls `f(code, value, len)` for each.
// False when an option runs past the end or the end-of-options is missing.
template <typename F>
bool Options(const uint8_t* p, const uint8_t* end, F f) {
  while (p + 4 <= end) {
    const uint16_t code = U16(p);
    const uint16_t len = U16(p + 2);
    if (code == 0) {
      return len == 0;
    }
    const size_t padded = (len + 3u) & ~3u;
    if (p + 4 + padded > end) {
      return false;
    }
    f(code, p + 4, len);
    p += 4 + padded;
  }
  return false;
}

}  // namespace

bool ReadPcapng(const std::vector<uint8_t>& bytes, PcapngFile* out, std::string* error) {
  *out = {};
  size_t off = 0;
  bool have_shb = false;
  while (off < bytes.size()) {
    if (bytes.size() - off < 12) {
      *error = absl::StrFormat("%zu stray bytes at offset %zu", bytes.size() - off, off);
      return false;
    }
    const uint8_t* b = bytes.data() + off;
    const uint32_t type = U32(b);
    const uint32_t len = U32(b + 4);
    if (len < 12 || len % 4 != 0 || len > bytes.size() - off) {
      *error = absl::StrFormat("block at %zu: length %u (file has %zu more)", off, len,
                               bytes.size() - off);
      return false;
    }
    if (U32(b + len - 4) != len) {
      *error = absl::StrFormat("block at %zu: trailing length %u != %u", off, U32(b + len - 4),
                               len);
      return false;
    }
    const uint8_t* end = b + len - 4;
    if (type == 0x0A0D0D0A) {
      if (len < 28 || U32(b + 8) != 0x1A2B3C4D) {
        *error = absl::StrFormat("section header at %zu is malformed", off);
        return false;
      }
      have_shb = true;
      out->interfaces.clear();
    } else if (!have_shb) {
      *error = "no section header first";
      return false;
    } else if (type == 1) {
      if (len < 20 || U16(b + 8) != 1) {
        *error = absl::StrFormat("interface block at %zu: link type %u", off, U16(b + 8));
        return false;
      }
      std::string name;
      if (!Options(b + 16, end, [&](uint16_t code, const uint8_t* v, uint16_t n) {
            if (code == 2) {
              name.assign(reinterpret_cast<const char*>(v), n);
            }
          })) {
        *error = absl::StrFormat("interface block at %zu: bad options", off);
        return false;
      }
      out->interfaces.push_back(name);
    } else if (type == 6) {
      if (len < 32) {
        *error = absl::StrFormat("packet block at %zu: length %u", off, len);
        return false;
      }
      PcapngPacket p;
      p.interface = U32(b + 8);
      p.timestamp = uint64_t{U32(b + 12)} << 32 | U32(b + 16);
      p.captured = U32(b + 20);
      p.original = U32(b + 24);
      const size_t padded = (static_cast<size_t>(p.captured) + 3) & ~size_t{3};
      if (28 + padded + 4 > len) {
        *error = absl::StrFormat("packet block at %zu: captured %u does not fit length %u", off,
                                 p.captured, len);
        return false;
      }
      if (p.interface >= out->interfaces.size()) {
        *error = absl::StrFormat("packet block at %zu: interface %u of %zu", off, p.interface,
                                 out->interfaces.size());
        return false;
      }
      if (p.captured > p.original) {
        *error = absl::StrFormat("packet block at %zu: captured %u > original %u", off,
                                 p.captured, p.original);
        return false;
      }
      for (size_t i = p.captured; i < padded; ++i) {
        if (b[28 + i] != 0) {
          *error = absl::StrFormat("packet block at %zu: padding not zero", off);
          return false;
        }
      }
      p.data.assign(b + 28, b + 28 + p.captured);
      if (!Options(b + 28 + padded, end, [&](uint16_t code, const uint8_t* v, uint16_t n) {
            if (code == 2 && n == 4) {
              p.flags = U32(v);
            }
          })) {
        *error = absl::StrFormat("packet block at %zu: bad options", off);
        return false;
      }
      out->packets.push_back(std::move(p));
    }
    off += len;
  }
  if (!have_shb) {
    *error = "empty file";
    return false;
  }
  return true;
}

std::vector<uint8_t> ReadFileBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

}  // namespace vswitch::testing
