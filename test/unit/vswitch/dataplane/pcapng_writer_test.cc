// SPDX-License-Identifier: Apache-2.0
//
// PcapngWriter on real mbuf chains and a real file: every copy, however
// many segments it has, becomes one well-formed EPB (read back strictly)
// whose captured bytes are the frame's, cut to the session's truncation and
// kMaxCaptureLen, with the frame's length as the original length. A chain
// whose segments hold fewer bytes than its pkt_len (net_pcap's RX of a
// record over 65,535 bytes) is written as what it holds, never read past.
#include "vswitch/dataplane/pcapng_writer.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "test/testing/mbuf_util.h"
#include "test/testing/pcapng_reader.h"
#include "vswitch/dataplane/mirror_meta.h"
#include "vswitch/dataplane/snapshot.h"

namespace vswitch::dataplane {
namespace {

using vswitch::testing::PcapngFile;

constexpr uint16_t kSessionSlot = 6;
constexpr uint32_t kVportId = 42;
constexpr uint16_t kPort = 3;

std::vector<uint8_t> Pattern(size_t n, uint8_t seed = 0) {
  std::vector<uint8_t> v(n);
  for (size_t i = 0; i < n; ++i) {
    v[i] = static_cast<uint8_t>(i * 7 + seed + (i >> 8));
  }
  return v;
}

// Segment lengths of `n` bytes in pieces of at most `seg`.
std::vector<size_t> Cuts(size_t n, size_t seg) {
  std::vector<size_t> c;
  while (n > seg) {
    c.push_back(seg);
    n -= seg;
  }
  c.push_back(n);
  return c;
}

class PcapngWriterTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { ASSERT_GE(RegisterMirrorMeta(), 0); }

  void SetUp() override {
    pool_ = vswitch::testing::MakeTestPool("pw", 4095);
    ASSERT_NE(pool_, nullptr);
    char tmpl[] = "/tmp/pcapng_writer_test.XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    dir_fd_ = open(dir_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    ASSERT_GE(dir_fd_, 0);
    stats_ = std::make_unique<LcoreStats>();
    snap_ = std::make_unique<Snapshot>();
    snap_->ports[kPort].present = true;
    snap_->ports[kPort].vport_id = kVportId;
    std::snprintf(snap_->vport_names[kPort].data(), snap_->vport_names[kPort].size(), "vm-big");
  }

  void TearDown() override {
    writer_.reset();
    close(dir_fd_);
    std::filesystem::remove_all(dir_);
    EXPECT_EQ(rte_mempool_in_use_count(pool_.get()), 0u) << "mbufs leaked";
  }

  void Open(uint64_t rotate = 0) {
    writer_ = std::make_unique<PcapngWriter>(dir_fd_, "t.pcapng", rotate);
    ASSERT_EQ(writer_->Open(), 0);
  }

  // A copy of `bytes` as a chain cut into `cuts`, stamped like a mirror copy.
  rte_mbuf* Copy(const std::vector<uint8_t>& bytes, const std::vector<size_t>& cuts,
                 uint16_t truncate = 0, uint8_t dir = kDirToVm) {
    rte_mbuf* m = vswitch::testing::MbufChain(pool_.get(), bytes, cuts);
    EXPECT_NE(m, nullptr);
    if (m == nullptr) {
      return nullptr;
    }
    MirrorMeta* meta = MirrorMetaOf(m);
    std::memset(meta, 0, sizeof(*meta));
    meta->vport_id = kVportId;
    meta->session_slot = kSessionSlot;
    meta->truncate = truncate;
    meta->direction = dir;
    meta->flags = kMetaIsCopy;
    meta->tsc = rte_get_tsc_cycles();
    return m;
  }

  void Write(std::vector<rte_mbuf*> copies) {
    writer_->Write(*snap_, copies.data(), static_cast<uint16_t>(copies.size()), dest(),
                   stats_->sessions);
  }

