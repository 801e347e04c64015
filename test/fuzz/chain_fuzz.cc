// SPDX-License-Identifier: Apache-2.0
//
// Fuzz target: mirroring of multi-segment frames of any size and segment
// layout, up to the largest chain a port delivers (net_pcap: a 262,144-byte
// record, over a hundred 2 KB segments), to both destination kinds, on real
// DPDK objects: the chain check the forwarder runs at RX, the real
// MirrorStage, the real EncapWorker with a VXLAN destination (net_ring
// uplink, read back) and a pcapng destination (a real file, read back
// strictly). Chains whose header lies (pkt_len or nb_segs) are made too.
//
// Input: 9 control bytes, then a pattern the frame repeats.
//   [0..1] session truncate (little endian; 0 = whole frame)
//   [2..4] frame length (little endian, 24 bits; at most kMaxFrame; 0 = the
//          pattern's length)
//   [5]    segments: 1 + byte % 200 (raised until 2 KB segments hold it)
//   [6]    seed of the segment lengths
//   [7]    lie: bits 0-1 mode (0 none; 1 pkt_len + k * 65,536, net_pcap's
//          uint16_t wrap; 2 pkt_len off by a few bytes; 3 nb_segs off),
//          bits 2-7 amount
//   [8]    bit 0: direction to VM; bit 1: mark copies (VXLAN-GBP)
//
// Invariants: BadChain() is true exactly for a chain that lies. A lying
// chain given to the pcapng writer anyway becomes one well-formed block of
// the bytes it holds (never read past). A consistent chain gives exactly one
// VXLAN copy (50 + the inner length truncation and MTU allow, inner bytes the
// frame's prefix, segments adding up inside their buffers) and one EPB
// (captured = the frame cut to truncation and kMaxCaptureLen, original =
// the frame's length, bytes the frame's prefix); counters say so; the
// primary is unchanged; no mbuf leaks.
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_ring.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "test/fuzz/fuzz_chain.h"
#include "test/fuzz/fuzz_check.h"
#include "test/testing/eal.h"
#include "test/testing/mbuf_util.h"
#include "test/testing/pcapng_reader.h"
#include "test/testing/ring_port.h"
#include "vswitch/dataplane/chain_check.h"
#include "vswitch/dataplane/encap_worker.h"
#include "vswitch/dataplane/mirror_meta.h"
#include "vswitch/dataplane/mirror_stage.h"
#include "vswitch/dataplane/pcapng_writer.h"
#include "vswitch/dataplane/snapshot.h"

