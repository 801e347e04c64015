// SPDX-License-Identifier: Apache-2.0
//
// Fuzz target: the mirror path of an arbitrary inner frame, on real DPDK
// objects: the frame as an mbuf chain, cloned by the real MirrorStage,
// cut and VXLAN-encapsulated by the real EncapWorker, sent on a net_ring
// uplink and read back.
//
// Input: 5 control bytes, then the frame.
//   [0..1] session truncate (little endian; 0 = whole frame)
//   [2]    uplink MTU: 0 -> 1500, else 576 + 33 * byte (576..8991)
//   [3]    segments: (byte & 3) + 1; byte >> 2 moves the first cut
//   [4]    bit 0: mark copies (VXLAN-GBP); bit 1: direction to VM
//
// Invariants: exactly one encapsulated copy; its length is 50 + the inner
// length the session and MTU allow; every header field is what the session
// and uplink say (checksum verifies); the inner bytes are the frame's
// prefix; segment lengths add up and stay inside their buffers; the
// primary frame is unchanged; counters say sent/truncated; no mbuf leaks.
#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_ip.h>
#include <rte_ring.h>

#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "test/fuzz/fuzz_chain.h"
#include "test/fuzz/fuzz_check.h"
#include "test/testing/eal.h"
#include "test/testing/mbuf_util.h"
#include "test/testing/ring_port.h"
#include "vswitch/dataplane/encap_worker.h"
#include "vswitch/dataplane/mirror_meta.h"
#include "vswitch/dataplane/mirror_stage.h"
#include "vswitch/dataplane/snapshot.h"

