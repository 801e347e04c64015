// SPDX-License-Identifier: Apache-2.0
//
// Everything vsctl writes: the human form of each reply (aligned tables),
// the --json form (the reply message itself), success lines and RPC errors.
// Owned by whoever runs commands (vsctl's main, later the interactive
// loop). Thread: one at a time; it writes to the streams it was given.
#pragma once

#include <grpcpp/grpcpp.h>

#include <ostream>
#include <string>

#include "google/protobuf/message.h"
#include "vswitch/api/vswitch.pb.h"

namespace vswitch::shell {

class Printer {
 public:
  // `out` gets results, `err` gets errors. With `json`, replies print as
  // JSON (see Json) instead of text.
  Printer(std::ostream& out, std::ostream& err, bool json);

  bool json() const { return json_; }
  std::ostream& out() { return out_; }
  std::ostream& err() { return err_; }

  // The reply as proto3 JSON with original field names and every field,
  // zeros included, so scripts never miss a key.
  void Json(const google::protobuf::Message& reply);
  // One line of text, e.g. "vnet blue created (id 1)".
  void Line(const std::string& text);
  // Prints "error: <CODE_NAME>: <message>" to err; returns exit code 1.
  int RpcError(const grpc::Status& status);

  // Text form of each `show` reply.
  void PrintVersion(const v1::GetVersionResponse& reply);
  void PrintHealth(const v1::GetHealthResponse& reply);
  void PrintVNets(const v1::ListVNetsResponse& reply);
  void PrintVPorts(const v1::ListVPortsResponse& reply);
  void PrintFdb(const v1::ListFdbResponse& reply);
  // VNET MAC IPS VTEP.
  void PrintRemotePorts(const v1::ListRemotePortsResponse& reply);
  // One row per remote VTEP: IP PORTS STATE RX-PKTS RX-BYTES TX-PKTS
  // TX-BYTES REPLICATED.
  void PrintVteps(const v1::Stats& stats);
  // One row per port: ID NAME RX-PKTS RX-BYTES TX-PKTS TX-BYTES DROPS.
  void PrintPortStats(const v1::Stats& stats);
  // Ports, then lcores, then the non-zero drop reasons, then the TAP
  // session, mirror destination and VTEP counters (each table only when
  // the daemon has such objects).
  void PrintStats(const v1::Stats& stats);
  // Every drop reason with its total.
  void PrintDrops(const v1::Stats& stats);
  // ID NAME VNET VNI PORT COLLECTORS.
  void PrintDestinations(const v1::ListMirrorDestinationsResponse& reply);
  // ID NAME SOURCES DIRECTION RULES TRUNCATE RATE DESTINATIONS ENABLED, with
  // the number of rules; --json prints the rules themselves.
  void PrintTapSessions(const v1::ListTapSessionsResponse& reply);
  // IP MAC STATE.
  void PrintNeighbors(const v1::ListNeighborsResponse& reply);
  // Two tables of MirrorCounters, one row per TAP session, then one per
  // mirror destination: NAME MATCHED CLONED RING-FULL CLONE-FAIL RATE-LIM
  // NO-NEXTHOP TRUNC TX-DROP SENT-PKTS SENT-BYTES.
  void PrintTapStats(const v1::Stats& stats);

 private:
  void PrintLcoreStats(const v1::Stats& stats);

  std::ostream& out_;
  std::ostream& err_;
  bool json_;
};

// "INVALID_ARGUMENT" for grpc::StatusCode::INVALID_ARGUMENT; the number for
// a code gRPC does not define.
std::string StatusCodeName(grpc::StatusCode code);

}  // namespace vswitch::shell