namespace vswitch::dataplane {
namespace {

constexpr size_t kControl = 9;
constexpr uint32_t kMaxFrame = 262144 + 4096;  // Past what pcapng keeps.
constexpr uint16_t kSegRoom = 2048;            // vswitchd's packet mbufs.
constexpr uint16_t kMtu = 9000;
constexpr uint32_t kVportId = 0x321;
constexpr uint16_t kSessionSlot = 2;
constexpr uint16_t kVxlanSlot = 4;
constexpr uint16_t kPcapngSlot = 9;
constexpr char kFile[] = "chain.pcapng";

struct Env {
  rte_mempool* pool = nullptr;     // Frames; also the uplink's RX pool.
  rte_mempool* clones = nullptr;   // Copies: headroom + 256, as in vswitchd.
  rte_mempool* headers = nullptr;  // Outer headers.
  uint16_t uplink = 0;
  rte_ring* vxlan_ring = nullptr;
  rte_ring* pcapng_ring = nullptr;
  std::string dir;
  int dir_fd = -1;
};
Env* g_env = nullptr;

uint32_t Next(uint32_t* s) {  // xorshift32: segment lengths from the seed byte.
  uint32_t x = *s;
  x ^= x << 13;
  x ^= x >> 17;
  x ^= x << 5;
  return *s = x;
}

// Lengths of `nsegs` segments of at most kSegRoom bytes holding `len`.
std::vector<size_t> Layout(size_t len, unsigned nsegs, uint8_t seed) {
  const unsigned need = static_cast<unsigned>((len + kSegRoom - 1) / kSegRoom);
  nsegs = std::max({nsegs, need, 1u});
  uint32_t rng = 0x9e3779b9u ^ (uint32_t{seed} * 0x01000193u);
  std::vector<size_t> cuts;
  size_t left = len;
  for (unsigned i = 0; i < nsegs; ++i) {
    const size_t rest = nsegs - i - 1;
    const size_t lo = left > kSegRoom * rest ? left - kSegRoom * rest : 0;
    const size_t hi = std::min<size_t>(kSegRoom, left);
    const size_t take = rest == 0 ? left : lo + Next(&rng) % (hi - lo + 1);
    cuts.push_back(take);
    left -= take;
  }
  return cuts;
}

// The one packet of the file the writer wrote (which is then removed).
vswitch::testing::PcapngPacket ReadOnePacket() {
  const std::string path = g_env->dir + "/" + kFile;
  vswitch::testing::PcapngFile f;
  std::string err;
  FUZZ_CHECK(vswitch::testing::ReadPcapng(vswitch::testing::ReadFileBytes(path), &f, &err),
             "pcapng file: %s", err.c_str());
  unlink(path.c_str());
  FUZZ_CHECK(f.packets.size() == 1, "%zu packets in the file", f.packets.size());
  FUZZ_CHECK(f.interfaces.size() == 1, "%zu interfaces", f.interfaces.size());
  return f.packets[0];
}

void CheckPacket(const vswitch::testing::PcapngPacket& p, const std::vector<uint8_t>& held,
                 uint32_t pkt_len, uint16_t truncate, uint8_t direction) {
  uint32_t want = pkt_len;
  if (truncate != 0 && truncate < want) {
    want = truncate;
  }
  want = std::min<uint32_t>({want, PcapngWriter::kMaxCaptureLen,
                             static_cast<uint32_t>(held.size())});
  FUZZ_CHECK(p.captured == want, "captured %u, expected %u (pkt_len %u, held %zu, trunc %u)",
             p.captured, want, pkt_len, held.size(), truncate);
  FUZZ_CHECK(p.original == pkt_len, "original %u, pkt_len %u", p.original, pkt_len);
  FUZZ_CHECK(std::equal(p.data.begin(), p.data.end(), held.begin()),
             "captured bytes differ from the frame");
  FUZZ_CHECK(p.flags == (direction == kDirFromVm ? 1u : 2u), "EPB flags %u", p.flags);
}

std::unique_ptr<Snapshot> MakeSnapshot(uint16_t truncate, bool mark, PcapngWriter* writer) {
  auto s = std::make_unique<Snapshot>();
  s->generation = 1;
  s->cache_tag = 1;
  s->struct_tag = 1;
  s->uplink.present = true;
  s->uplink.port = g_env->uplink;
  s->uplink.encap_queue = 0;
  s->uplink.mtu = kMtu;
  s->uplink.ip_be = rte_cpu_to_be_32(RTE_IPV4(192, 0, 2, 10));
  const uint8_t up_mac[6] = {0x02, 0, 0, 0, 0x01, 0};
  std::memcpy(s->uplink.mac, up_mac, 6);
  DestInfo vx;
  vx.id = 1;
  vx.slot = kVxlanSlot;
  vx.vni = 5000;
  vx.udp_port = 4789;
  vx.mark_copies = mark;
  vx.n_collectors = 1;
  vx.collectors[0].ip_be = rte_cpu_to_be_32(RTE_IPV4(192, 0, 2, 20));
  vx.collectors[0].resolved = true;
  const uint8_t col_mac[6] = {0x02, 0, 0, 0, 0x02, 0};
  std::memcpy(vx.collectors[0].next_hop_mac, col_mac, 6);
  vx.rings[0] = g_env->vxlan_ring;
  s->dests.push_back(vx);
  DestInfo pc;
  pc.id = 2;
  pc.slot = kPcapngSlot;
  pc.pcapng = writer;
  pc.rings[0] = g_env->pcapng_ring;
  s->dests.push_back(pc);
  SessionInfo si;
  si.id = 7;
  si.slot = kSessionSlot;
  si.truncate = truncate;
  si.n_dests = 2;
  si.dests[0] = 0;
  si.dests[1] = 1;
  s->sessions.push_back(si);
  return s;
}

void CheckNoLeak(unsigned pool_base) {
  FUZZ_CHECK(rte_mempool_in_use_count(g_env->pool) == pool_base, "frame mbufs leaked");
  FUZZ_CHECK(rte_mempool_in_use_count(g_env->clones) == 0, "clone mbufs leaked");
  FUZZ_CHECK(rte_mempool_in_use_count(g_env->headers) == 0, "header mbufs leaked");
}

}  // namespace
}  // namespace vswitch::dataplane

