// SPDX-License-Identifier: Apache-2.0
//
// A strict reader of the pcapng files the PcapngWriter makes, for tests and
// fuzz targets: every block's length is a multiple of 4 and repeated at its
// end, an EPB's capture length fits its block, its padding is zero, and
// every packet names an interface defined before it.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace vswitch::testing {

struct PcapngPacket {
  uint32_t interface = 0;
  uint32_t captured = 0;
  uint32_t original = 0;
  uint32_t flags = 0;  // epb_flags (bits 0-1: 1 inbound, 2 outbound); 0 if absent.
  uint64_t timestamp = 0;
  std::vector<uint8_t> data;
};

struct PcapngFile {
  std::vector<std::string> interfaces;  // if_name of each IDB, in order.
  std::vector<PcapngPacket> packets;
};

// Parses `bytes`; on any violation returns false with the reason in `error`.
bool ReadPcapng(const std::vector<uint8_t>& bytes, PcapngFile* out, std::string* error);

// The whole file at `path` (empty on error).
std::vector<uint8_t> ReadFileBytes(const std::string& path);

}  // namespace vswitch::testing