  PcapngFile Read(const std::string& name = "t.pcapng") {
    writer_.reset();  // Closes the file.
    PcapngFile f;
    std::string err;
    EXPECT_TRUE(vswitch::testing::ReadPcapng(vswitch::testing::ReadFileBytes(dir_ + "/" + name),
                                             &f, &err))
        << err;
    return f;
  }

  MirrorSlotCounters& dest() { return stats_->dests[1]; }
  const MirrorSlotCounters& session() const { return stats_->sessions[kSessionSlot]; }

  dpdk::MempoolPtr pool_;
  std::string dir_;
  int dir_fd_ = -1;
  std::unique_ptr<LcoreStats> stats_;
  std::unique_ptr<Snapshot> snap_;
  std::unique_ptr<PcapngWriter> writer_;
};

TEST_F(PcapngWriterTest, ChainedFrameIsOneWholeBlock) {
  Open();
  const auto frame = Pattern(9001);
  Write({Copy(frame, {100, 2048, 0, 2048, 2048, 2048, 709})});
  const PcapngFile f = Read();
  ASSERT_EQ(f.interfaces, std::vector<std::string>{"vm-big"});
  ASSERT_EQ(f.packets.size(), 1u);
  EXPECT_EQ(f.packets[0].captured, 9001u);
  EXPECT_EQ(f.packets[0].original, 9001u);
  EXPECT_EQ(f.packets[0].data, frame);
  EXPECT_EQ(f.packets[0].flags, 2u);  // Outbound: the switch sent it to the VM.
  EXPECT_EQ(session().sent_packets.Load(), 1u);
  EXPECT_EQ(session().truncated.Load(), 0u);
  // sent_bytes is the block: 28 header + 9004 padded data + 16 trailer.
  EXPECT_EQ(session().sent_bytes.Load(), 28u + 9004u + 16u);
}

TEST_F(PcapngWriterTest, EveryLengthAndLayoutPadsAndReadsBack) {
  Open();
  std::vector<std::vector<uint8_t>> frames;
  std::vector<rte_mbuf*> copies;
  for (size_t len = 1; len <= 24; ++len) {
    frames.push_back(Pattern(len, static_cast<uint8_t>(len)));
    copies.push_back(Copy(frames.back(), len > 2 ? std::vector<size_t>{1, len - 2, 1}
                                                 : std::vector<size_t>{len},
                          0, len % 2 ? kDirFromVm : kDirToVm));
  }
  Write(copies);
  const PcapngFile f = Read();
  ASSERT_EQ(f.packets.size(), frames.size());
  for (size_t i = 0; i < frames.size(); ++i) {
    EXPECT_EQ(f.packets[i].data, frames[i]) << i;
    EXPECT_EQ(f.packets[i].original, frames[i].size());
    EXPECT_EQ(f.packets[i].flags, frames[i].size() % 2 ? 1u : 2u);
  }
}

TEST_F(PcapngWriterTest, TruncationCutsAChainInsideASegment) {
  Open();
  const auto frame = Pattern(5000);
  Write({Copy(frame, Cuts(5000, 2048), /*truncate=*/2100)});
  const PcapngFile f = Read();
  ASSERT_EQ(f.packets.size(), 1u);
  EXPECT_EQ(f.packets[0].captured, 2100u);
  EXPECT_EQ(f.packets[0].original, 5000u);
  EXPECT_EQ(f.packets[0].data, std::vector<uint8_t>(frame.begin(), frame.begin() + 2100));
  EXPECT_EQ(session().truncated.Load(), 1u);
  EXPECT_EQ(dest().truncated.Load(), 1u);
}

// The frame: net_pcap hands over 80,116 bytes as pkt_len with 14,580
// bytes in 8 segments. rte_pcapng_copy walked pkt_len bytes off the chain.
TEST_F(PcapngWriterTest, ChainShorterThanItsPktLenIsWrittenAsItHolds) {
  Open();
  const auto held = Pattern(14580);
  rte_mbuf* m = Copy(held, {2048, 2048, 2048, 2048, 2048, 2048, 2048, 244});
  ASSERT_NE(m, nullptr);
  m->pkt_len = 80116;
  Write({m});
  const PcapngFile f = Read();
  ASSERT_EQ(f.packets.size(), 1u);
  EXPECT_EQ(f.packets[0].captured, 14580u);
  EXPECT_EQ(f.packets[0].original, 80116u);
  EXPECT_EQ(f.packets[0].data, held);
  EXPECT_EQ(session().truncated.Load(), 1u);
  EXPECT_EQ(session().sent_packets.Load(), 1u);
}

TEST_F(PcapngWriterTest, FrameBeyondMaxCaptureLenIsCutThere) {
  Open();
  const auto frame = Pattern(PcapngWriter::kMaxCaptureLen + 5000);
  Write({Copy(frame, Cuts(frame.size(), 2048))});
  const PcapngFile f = Read();
  ASSERT_EQ(f.packets.size(), 1u);
  EXPECT_EQ(f.packets[0].captured, PcapngWriter::kMaxCaptureLen);
  EXPECT_EQ(f.packets[0].original, frame.size());
  EXPECT_TRUE(std::equal(f.packets[0].data.begin(), f.packets[0].data.end(), frame.begin()));
  EXPECT_EQ(session().truncated.Load(), 1u);
}

// 32 copies of 40 segments need more iovecs than one writev takes.
TEST_F(PcapngWriterTest, BurstOfLongChainsNeedsSeveralWritesAndLosesNothing) {
  Open();
  std::vector<std::vector<uint8_t>> frames;
  std::vector<rte_mbuf*> copies;
  for (int i = 0; i < 32; ++i) {
    frames.push_back(Pattern(40 * 50 + i, static_cast<uint8_t>(i)));
    copies.push_back(Copy(frames.back(), Cuts(frames.back().size(), 50)));
    ASSERT_GE(copies.back()->nb_segs, 40);
  }
  Write(copies);
  EXPECT_EQ(dest().sent_packets.Load(), 32u);
  EXPECT_EQ(dest().tx_dropped.Load(), 0u);
  const PcapngFile f = Read();
  ASSERT_EQ(f.packets.size(), 32u);
  for (int i = 0; i < 32; ++i) {
    EXPECT_EQ(f.packets[i].data, frames[i]) << i;
  }
}

// One chain of more segments than IOV_MAX: cut where the iovecs run out,
// still one well-formed block.
TEST_F(PcapngWriterTest, ChainOfMoreSegmentsThanIovMaxIsCutNotTorn) {
  Open();
  const auto frame = Pattern(1500);
  rte_mbuf* m = Copy(frame, std::vector<size_t>(1500, 1));
  ASSERT_NE(m, nullptr);
  Write({m});
  const PcapngFile f = Read();
  ASSERT_EQ(f.packets.size(), 1u);
  EXPECT_LT(f.packets[0].captured, 1500u);
  EXPECT_GT(f.packets[0].captured, 1000u);
  EXPECT_EQ(f.packets[0].original, 1500u);
  EXPECT_TRUE(std::equal(f.packets[0].data.begin(), f.packets[0].data.end(), frame.begin()));
  EXPECT_EQ(session().truncated.Load(), 1u);
}

TEST_F(PcapngWriterTest, RotationKeepsEveryFileReadable) {
  Open(/*rotate=*/4096);
  for (int burst = 0; burst < 4; ++burst) {
    Write({Copy(Pattern(3000), Cuts(3000, 1000)), Copy(Pattern(10), {10})});
  }
  EXPECT_GE(writer_->files_opened(), 2u);
  const uint32_t opened = writer_->files_opened();
  size_t packets = 0;
  writer_.reset();
  for (uint32_t i = 0; i < opened; ++i) {
    const std::string name = i == 0 ? "t.pcapng" : "t.pcapng." + std::to_string(i);
    PcapngFile f;
    std::string err;
    ASSERT_TRUE(vswitch::testing::ReadPcapng(
        vswitch::testing::ReadFileBytes(dir_ + "/" + name), &f, &err))
        << name << ": " << err;
    packets += f.packets.size();
  }
  EXPECT_EQ(packets, 8u);
}

}  // namespace
}  // namespace vswitch::dataplane