extern "C" int LLVMFuzzerInitialize(int* argc, char*** argv) {
  using namespace vswitch;
  if (!testing::StartEal(*argc > 0 ? (*argv)[0] : "chain_fuzz", "fc")) {
    std::abort();
  }
  FUZZ_CHECK(dataplane::RegisterMirrorMeta() >= 0, "mirror dynfield");
  auto* env = new dataplane::Env;
  // The longest layout is 200 segments (or the 131 that kMaxFrame needs);
  // a copy per destination clones every segment.
  env->pool = testing::MakeTestPool("fc_pkt", 2047).release();
  env->clones =
      testing::MakeTestPool("fc_cl", 1023, RTE_PKTMBUF_HEADROOM + dataplane::kCopyMaxLen)
          .release();
  env->headers = testing::MakeTestPool("fc_hdr", 63).release();
  FUZZ_CHECK(env->pool && env->clones && env->headers, "pools");
  auto port = testing::StartRingPort("net_ring_fzc", env->pool);
  FUZZ_CHECK(port.ok(), "uplink: %s", port.status().ToString().c_str());
  env->uplink = *port;
  env->vxlan_ring = rte_ring_create("fc_vx", 64, SOCKET_ID_ANY, RING_F_SP_ENQ | RING_F_SC_DEQ);
  env->pcapng_ring = rte_ring_create("fc_pc", 64, SOCKET_ID_ANY, RING_F_SP_ENQ | RING_F_SC_DEQ);
  FUZZ_CHECK(env->vxlan_ring && env->pcapng_ring, "rings");
  char tmpl[] = "/tmp/chain_fuzz.XXXXXX";
  FUZZ_CHECK(mkdtemp(tmpl) != nullptr, "temporary directory");
  env->dir = tmpl;
  env->dir_fd = open(tmpl, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  FUZZ_CHECK(env->dir_fd >= 0, "open %s", tmpl);
  // The directory goes with the process (it holds no file between inputs).
  std::atexit([] { rmdir(vswitch::dataplane::g_env->dir.c_str()); });
  dataplane::g_env = env;
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace vswitch::dataplane;
  if (size < kControl) {
    return 0;
  }
  const uint16_t truncate = static_cast<uint16_t>(data[0] | data[1] << 8);
  const uint32_t asked = uint32_t{data[2]} | uint32_t{data[3]} << 8 | uint32_t{data[4]} << 16;
  const unsigned nsegs = 1u + data[5] % 200u;
  const uint8_t mode = data[7] & 3;
  const uint32_t amount = (data[7] >> 2) + 1u;
  const uint8_t direction = (data[8] & 1) != 0 ? kDirToVm : kDirFromVm;
  const bool mark = (data[8] & 2) != 0;
  const uint8_t* pattern = data + kControl;
  const size_t plen = size - kControl;
  const size_t len = std::min<size_t>(asked != 0 ? asked : plen, kMaxFrame);
  std::vector<uint8_t> frame(len);
  for (size_t i = 0; i < len; ++i) {
    frame[i] = plen != 0 ? pattern[i % plen] : static_cast<uint8_t>(i);
  }

  const unsigned pool_base = rte_mempool_in_use_count(g_env->pool);
  const std::vector<size_t> cuts = Layout(len, nsegs, data[6]);
  rte_mbuf* primary = vswitch::testing::MbufChain(g_env->pool, frame, cuts);
  FUZZ_CHECK(primary != nullptr, "frame pool empty (an earlier input leaked)");
  FUZZ_CHECK(!BadChain(primary), "a consistent chain of %zu segments is called bad",
             cuts.size());
  switch (mode) {
    case 1:  // net_pcap: a record's length through a uint16_t.
      primary->pkt_len += 65536u * (1 + (amount & 3));
      break;
    case 2:
      if (amount % 2 == 0 || primary->pkt_len < amount) {
        primary->pkt_len += amount;
      } else {
        primary->pkt_len -= amount;
      }
      break;
    case 3:
      if (amount % 2 == 0 || primary->nb_segs <= amount) {
        primary->nb_segs = static_cast<uint16_t>(primary->nb_segs + amount);
      } else {
        primary->nb_segs = static_cast<uint16_t>(primary->nb_segs - amount);
      }
      break;
    default:
      break;
  }
  FUZZ_CHECK(BadChain(primary) == (mode != 0), "BadChain %d for lie mode %u",
             BadChain(primary), mode);
  auto writer = std::make_unique<PcapngWriter>(g_env->dir_fd, kFile, 0);
  FUZZ_CHECK(writer->Open() == 0, "pcapng file");
  auto snap = MakeSnapshot(truncate, mark, writer.get());
  auto fwd_stats = std::make_unique<LcoreStats>();
  auto stats = std::make_unique<LcoreStats>();

  if (mode != 0) {
    // The forwarder drops it (bad_chain); should one reach the writer
    // anyway, it writes what the chain holds and reads nothing past it.
    const uint32_t pkt_len = primary->pkt_len;
    MirrorMeta* meta = MirrorMetaOf(primary);
    std::memset(meta, 0, sizeof(*meta));
    meta->vport_id = kVportId;
    meta->session_slot = kSessionSlot;
    meta->truncate = truncate;
    meta->direction = direction;
    meta->flags = kMetaIsCopy;
    meta->tsc = rte_get_tsc_cycles();
    rte_mbuf* one[1] = {primary};
    writer->Write(*snap, one, 1, stats->dests[kPcapngSlot], stats->sessions);
    writer.reset();
    CheckPacket(ReadOnePacket(), frame, pkt_len, truncate, direction);
    FUZZ_CHECK(stats->sessions[kSessionSlot].sent_packets.Load() == 1, "not counted sent");
    CheckNoLeak(pool_base);
    return 0;
  }

  {
    MirrorStage stage(0, g_env->clones, fwd_stats.get());
    stage.Stage(*snap, primary, 1u, direction, kVportId, rte_rdtsc());
  }
  FUZZ_CHECK(fwd_stats->sessions[kSessionSlot].cloned.Load() == 2, "copies not staged: %lu",
             static_cast<unsigned long>(fwd_stats->sessions[kSessionSlot].cloned.Load()));
  EncapWorker worker(1, g_env->headers, stats.get());
  FUZZ_CHECK(worker.Poll(*snap, rte_get_tsc_cycles(), 64) == 2, "copies not handled");

  // VXLAN: one copy, cut to truncation and the uplink MTU.
  std::vector<rte_mbuf*> sent = vswitch::testing::DrainPort(g_env->uplink);
  FUZZ_CHECK(sent.size() == 1, "%zu frames sent for one copy", sent.size());
  const uint32_t inner = InnerLenFor(static_cast<uint32_t>(len), truncate, kMtu);
  const std::vector<uint8_t> out = CheckedChainBytes(sent[0]);
  FUZZ_CHECK(out.size() == kVxlanOverhead + inner, "sent %zu bytes, expected 50 + %u",
             out.size(), inner);
  FUZZ_CHECK(inner == 0 || std::memcmp(out.data() + kVxlanOverhead, frame.data(), inner) == 0,
             "inner bytes differ from the frame");
  vswitch::testing::FreeAll(sent);
  const MirrorSlotCounters& vx = stats->dests[kVxlanSlot];
  FUZZ_CHECK(vx.sent_packets.Load() == 1 && vx.truncated.Load() == (inner < len ? 1u : 0u),
             "VXLAN counters sent %lu truncated %lu",
             static_cast<unsigned long>(vx.sent_packets.Load()),
             static_cast<unsigned long>(vx.truncated.Load()));

  // pcapng: one EPB of the frame, cut to truncation and kMaxCaptureLen.
  writer.reset();
  CheckPacket(ReadOnePacket(), frame, static_cast<uint32_t>(len), truncate, direction);
  const MirrorSlotCounters& pc = stats->dests[kPcapngSlot];
  const bool cut = (truncate != 0 && truncate < len) || len > PcapngWriter::kMaxCaptureLen;
  FUZZ_CHECK(pc.sent_packets.Load() == 1 && pc.truncated.Load() == (cut ? 1u : 0u),
             "pcapng counters sent %lu truncated %lu",
             static_cast<unsigned long>(pc.sent_packets.Load()),
             static_cast<unsigned long>(pc.truncated.Load()));

  // The primary (shared payload) is whole and unchanged.
  const std::vector<uint8_t> after = CheckedChainBytes(primary);
  FUZZ_CHECK(after == frame, "primary frame changed");
  FUZZ_CHECK(rte_mbuf_refcnt_read(primary) == 1, "primary still referenced");
  rte_pktmbuf_free(primary);
  CheckNoLeak(pool_base);
  return 0;
}
