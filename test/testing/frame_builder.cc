// SPDX-License-Identifier: Apache-2.0
#include "test/testing/frame_builder.h"

namespace vswitch::testing {

void FrameBuilder::Put16(uint16_t v) {
  b_.push_back(static_cast<uint8_t>(v >> 8));
  b_.push_back(static_cast<uint8_t>(v));
}

FrameBuilder& FrameBuilder::Eth(const Mac& dst, const Mac& src) {
  b_.insert(b_.end(), dst.begin(), dst.end());
  b_.insert(b_.end(), src.begin(), src.end());
  return *this;
}

FrameBuilder& FrameBuilder::Tag(uint16_t tpid, uint16_t tci) {
  Put16(tpid);
  Put16(tci);
  return *this;
}

FrameBuilder& FrameBuilder::EtherType(uint16_t et) {
  Put16(et);
  return *this;
}

FrameBuilder& FrameBuilder::Ipv4(const Ipv4Fields& f) {
  ip_off_ = static_cast<int>(b_.size());
  auto_total_ = f.total_length < 0;
  b_.push_back(static_cast<uint8_t>(f.version << 4 | (f.ihl & 0x0f)));
  b_.push_back(0);  // DSCP/ECN.
  Put16(auto_total_ ? 0 : static_cast<uint16_t>(f.total_length));
  Put16(0x1234);  // Identification.
  Put16(f.frag);
  b_.push_back(64);  // TTL.
  b_.push_back(f.proto);
  Put16(0);  // Checksum: the parser does not check it.
  Put16(static_cast<uint16_t>(f.src >> 16));
  Put16(static_cast<uint16_t>(f.src));
  Put16(static_cast<uint16_t>(f.dst >> 16));
  Put16(static_cast<uint16_t>(f.dst));
  for (int i = 5; i < f.ihl; ++i) {
    Put16(0x0101);  // NOP options.
    Put16(0x0101);
  }
  return *this;
}

FrameBuilder& FrameBuilder::Ipv6(const Ipv6Fields& f) {
  ip6_off_ = static_cast<int>(b_.size());
  auto_payload_ = f.payload_length < 0;
  b_.push_back(static_cast<uint8_t>(f.version << 4));
  b_.push_back(0);  // Traffic class, flow label.
  Put16(0);
  Put16(auto_payload_ ? 0 : static_cast<uint16_t>(f.payload_length));
  b_.push_back(f.next_header);
  b_.push_back(64);  // Hop limit.
  b_.insert(b_.end(), f.src.begin(), f.src.end());
  b_.insert(b_.end(), f.dst.begin(), f.dst.end());
  return *this;
}

FrameBuilder& FrameBuilder::Ipv6Options(uint8_t next_header) {
  b_.push_back(next_header);
  b_.push_back(0);  // 8 bytes.
  b_.push_back(1);  // PadN of 4 data bytes.
  b_.push_back(4);
  b_.insert(b_.end(), 4, 0);
  return *this;
}

FrameBuilder& FrameBuilder::Ipv6Fragment(uint8_t next_header, uint16_t offset_flags) {
  b_.push_back(next_header);
  b_.push_back(0);
  Put16(offset_flags);
  Put16(0x1234);  // Identification.
  Put16(0x5678);
  return *this;
}

FrameBuilder& FrameBuilder::L4Ports(uint16_t src, uint16_t dst) {
  Put16(src);
  Put16(dst);
  return *this;
}

FrameBuilder& FrameBuilder::Fill(size_t n, uint8_t value) {
  b_.insert(b_.end(), n, value);
  return *this;
}

std::vector<uint8_t> FrameBuilder::Build() const {
  std::vector<uint8_t> out = b_;
  if (ip_off_ >= 0 && auto_total_) {
    const size_t total = out.size() - static_cast<size_t>(ip_off_);
    out[ip_off_ + 2] = static_cast<uint8_t>(total >> 8);
    out[ip_off_ + 3] = static_cast<uint8_t>(total);
  }
  if (ip6_off_ >= 0 && auto_payload_) {
    const size_t payload = out.size() - static_cast<size_t>(ip6_off_) - 40;
    out[ip6_off_ + 4] = static_cast<uint8_t>(payload >> 8);
    out[ip6_off_ + 5] = static_cast<uint8_t>(payload);
  }
  return out;
}

std::vector<uint8_t> UdpFrame(const Mac& dst, const Mac& src, uint16_t sport, uint16_t dport,
                              size_t payload) {
  return FrameBuilder()
      .Eth(dst, src)
      .EtherType(0x0800)
      .Ipv4({})
      .L4Ports(sport, dport)
      .Fill(4, 0)  // UDP length + checksum.
      .Fill(payload, 0xab)
      .Build();
}

}  // namespace vswitch::testing