namespace vswitch::dataplane {
namespace {

constexpr size_t kControl = 5;
constexpr int kMaxSegs = 4;
constexpr uint16_t kSegRoom = 9600;  // Data room of a segment (a jumbo frame fits one).
constexpr uint32_t kVni = 0x00abcdef;
constexpr uint16_t kUdpPort = 4789;
constexpr uint32_t kVportId = 0x1234;
constexpr uint16_t kSessionSlot = 5;
constexpr uint16_t kDestSlot = 3;
const uint8_t kUplinkMac[6] = {0x02, 0, 0, 0, 0x01, 0};
const uint8_t kCollectorMac[6] = {0x02, 0, 0, 0, 0x02, 0};
constexpr uint32_t kUplinkIp = RTE_IPV4(192, 0, 2, 10);
constexpr uint32_t kCollectorIp = RTE_IPV4(192, 0, 2, 20);

struct Env {
  rte_mempool* pool = nullptr;     // Primary frames; also the uplink's RX pool.
  rte_mempool* clones = nullptr;   // Indirect copies.
  rte_mempool* headers = nullptr;  // Outer headers.
  uint16_t uplink = 0;
  rte_ring* ring = nullptr;
};
Env* g_env = nullptr;

uint16_t Be16(const uint8_t* p) { return static_cast<uint16_t>(p[0] << 8 | p[1]); }
uint32_t Be32(const uint8_t* p) {
  return uint32_t{p[0]} << 24 | uint32_t{p[1]} << 16 | uint32_t{p[2]} << 8 | p[3];
}

// The frame as a chain of up to kMaxSegs segments of at most kSegRoom bytes.
rte_mbuf* BuildChain(const uint8_t* f, size_t len, uint8_t seg_byte) {
  int nsegs = (seg_byte & 3) + 1;
  std::vector<size_t> cuts;  // Segment lengths.
  size_t left = len;
  const size_t first_shift = seg_byte >> 2;
  for (int s = 0; s < nsegs && left > 0; ++s) {
    size_t n = s == nsegs - 1 ? left : left / static_cast<size_t>(nsegs - s);
    if (s == 0 && nsegs > 1) {
      n = n > first_shift ? n - first_shift : (left > 0 ? 1 : 0);
    }
    if (n > kSegRoom) {
      n = kSegRoom;
    }
    if (s == nsegs - 1 && n < left) {
      return nullptr;  // Does not fit kMaxSegs segments.
    }
    cuts.push_back(n);
    left -= n;
  }
  if (cuts.empty()) {
    cuts.push_back(0);  // An empty frame is one empty segment.
  }
  rte_mbuf* head = vswitch::testing::MbufChain(g_env->pool, {f, len}, cuts);
  FUZZ_CHECK(head != nullptr, "frame pool empty (an earlier input leaked) or segment room");
  return head;
}

std::unique_ptr<Snapshot> MakeSnapshot(uint16_t truncate, uint16_t mtu, bool mark) {
  auto s = std::make_unique<Snapshot>();
  s->generation = 1;
  s->cache_tag = 1;
  s->struct_tag = 1;
  s->uplink.present = true;
  s->uplink.port = g_env->uplink;
  s->uplink.encap_queue = 0;
  s->uplink.mtu = mtu;
  s->uplink.ip_be = rte_cpu_to_be_32(kUplinkIp);
  std::memcpy(s->uplink.mac, kUplinkMac, 6);
  DestInfo d;
  d.id = 11;
  d.slot = kDestSlot;
  d.vni = kVni;
  d.udp_port = kUdpPort;
  d.mark_copies = mark;
  d.n_collectors = 1;
  d.collectors[0].ip_be = rte_cpu_to_be_32(kCollectorIp);
  d.collectors[0].resolved = true;
  std::memcpy(d.collectors[0].next_hop_mac, kCollectorMac, 6);
  d.rings[0] = g_env->ring;
  s->dests.push_back(d);
  SessionInfo si;
  si.id = 7;
  si.slot = kSessionSlot;
  si.truncate = truncate;
  si.n_dests = 1;
  si.dests[0] = 0;
  s->sessions.push_back(si);
  return s;
}

void CheckHeader(const uint8_t* h, uint32_t inner, uint16_t src_port, bool mark,
                 uint8_t direction) {
  FUZZ_CHECK(std::memcmp(h, kCollectorMac, 6) == 0, "outer dst MAC");
  FUZZ_CHECK(std::memcmp(h + 6, kUplinkMac, 6) == 0, "outer src MAC");
  FUZZ_CHECK(Be16(h + 12) == 0x0800, "outer EtherType %#x", Be16(h + 12));
  const uint8_t* ip = h + 14;
  FUZZ_CHECK(ip[0] == 0x45, "IPv4 version/IHL %#x", ip[0]);
  FUZZ_CHECK(Be16(ip + 2) == 36 + inner, "IPv4 total length %u for inner %u", Be16(ip + 2),
             inner);
  FUZZ_CHECK(Be16(ip + 6) == 0x4000, "DF and no fragment offset: %#x", Be16(ip + 6));
  FUZZ_CHECK(ip[8] == 64 && ip[9] == IPPROTO_UDP, "TTL %u proto %u", ip[8], ip[9]);
  FUZZ_CHECK(rte_raw_cksum(ip, 20) == 0xffff, "IPv4 header checksum does not verify");
  FUZZ_CHECK(Be32(ip + 12) == kUplinkIp && Be32(ip + 16) == kCollectorIp, "outer addresses");
  const uint8_t* udp = ip + 20;
  FUZZ_CHECK(Be16(udp) == src_port, "UDP source port %u, flow hash says %u", Be16(udp),
             src_port);
  FUZZ_CHECK(Be16(udp) >= kEncapSrcPortBase, "UDP source port %u", Be16(udp));
  FUZZ_CHECK(Be16(udp + 2) == kUdpPort, "UDP port %u", Be16(udp + 2));
  FUZZ_CHECK(Be16(udp + 4) == 16 + inner, "UDP length %u for inner %u", Be16(udp + 4), inner);
  FUZZ_CHECK(Be16(udp + 6) == 0, "UDP checksum");
  const uint8_t* vx = udp + 8;
  const uint32_t flags = Be32(vx);
  if (mark) {
    const uint32_t policy = (direction == kDirToVm ? 0x8000u : 0) | (kVportId & 0x7fff);
    FUZZ_CHECK(flags == (0x88000000u | policy), "VXLAN-GBP word %#x", flags);
  } else {
    FUZZ_CHECK(flags == 0x08000000u, "VXLAN flags %#x", flags);
  }
  FUZZ_CHECK(Be32(vx + 4) == kVni << 8, "VNI word %#x", Be32(vx + 4));
}

}  // namespace
}  // namespace vswitch::dataplane

