// SPDX-License-Identifier: Apache-2.0
//
// vswitchd: the DPDK primary process. Wires EAL, the packet pool, the
// forwarding lcores, the config store and the gRPC server; the main thread
// then runs MAC learning, aging and snapshot reclaim until SIGINT/SIGTERM.
#include <grp.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_lcore.h>
#include <rte_ring.h>
#include <rte_ring_elem.h>

#include <gflags/gflags.h>
#include <glog/logging.h>
#include <grpcpp/grpcpp.h>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "apps/vswitchd/dpdk_log.h"
#include "apps/vswitchd/flags.h"
#include "lib/dpdk/mempool.h"
#include "vswitch/control/config_file.h"
#include "vswitch/control/config_store.h"
#include "vswitch/control/port_manager.h"
#include "vswitch/control/snapshot_publisher.h"
#include "vswitch/control/stats.h"
#include "vswitch/control/telemetry.h"
#include "vswitch/dataplane/forwarding_loop.h"
#include "vswitch/dataplane/mirror_meta.h"
#include "vswitch/dataplane/mirror_stage.h"
#include "vswitch/rpc/vswitch_service.h"
#include "vswitch/shell/shell_thread.h"

namespace vswitch::app {
namespace {

std::atomic<bool> g_stop{false};

void OnSignal(int) { g_stop.store(true); }

[[noreturn]] void Exit2(const std::string& msg) {
  std::fprintf(stderr, "vswitchd: %s\n", msg.c_str());
  std::exit(2);
}

// The CPU of each lcore: its own id unless --lcore_cpus maps it elsewhere.
uint32_t CpuOf(uint32_t lcore) {
  for (absl::string_view part : absl::StrSplit(FLAGS_lcore_cpus, ',', absl::SkipEmpty())) {
    std::pair<std::string, std::string> lc = absl::StrSplit(part, '@');
    uint32_t l = 0;
    uint32_t c = 0;
    if (absl::SimpleAtoi(lc.first, &l) && absl::SimpleAtoi(lc.second, &c) && l == lcore) {
      return c;  // Format checked by the flag's validator.
    }
  }
  return lcore;
}

std::vector<uint32_t> FwdLcores() {
  std::vector<uint32_t> out;
  for (absl::string_view part : absl::StrSplit(FLAGS_fwd_lcores, ',')) {
    uint32_t id = 0;
    absl::SimpleAtoi(part, &id);  // Checked by the flag's validator.
    for (uint32_t seen : out) {
      if (seen == id) {
        Exit2(absl::StrFormat("--fwd_lcores=%s lists lcore %u twice", FLAGS_fwd_lcores, id));
      }
    }
    if (id == FLAGS_main_lcore) {
      Exit2(absl::StrFormat("--fwd_lcores=%s includes the main lcore %u", FLAGS_fwd_lcores, id));
    }
    if (static_cast<int32_t>(id) == FLAGS_encap_lcore) {
      Exit2(absl::StrFormat("--encap_lcore=%d is also a forwarding lcore; leave it at -1 to "
                            "interleave encap on the first forwarding lcore",
                            FLAGS_encap_lcore));
    }
    out.push_back(id);
  }
  if (out.size() > dataplane::kMaxWorkers) {
    Exit2(absl::StrFormat("--fwd_lcores: at most %d forwarding lcores", dataplane::kMaxWorkers));
  }
  if (FLAGS_encap_lcore == static_cast<int32_t>(FLAGS_main_lcore)) {
    Exit2(absl::StrFormat("--encap_lcore=%d is the main lcore", FLAGS_encap_lcore));
  }
  // EAL would print its whole usage for a missing CPU; say it in one line.
  const long cpus = sysconf(_SC_NPROCESSORS_CONF);
  auto check_cpu = [&](const char* flag, long id) {
    if (id >= 0 && CpuOf(id) >= cpus) {
      Exit2(absl::StrFormat("--%s: lcore %d does not exist (this host has CPUs 0..%d%s)", flag,
                            id, cpus - 1, FLAGS_lcore_cpus.empty() ? "" : "; see --lcore_cpus"));
    }
  };
  check_cpu("main_lcore", FLAGS_main_lcore);
  for (uint32_t id : out) {
    check_cpu("fwd_lcores", id);
  }
  check_cpu("encap_lcore", FLAGS_encap_lcore);
  return out;
}

// True when hugetlbfs is mounted and has free pages.
bool HugepagesAvailable() {
  std::ifstream mounts("/proc/mounts");
  std::string line;
  bool mounted = false;
  while (std::getline(mounts, line)) {
    mounted |= line.find(" hugetlbfs ") != std::string::npos;
  }
  if (!mounted) {
    return false;
  }
  std::ifstream meminfo("/proc/meminfo");
  while (std::getline(meminfo, line)) {
    if (line.rfind("HugePages_Free:", 0) == 0) {
      uint64_t n = 0;
      return absl::SimpleAtoi(absl::StripAsciiWhitespace(line.substr(15)), &n) && n > 0;
    }
  }
  return false;
}

// Refuses to start over a live daemon; removes a stale socket file.
void PrepareSocketPath(const std::string& path) {
  const std::string dir = path.substr(0, path.rfind('/'));
  if (!dir.empty()) {
    std::string partial;
    for (absl::string_view part : absl::StrSplit(dir, '/', absl::SkipEmpty())) {
      partial += "/" + std::string(part);
      mkdir(partial.c_str(), 0755);
    }
  }
  struct stat st {};
  if (stat(path.c_str(), &st) != 0) {
    return;
  }
  int fd = socket(AF_UNIX, SOCK_STREAM, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", path.c_str());
  const bool live = connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  close(fd);
  if (live) {
    Exit2(absl::StrFormat("--socket=%s: another vswitchd is serving it", path));
  }
  unlink(path.c_str());
}

std::string ReadFileOrExit(const char* flag, const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    Exit2(absl::StrFormat("--%s=%s: cannot open it: %s", flag, path, std::strerror(errno)));
  }
  std::string data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (data.empty()) {
    Exit2(absl::StrFormat("--%s=%s: the file is empty", flag, path));
  }
  return data;
}

// TLS for --listen; read before EAL starts so a bad file is one line and exit 2.
std::shared_ptr<grpc::ServerCredentials> TlsCredentialsOrExit() {
  grpc::SslServerCredentialsOptions opts(GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE);
  opts.pem_key_cert_pairs.push_back(
      {ReadFileOrExit("tls_key", FLAGS_tls_key), ReadFileOrExit("tls_cert", FLAGS_tls_cert)});
  if (!FLAGS_tls_client_ca.empty()) {
    opts.pem_root_certs = ReadFileOrExit("tls_client_ca", FLAGS_tls_client_ca);
    opts.client_certificate_request = GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY;
  }
  return grpc::SslServerCredentials(opts);
}

std::vector<std::string> EalArgs(const std::vector<uint32_t>& fwd) {
  // With --lcore_cpus, EAL gets --lcores L@C,... (lcore ids stay ours).
  const bool mapped = !FLAGS_lcore_cpus.empty();
  auto one = [&](uint32_t l) {
    return mapped ? absl::StrFormat("%u@%u", l, CpuOf(l)) : absl::StrFormat("%u", l);
  };
  std::string lcores = one(FLAGS_main_lcore);
  for (uint32_t l : fwd) {
    absl::StrAppend(&lcores, ",", one(l));
  }
  if (FLAGS_encap_lcore >= 0) {
    absl::StrAppend(&lcores, ",", one(static_cast<uint32_t>(FLAGS_encap_lcore)));
  }
  std::vector<std::string> args = {"vswitchd",      mapped ? "--lcores" : "-l",
                                   lcores,          "--main-lcore",
                                   absl::StrFormat("%u", FLAGS_main_lcore),
                                   "--file-prefix", FLAGS_file_prefix,
                                   "-m",            absl::StrFormat("%u", FLAGS_mem_mb)};
  bool huge = FLAGS_hugepages == "on" || (FLAGS_hugepages == "auto" && HugepagesAvailable());
  if (!huge) {
    args.push_back("--no-huge");
  }
  if (!FLAGS_pci) {
    args.push_back("--no-pci");
  }
  for (absl::string_view a : absl::StrSplit(FLAGS_eal_args, ' ', absl::SkipEmpty())) {
    args.emplace_back(a);
  }
  return args;
}

// --check-config: the checks a start would make of the file, short of the
// host (interfaces, sockets) and without EAL.
int CheckConfig(const std::string& path) {
  auto loaded = control::LoadConfigFile(path);
  if (!loaded.ok()) {
    std::fprintf(stderr, "vswitchd: %s\n", std::string(loaded.status().message()).c_str());
    return 2;
  }
  if (!loaded->has_value()) {
    std::fprintf(stderr, "vswitchd: %s: no such file\n", path.c_str());
    return 2;
  }
  std::printf("%s: OK (%d vnets, %d vports, %d tap sessions)\n", path.c_str(),
              (*loaded)->vnets_size(), (*loaded)->vports_size(), (*loaded)->tap_sessions_size());
  return 0;
}

int Run(int argc, char** argv) {
  ParseFlagsOrExit(argc, argv);
  if (!FLAGS_check_config.empty()) {
    return CheckConfig(FLAGS_check_config);
  }
  FLAGS_logtostderr = FLAGS_log_dir.empty();
  google::InitGoogleLogging("vswitchd");
  const std::vector<uint32_t> fwd = FwdLcores();
  // A corrupt or invalid config file stops the start before anything else
  // (one line naming the file and line or field, exit 2; the file is left
  // as it is).
  std::optional<v1::Config> saved_config;
  if (!FLAGS_config.empty()) {
    auto loaded = control::LoadConfigFile(FLAGS_config);
    if (!loaded.ok()) {
      Exit2(absl::StrFormat("--config: %s", loaded.status().message()));
    }
    saved_config = *std::move(loaded);
  }
  PrepareSocketPath(FLAGS_socket);
  std::shared_ptr<grpc::ServerCredentials> tls;
  if (!FLAGS_listen.empty()) {
    tls = TlsCredentialsOrExit();
  }

  std::vector<std::string> eal_args = EalArgs(fwd);
  std::vector<char*> eal_argv;
  for (auto& a : eal_args) {
    eal_argv.push_back(a.data());
  }
  RouteDpdkLogToGlog();
  if (rte_eal_init(static_cast<int>(eal_argv.size()), eal_argv.data()) < 0) {
    Exit2(absl::StrFormat("EAL initialisation failed: %s (check --eal_args, --fwd_lcores, "
                          "--mem_mb; without hugepages use --hugepages=off)",
                          rte_strerror(rte_errno)));
  }
  LOG(INFO) << "vswitchd " << VSWITCH_VERSION << " starting; EAL: "
            << absl::StrJoin(eal_args, " ");

  const char* kPoolHint = " (hint: lower --mbufs or raise --mem_mb / reserve hugepages)";
  auto pool = dpdk::CreatePktPool("vswitch_pkts", FLAGS_mbufs);
  LOG_IF(FATAL, !pool.ok()) << pool.status() << kPoolHint;
  // Mirror copies: frames up to kCopyMaxLen are copied into these mbufs'
  // data room, larger ones are clones (indirect mbufs) that pin their
  // packet's buffer in vswitch_pkts. A quarter of it caps what mirroring can
  // hold, so a slow collector can never starve the VMs' receive queues
  // (clone_failed counts the excess). Encap headers of clones are small.
  auto clone_pool = dpdk::CreatePktPool("vswitch_clones", FLAGS_mbufs / 4,
                                        RTE_PKTMBUF_HEADROOM + dataplane::kCopyMaxLen);
  LOG_IF(FATAL, !clone_pool.ok()) << clone_pool.status() << kPoolHint;
  auto header_pool =
      dpdk::CreatePktPool("vswitch_encap_hdrs", FLAGS_mbufs / 2, RTE_PKTMBUF_HEADROOM + 64);
  LOG_IF(FATAL, !header_pool.ok()) << header_pool.status() << kPoolHint;
  LOG_IF(FATAL, dataplane::RegisterMirrorMeta() < 0)
      << "rte_mbuf_dynfield_register: " << rte_strerror(rte_errno);

  const uint16_t n_workers = static_cast<uint16_t>(fwd.size());
  const bool dedicated_encap = FLAGS_encap_lcore >= 0;
  auto publisher = control::SnapshotPublisher::Create(n_workers + (dedicated_encap ? 1 : 0));
  LOG_IF(FATAL, !publisher.ok()) << publisher.status();

  std::vector<std::unique_ptr<dataplane::LcoreStats>> lcore_stats;
  std::vector<rte_ring*> learn_rings;
  std::vector<rte_ring*> arp_rings;
  std::vector<const dataplane::LcoreStats*> stats_view;
  std::vector<control::WorkerRef> worker_refs;
  for (uint16_t w = 0; w < n_workers; ++w) {
    lcore_stats.push_back(std::make_unique<dataplane::LcoreStats>());
    stats_view.push_back(lcore_stats.back().get());
    worker_refs.push_back({fwd[w], w == 0 && !dedicated_encap ? "forwarding+encap" : "forwarding"});
    rte_ring* r = rte_ring_create_elem(absl::StrFormat("learn_w%u", w).c_str(),
                                       sizeof(dataplane::LearnEvent), 4096, SOCKET_ID_ANY,
                                       RING_F_SP_ENQ | RING_F_SC_DEQ);
    LOG_IF(FATAL, r == nullptr) << "rte_ring_create_elem(learn): " << rte_strerror(rte_errno);
    learn_rings.push_back(r);
    r = rte_ring_create(absl::StrFormat("arp_w%u", w).c_str(), 256, SOCKET_ID_ANY,
                        RING_F_SP_ENQ | RING_F_SC_DEQ);
    LOG_IF(FATAL, r == nullptr) << "rte_ring_create(arp): " << rte_strerror(rte_errno);
    arp_rings.push_back(r);
  }
  if (dedicated_encap) {
    lcore_stats.push_back(std::make_unique<dataplane::LcoreStats>());
    stats_view.push_back(lcore_stats.back().get());
    worker_refs.push_back({static_cast<uint32_t>(FLAGS_encap_lcore), "encap"});
  }
  control::StatsCollector stats(stats_view, worker_refs,
                                {pool->get(), clone_pool->get(), header_pool->get()});
  control::PortManager ports(pool->get(), FLAGS_vhost_dir);
  control::ConfigStore store(
      control::ConfigStoreOptions{.n_workers = n_workers,
                                  .mac_learning = FLAGS_mac_learning,
                                  .mac_aging = absl::Seconds(FLAGS_mac_aging_sec),
                                  .pool = pool->get(),
                                  .config_path = FLAGS_config,
                                  .capture_dir = FLAGS_capture_dir},
      publisher->get(), &ports, &stats);
  absl::Status st = store.Start();
  LOG_IF(FATAL, !st.ok()) << "initial snapshot: " << st;
  // Restored before the workers start and before any RPC is served.
  if (saved_config.has_value()) {
    st = store.RestoreConfig(*saved_config);
    if (!st.ok()) {
      Exit2(absl::StrFormat("--config: %s: cannot restore (file left as it is): %s",
                            FLAGS_config, st.message()));
    }
  }

  // The encap worker writes the counters of the lcore it runs on: its own,
  // or the first forwarding lcore's when interleaved there.
  // Copies for collector VMs on this host: encap worker -> worker 0.
  rte_ring* local_copies = rte_ring_create("vswitch_local_copies", 1024, rte_socket_id(),
                                           RING_F_SP_ENQ | RING_F_SC_DEQ);
  LOG_IF(FATAL, local_copies == nullptr) << "rte_ring_create(vswitch_local_copies): "
                                         << rte_strerror(rte_errno) << kPoolHint;
  dataplane::EncapWorker encap(
      n_workers, header_pool->get(),
      dedicated_encap ? lcore_stats.back().get() : lcore_stats.front().get(), local_copies);
  std::unique_ptr<dataplane::EncapLoop> encap_loop;
  std::vector<std::unique_ptr<dataplane::ForwardingLoop>> loops;
  for (uint16_t w = 0; w < n_workers; ++w) {
    dataplane::ForwardingLoopOptions o{.worker = w,
                                       .flow_cache_entries = FLAGS_flow_cache_entries,
                                       .idle_sleep_us = FLAGS_idle_sleep_us,
                                       .idle_polls_before_sleep = FLAGS_idle_polls};
    dataplane::ForwarderContext ctx{.worker = w,
                                    .stats = lcore_stats[w].get(),
                                    .learn_ring = learn_rings[w],
                                    .arp_ring = arp_rings[w],
                                    .clone_pool = clone_pool->get(),
                                    .header_pool = header_pool->get(),
                                    .local_copies = w == 0 ? local_copies : nullptr,
                                    .flow_cache_entries = FLAGS_flow_cache_entries};
    loops.push_back(std::make_unique<dataplane::ForwardingLoop>(
        o, ctx, &(*publisher)->slot(), (*publisher)->qsbr(),
        w == 0 && !dedicated_encap ? &encap : nullptr));
    int ret = rte_eal_remote_launch(&dataplane::ForwardingLoop::Launch, loops.back().get(), fwd[w]);
    LOG_IF(FATAL, ret != 0) << "launching the forwarding loop on lcore " << fwd[w] << ": "
                            << rte_strerror(-ret);
    LOG(INFO) << "forwarding worker " << w << " on lcore " << fwd[w]
              << (w == 0 && !dedicated_encap ? " (encap interleaved)" : "");
  }
  if (dedicated_encap) {
    encap_loop = std::make_unique<dataplane::EncapLoop>(
        dataplane::EncapLoopOptions{.qsbr_thread = n_workers,
                                    .idle_sleep_us = FLAGS_idle_sleep_us,
                                    .idle_polls_before_sleep = FLAGS_idle_polls},
        &encap, &(*publisher)->slot(), (*publisher)->qsbr(), lcore_stats.back().get());
    int ret = rte_eal_remote_launch(&dataplane::EncapLoop::Launch, encap_loop.get(),
                                    static_cast<unsigned>(FLAGS_encap_lcore));
    LOG_IF(FATAL, ret != 0) << "launching the encap loop on lcore " << FLAGS_encap_lcore << ": "
                            << rte_strerror(-ret);
    LOG(INFO) << "encap worker on lcore " << FLAGS_encap_lcore;
  }

  control::RegisterTelemetry(&store);
  rpc::VSwitchService service(&store, n_workers);
  grpc::ServerBuilder builder;
  builder.AddListeningPort("unix:" + FLAGS_socket, grpc::InsecureServerCredentials());
  int tcp_port = 0;
  if (tls != nullptr) {
    builder.AddListeningPort(FLAGS_listen, tls, &tcp_port);
  }
  // A bounded request size: a larger request is refused (RESOURCE_EXHAUSTED)
  // before it is parsed. The biggest real request, ApplyConfig, stays far below.
  builder.SetMaxReceiveMessageSize(rpc::kMaxRequestBytes);
  builder.RegisterService(&service);
  // The socket is born 0660: no window in which others may connect.
  const mode_t old_umask = umask(0117);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  umask(old_umask);
  if (server == nullptr || (tls != nullptr && tcp_port == 0)) {
    Exit2(absl::StrFormat("cannot serve the API on unix:%s%s", FLAGS_socket,
                          tls != nullptr ? " and " + FLAGS_listen : ""));
  }
  if (!FLAGS_socket_group.empty()) {
    const group* g = getgrnam(FLAGS_socket_group.c_str());
    if (g == nullptr || chown(FLAGS_socket.c_str(), 0, g->gr_gid) != 0) {
      Exit2(absl::StrFormat("--socket_group=%s: cannot give %s to it: %s", FLAGS_socket_group,
                            FLAGS_socket, std::strerror(errno)));
    }
  }
  LOG(INFO) << "serving vswitch.v1.VSwitch on unix:" << FLAGS_socket
            << (tls != nullptr ? " and TLS " + FLAGS_listen : "");

  struct sigaction sa {};
  sa.sa_handler = OnSignal;
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);

