// SPDX-License-Identifier: Apache-2.0
//
// The vswitch command set in help order: the daemon's and the stats
// commands here, each resource group from its own file (command_groups.h).
#include "vswitch/shell/commands.h"

#include <utility>
#include <vector>

#include "vswitch/api/vswitch.pb.h"
#include "vswitch/shell/command_groups.h"

namespace vswitch::shell {

CommandTable VSwitchCommands() {
  std::vector<Command> c;

  // ------------------------------------------------------------ daemon
  c.push_back(Bind({.words = {"show", "version"},
                    .help = "Show the daemon's version and the DPDK version it runs on.",
                    .rpc = "GetVersion"},
                   &Stub::GetVersion, kNoArgs, Show(&Printer::PrintVersion)));
  c.push_back(Bind({.words = {"show", "health"},
                    .help = "Show whether the daemon serves, its forwarding lcores and uptime.",
                    .rpc = "GetHealth"},
                   &Stub::GetHealth, kNoArgs, Show(&Printer::PrintHealth)));

  // ------------------------------------------------------------ vnets
  AppendVNetCommands(&c);

  // ------------------------------------------------------------ vports
  AppendVPortCommands(&c);

  // ------------------------------------------------------------ stats
  c.push_back(Bind({.words = {"show", "ports"},
                    .help = "Show each vport's counters: packets, bytes and drops.",
                    .rpc = "GetStats"},
                   &Stub::GetStats, kNoArgs, Show(&Printer::PrintPortStats)));
  c.push_back(Bind({.words = {"show", "stats"},
                    .help = "Show port counters, lcore load, the non-zero drop reasons, "
                            "TAP and VTEP counters.",
                    .usage = "BUSY% is busy cycles over busy plus idle cycles since the last\n"
                             "`clear stats`. The TAP session and mirror destination tables\n"
                             "(see `help show tap-stats`) and the VTEP table (`help show\n"
                             "vteps`) are printed when there are any.",
                    .rpc = "GetStats"},
                   &Stub::GetStats, kNoArgs, Show(&Printer::PrintStats)));
  c.push_back(Bind({.words = {"show", "drops"},
                    .help = "Show every drop reason with its total over all ports.",
                    .rpc = "GetStats"},
                   &Stub::GetStats, kNoArgs, Show(&Printer::PrintDrops)));
  c.push_back(
      Bind({.words = {"show", "tap-stats"},
            .help = "Show the mirror counters of each TAP session and each mirror destination.",
            .usage = "A table with one row per TAP session (summed over lcores and destinations),\n"
                     "then one with a row per mirror destination (summed over sessions):\n"
                     "  MATCHED     copies the filters selected\n"
                     "  CLONED      copies cloned and queued to the encap worker\n"
                     "  RING-FULL   dropped: the mirror ring was full\n"
                     "  CLONE-FAIL  dropped: no mbuf for the clone or the header\n"
                     "  RATE-LIM    dropped by the session's rate limit\n"
                     "  NO-NEXTHOP  dropped: the collector's next hop is not resolved\n"
                     "  TRUNC       sent cut (truncate or uplink MTU)\n"
                     "  TX-DROP     dropped: the uplink queue refused them\n"
                     "  SENT-PKTS, SENT-BYTES  sent on the uplink (encapsulated bytes)",
            .rpc = "GetStats"},
           &Stub::GetStats, kNoArgs, Show(&Printer::PrintTapStats)));
  c.push_back(Bind({.words = {"clear", "stats"},
                    .help = "Make every counter read zero from now on.",
                    .rpc = "ClearStats"},
                   &Stub::ClearStats, kNoArgs,
                   [](const Args&, const v1::ClearStatsResponse&, Printer& printer) {
                     printer.Line("stats cleared");
                   }));

  // ------------------------------------------------------------ fdb
  AppendFdbCommands(&c);

  // ------------------------------------------------------------ overlay
  AppendOverlayCommands(&c);

  // ------------------------------------------------------------ mirroring, neighbors
  AppendTapCommands(&c);

  // ------------------------------------------------------------ configuration
  AppendConfigCommands(&c);

  return CommandTable(std::move(c));
}

}  // namespace vswitch::shell