extern "C" int LLVMFuzzerInitialize(int* argc, char*** argv) {
  using namespace vswitch;
  if (!testing::StartEal(*argc > 0 ? (*argv)[0] : "encap_fuzz", "fz")) {
    std::abort();
  }
  FUZZ_CHECK(dataplane::RegisterMirrorMeta() >= 0, "mirror dynfield");
  auto* env = new dataplane::Env;
  env->pool = testing::MakeTestPool("fz_pkt", 127, dataplane::kSegRoom + RTE_PKTMBUF_HEADROOM)
                  .release();
  env->clones = testing::MakeTestPool("fz_cl", 63).release();
  env->headers = testing::MakeTestPool("fz_hdr", 63).release();
  FUZZ_CHECK(env->pool && env->clones && env->headers, "pools");
  auto port = testing::StartRingPort("net_ring_fuzz_up", env->pool);
  FUZZ_CHECK(port.ok(), "uplink: %s", port.status().ToString().c_str());
  env->uplink = *port;
  env->ring = rte_ring_create("fz_mirror", 64, SOCKET_ID_ANY, RING_F_SP_ENQ | RING_F_SC_DEQ);
  FUZZ_CHECK(env->ring != nullptr, "ring");
  dataplane::g_env = env;
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace vswitch::dataplane;
  if (size < kControl) {
    return 0;
  }
  const uint16_t truncate = static_cast<uint16_t>(data[0] | data[1] << 8);
  const uint16_t mtu = data[2] == 0 ? 1500 : static_cast<uint16_t>(576 + 33 * data[2]);
  const bool mark = (data[4] & 1) != 0;
  const uint8_t direction = (data[4] & 2) != 0 ? kDirToVm : kDirFromVm;
  const uint8_t* frame = data + kControl;
  const size_t len = size - kControl;

  const unsigned pool_base = rte_mempool_in_use_count(g_env->pool);
  rte_mbuf* primary = BuildChain(frame, len, data[3]);
  if (primary == nullptr) {
    return 0;
  }
  auto snap = MakeSnapshot(truncate, mtu, mark);
  auto fwd_stats = std::make_unique<LcoreStats>();
  auto stats = std::make_unique<LcoreStats>();
  const uint32_t hash = InnerFlowHash(primary);
  {
    MirrorStage stage(0, g_env->clones, fwd_stats.get());
    stage.Stage(*snap, primary, 1u, direction, kVportId, rte_rdtsc());
  }
  FUZZ_CHECK(fwd_stats->sessions[kSessionSlot].cloned.Load() == 1, "copy not staged");
  EncapWorker worker(1, g_env->headers, stats.get());
  FUZZ_CHECK(worker.Poll(*snap, rte_get_tsc_cycles(), 64) == 1, "copy not handled");

  std::vector<rte_mbuf*> sent = vswitch::testing::DrainPort(g_env->uplink);
  FUZZ_CHECK(sent.size() == 1, "%zu frames sent for one copy", sent.size());
  const uint32_t inner = InnerLenFor(static_cast<uint32_t>(len), truncate, mtu);
  const std::vector<uint8_t> out = CheckedChainBytes(sent[0]);
  FUZZ_CHECK(out.size() == kVxlanOverhead + inner, "sent %zu bytes, expected 50 + %u",
             out.size(), inner);
  FUZZ_CHECK(inner <= MaxInnerLen(mtu) && (truncate == 0 || inner <= truncate),
             "inner %u beyond MTU %u / truncate %u", inner, mtu, truncate);
  CheckHeader(out.data(), inner, EncapSrcPort(hash), mark, direction);
  FUZZ_CHECK(std::memcmp(out.data() + kVxlanOverhead, frame, inner) == 0,
             "inner bytes differ from the frame");
  const MirrorSlotCounters& sc = stats->sessions[kSessionSlot];
  FUZZ_CHECK(sc.sent_packets.Load() == 1 && sc.sent_bytes.Load() == out.size(),
             "sent counters %lu/%lu", static_cast<unsigned long>(sc.sent_packets.Load()),
             static_cast<unsigned long>(sc.sent_bytes.Load()));
  FUZZ_CHECK(sc.truncated.Load() == (inner < len ? 1u : 0u), "truncated counter %lu",
             static_cast<unsigned long>(sc.truncated.Load()));
  vswitch::testing::FreeAll(sent);

  // The primary (shared payload) is whole and unchanged.
  const std::vector<uint8_t> after = CheckedChainBytes(primary);
  FUZZ_CHECK(after.size() == len && (len == 0 || std::memcmp(after.data(), frame, len) == 0),
             "primary frame changed");
  FUZZ_CHECK(rte_mbuf_refcnt_read(primary) == 1, "primary still referenced");
  rte_pktmbuf_free(primary);
  FUZZ_CHECK(rte_mempool_in_use_count(g_env->pool) == pool_base, "frame mbufs leaked");
  FUZZ_CHECK(rte_mempool_in_use_count(g_env->clones) == 0, "clone mbufs leaked");
  FUZZ_CHECK(rte_mempool_in_use_count(g_env->headers) == 0, "header mbufs leaked");
  return 0;
}