  // --interactive: the vsctl shell on this terminal, a client of our own
  // socket. Quitting it stops the daemon as SIGTERM does, unless
  // --detach_shell_on_quit.
  std::unique_ptr<shell::ShellThread> shell_thread;
  if (FLAGS_interactive) {
    shell_thread = std::make_unique<shell::ShellThread>(
        FLAGS_socket,
        shell::ShellOptions{.prompt = "vswitchd> ",
                            .history_path = shell::DefaultHistoryPath(),
                            .handle_signals = false},
        [] {
          if (!FLAGS_detach_shell_on_quit) {
            g_stop.store(true);
          }
        });
  }

  // Main loop: learning, aging, reclaim. Sleeps between rounds: none of it
  // is latency critical (a new MAC floods until learned).
  std::vector<dataplane::LearnEvent> events(1024);
  rte_mbuf* arp_frames[64];
  absl::Time last_age = absl::Now();
  absl::Time last_arp = absl::InfinitePast();
  while (!g_stop.load()) {
    const absl::Time now = absl::Now();
    for (rte_ring* r : learn_rings) {
      unsigned n = rte_ring_sc_dequeue_burst_elem(r, events.data(), sizeof(dataplane::LearnEvent),
                                                  static_cast<unsigned>(events.size()), nullptr);
      if (n > 0) {
        store.HandleLearnEvents(events.data(), n, now);
      }
    }
    for (rte_ring* r : arp_rings) {
      unsigned n = rte_ring_sc_dequeue_burst(r, reinterpret_cast<void**>(arp_frames), 64, nullptr);
      if (n > 0) {
        store.HandleArpFrames(arp_frames, n, now);
      }
    }
    if (now - last_arp >= absl::Milliseconds(100)) {
      store.TickArp(now);
      last_arp = now;
    }
    if (now - last_age >= absl::Seconds(1)) {
      store.AgeMacs(now);
      last_age = now;
    }
    (*publisher)->Reclaim();
    absl::SleepFor(absl::Milliseconds(2));
  }

  shell_thread.reset();  // Ends the prompt and restores the terminal.
  LOG(INFO) << "shutting down";
  server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(2));
  control::UnregisterTelemetry();  // Before the store and the mempools go.
  store.Shutdown();
  for (auto& l : loops) {
    l->RequestStop();
  }
  if (encap_loop != nullptr) {
    encap_loop->RequestStop();
  }
  rte_eal_mp_wait_lcore();
  unlink(FLAGS_socket.c_str());
  loops.clear();
  encap_loop.reset();
  publisher->reset();
  for (rte_ring* r : learn_rings) {
    rte_ring_free(r);
  }
  arp_rings.push_back(local_copies);  // Drained and freed alike.
  for (rte_ring* r : arp_rings) {
    void* m = nullptr;
    while (rte_ring_dequeue(r, &m) == 0) {
      rte_pktmbuf_free(static_cast<rte_mbuf*>(m));
    }
    rte_ring_free(r);
  }
  header_pool->reset();
  clone_pool->reset();
  pool->reset();
  rte_eal_cleanup();
  LOG(INFO) << "stopped";
  return 0;
}

}  // namespace
}  // namespace vswitch::app

int main(int argc, char** argv) { return vswitch::app::Run(argc, argv); }
