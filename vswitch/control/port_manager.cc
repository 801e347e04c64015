// SPDX-License-Identifier: Apache-2.0
#include "vswitch/control/port_manager.h"

#include <linux/if_packet.h>
#include <rte_bus_vdev.h>
#include <rte_dev.h>
#include <rte_ethdev.h>

#include <algorithm>
#include <string_view>

#include "absl/strings/numbers.h"
#include "absl/strings/str_format.h"
#include "drivers/vport_driver.h"
#include "lib/dpdk/dpdk_status.h"
#include "lib/net/mac_address.h"

#include <glog/logging.h>

namespace vswitch::control {
namespace {

constexpr uint16_t kRxDesc = 1024;
constexpr uint16_t kTxDesc = 1024;

// Link changes (a vhost guest's virtio driver coming up or going away:
// shutdown, reboot, crash). The data path needs nothing: net_vhost
// receives and sends nothing while the guest is away, and counters live
// on. Runs on the thread that saw the change (vhost's event thread).
int OnLinkChange(uint16_t port, rte_eth_event_type /*event*/, void* /*arg*/, void* /*ret*/) {
  rte_eth_link link{};
  rte_eth_link_get_nowait(port, &link);
  LOG(INFO) << "port " << port << " link " << (link.link_status == RTE_ETH_LINK_UP ? "up" : "down");
  return 0;
}

// The longest frame (pkt_len) the PMD sends; what is longer it refuses or
// loses. net_tap: MTU + 22 (its own check; it then stops the burst there).
// net_af_packet: the TX ring's frame size less the 32-byte tpacket2 header
// (default framesz 2048; longer frames are freed yet reported sent). The
// others (pcap, ring, null, vhost) have no limit of their own.
uint32_t MaxTxFrame(uint16_t port, std::string_view driver_name, std::string_view spec) {
  if (driver_name == "net_tap") {
    uint16_t mtu = 0;
    if (rte_eth_dev_get_mtu(port, &mtu) != 0) {
      return UINT32_MAX;
    }
    return uint32_t{mtu} + RTE_ETHER_HDR_LEN + RTE_ETHER_CRC_LEN + RTE_VLAN_HLEN;
  }
  if (driver_name == "net_af_packet") {
    uint32_t framesz = 2048;
    auto parsed = drivers::ParseDriverSpec(spec);
    if (const std::string* v = parsed.ok() ? parsed->Find("framesz") : nullptr) {
      if (!absl::SimpleAtoi(*v, &framesz)) {
        return UINT32_MAX;
      }
    }
    return framesz > TPACKET_ALIGN(sizeof(tpacket2_hdr)) ? framesz - TPACKET_ALIGN(sizeof(tpacket2_hdr))
                                                        : UINT32_MAX;
  }
  return UINT32_MAX;
}

absl::Status ConfigureAndStart(uint16_t port, PortSpec spec, drivers::RxQueueModel rx_model,
                               rte_mempool* pool, uint16_t* rx_queues_out,
                               uint32_t* max_frame_out) {
  rte_eth_dev_info info{};
  int ret = rte_eth_dev_info_get(port, &info);
  if (ret != 0) {
    return dpdk::DpdkError(absl::StrFormat("rte_eth_dev_info_get(port %u)", port), ret);
  }
  const std::string_view driver_name = info.driver_name;
  // Every receive queue the device has, or opened at probe, is configured
  // and polled (see drivers::RxQueueModel).
  spec.rx_queues =
      drivers::RxQueuesToPoll(rx_model, spec.rx_queues, spec.tx_queues, info.max_rx_queues);
  *rx_queues_out = spec.rx_queues;
  if (info.max_rx_queues < spec.rx_queues) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "the device supports at most %u receive queues; %u are needed", info.max_rx_queues,
        spec.rx_queues));
  }
  if (info.max_tx_queues < spec.tx_queues) {
    return absl::UnavailableError(absl::StrFormat("the device supports %u transmit queues; %s",
                                                  info.max_tx_queues,
                                                  drivers::TxQueuesWhy(spec.tx_queues)));
  }
  rte_eth_conf conf{};
  // A vhost guest coming and going is logged as it happens.
  if (driver_name == "net_vhost") {
    conf.intr_conf.lsc = 1;
  }
  // Encap chains a header mbuf in front of each mirror copy.
  conf.txmode.offloads = info.tx_offload_capa & RTE_ETH_TX_OFFLOAD_MULTI_SEGS;
  // A frame longer than one mbuf (a VM with a jumbo MTU) arrives as a chain
  // instead of being dropped in the device where only its ierrors shows it
  // (net_tap: costs no mbufs, its queue holds one chain of nb_rxd anyway).
  // Too long for the output port, it is then counted as mtu_exceeded.
  conf.rxmode.offloads = info.rx_offload_capa & RTE_ETH_RX_OFFLOAD_SCATTER;
  if (spec.rx_queues > 1) {
    conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
    conf.rx_adv_conf.rss_conf.rss_hf = RTE_ETH_RSS_IP & info.flow_type_rss_offloads;
  }
  ret = rte_eth_dev_configure(port, spec.rx_queues, spec.tx_queues, &conf);
  if (ret != 0) {
    return dpdk::DpdkError(absl::StrFormat("rte_eth_dev_configure(port %u)", port), ret);
  }
  uint16_t nb_rxd = kRxDesc;
  uint16_t nb_txd = kTxDesc;
  rte_eth_dev_adjust_nb_rx_tx_desc(port, &nb_rxd, &nb_txd);
  const int socket = rte_eth_dev_socket_id(port);
  for (uint16_t q = 0; q < spec.rx_queues; ++q) {
    ret = rte_eth_rx_queue_setup(port, q, nb_rxd, socket, nullptr, pool);
    if (ret != 0) {
      return dpdk::DpdkError(absl::StrFormat("rte_eth_rx_queue_setup(port %u, queue %u)", port, q),
                             ret);
    }
  }
  for (uint16_t q = 0; q < spec.tx_queues; ++q) {
    ret = rte_eth_tx_queue_setup(port, q, nb_txd, socket, nullptr);
    if (ret != 0) {
      return dpdk::DpdkError(absl::StrFormat("rte_eth_tx_queue_setup(port %u, queue %u)", port, q),
                             ret);
    }
  }
  if (spec.mtu != 0) {
    // pcap, ring and null have no MTU (ENOTSUP) and no limit. A device that
    // refuses it would send no copy longer than its own MTU (net_tap: 1504
    // at most), so the uplink is refused rather than left at another MTU.
    ret = rte_eth_dev_set_mtu(port, spec.mtu);
    if (ret != 0 && ret != -ENOTSUP) {
      const uint32_t overhead = info.max_mtu != UINT16_MAX && info.max_rx_pktlen > info.max_mtu
                                    ? info.max_rx_pktlen - info.max_mtu
                                    : RTE_ETHER_HDR_LEN + RTE_ETHER_CRC_LEN;
      const uint32_t max_mtu =
          std::min<uint32_t>(info.max_mtu, info.max_rx_pktlen > overhead
                                               ? info.max_rx_pktlen - overhead
                                               : 0);
      return absl::InvalidArgumentError(absl::StrFormat(
          "mtu %u: device %s takes at most %u (%s)", spec.mtu, driver_name, max_mtu,
          rte_strerror(-ret)));
    }
  }
  ret = rte_eth_dev_start(port);
  if (ret != 0) {
    return dpdk::DpdkError(absl::StrFormat("rte_eth_dev_start(port %u)", port), ret);
  }
  // A switch port sees every frame; vdevs that cannot do this ignore it.
  rte_eth_promiscuous_enable(port);
  *max_frame_out = MaxTxFrame(port, driver_name, spec.driver_spec);
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<PortInfoOut> PortManager::Create(const PortSpec& spec) {
  auto parsed = drivers::ParseDriverSpec(spec.driver_spec);
  auto driver = parsed.ok() ? drivers::FindDriver(parsed->driver)
                            : absl::StatusOr<const drivers::VportDriver*>(parsed.status());
  if (!driver.ok()) {
    return driver.status();
  }
  auto req = drivers::BuildVdevRequest(spec.driver_spec, spec.unique,
                                       {.vport_name = spec.vport_name,
                                        .vhost_dir = vhost_dir_,
                                        .rx_queues = spec.rx_queues,
                                        .tx_queues = spec.tx_queues});
  if (!req.ok()) {
    return req.status();
  }
  // Else the probe fails with a bare ENOMEM.
  if (rte_eth_dev_count_total() >= RTE_MAX_ETHPORTS) {
    return absl::ResourceExhaustedError(
        absl::StrFormat("all %d DPDK ports are in use; remove a vport first", RTE_MAX_ETHPORTS));
  }
  int ret = rte_dev_probe(req->devargs.c_str());
  if (ret != 0) {
    return absl::UnavailableError(
        absl::StrFormat("creating device '%s' failed: %s", req->devargs, rte_strerror(-ret)));
  }
  uint16_t port = 0;
  ret = rte_eth_dev_get_port_by_name(req->name.c_str(), &port);
  if (ret != 0) {
    rte_eal_hotplug_remove("vdev", req->name.c_str());
    return absl::UnavailableError(
        absl::StrFormat("device '%s' created no ethdev port", req->name));
  }
  uint16_t rx_queues = spec.rx_queues;
  uint32_t max_frame = UINT32_MAX;
  absl::Status st = ConfigureAndStart(port, spec, (*driver)->rx_model, pool_, &rx_queues, &max_frame);
  if (!st.ok()) {
    Destroy(port, req->name);
    return st;
  }
  rte_eth_dev_callback_register(port, RTE_ETH_EVENT_INTR_LSC, &OnLinkChange, nullptr);
  rte_ether_addr mac{};
  rte_eth_macaddr_get(port, &mac);
  LOG(INFO) << "port " << port << " created: " << req->devargs;
  return PortInfoOut{.port_id = port,
                     .rx_queues = rx_queues,
                     .vdev_name = req->name,
                     .mac = net::FormatMac(mac.addr_bytes),
                     .max_frame = max_frame};
}

void PortManager::Destroy(uint16_t port_id, const std::string& vdev_name) {
  rte_eth_dev_callback_unregister(port_id, RTE_ETH_EVENT_INTR_LSC, &OnLinkChange, nullptr);
  int ret = rte_eth_dev_stop(port_id);
  if (ret != 0) {
    LOG(WARNING) << "rte_eth_dev_stop(port " << port_id << "): " << rte_strerror(-ret);
  }
  rte_eth_dev_close(port_id);
  ret = rte_eal_hotplug_remove("vdev", vdev_name.c_str());
  if (ret != 0) {
    LOG(WARNING) << "rte_eal_hotplug_remove(" << vdev_name << "): " << rte_strerror(-ret);
  }
  LOG(INFO) << "port " << port_id << " destroyed (" << vdev_name << ")";
}

bool PortManager::LinkUp(uint16_t port_id) {
  rte_eth_link link{};
  if (rte_eth_link_get_nowait(port_id, &link) != 0) {
    return false;
  }
  return link.link_status == RTE_ETH_LINK_UP;
}

}  // namespace vswitch::control
