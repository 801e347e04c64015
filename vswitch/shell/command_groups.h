// SPDX-License-Identifier: Apache-2.0
//
// What the files of the vswitch command set share: Bind (a command and its
// one RPC), Show, and each resource group's Append function. commands.cc
// puts the groups together in help order.
#pragma once

#include <memory>
#include <vector>

#include <grpcpp/grpcpp.h>

#include "vswitch/api/vswitch.grpc.pb.h"
#include "vswitch/api/vswitch.pb.h"
#include "vswitch/shell/command_table.h"

namespace vswitch::shell {

using Stub = v1::VSwitch::StubInterface;

// Completes `command` with its RPC. `build(args, Request*)` fills the
// request; `print(args, reply, printer)` prints a successful reply as text
// (--json prints the reply itself). Taking the stub method, rather than a
// free-form handler, is what makes every command exactly one RPC.
template <typename Request, typename Response, typename Build, typename Print>
Command Bind(Command command, Method<Request, Response> method, Build build, Print print) {
  command.request_type = Request::descriptor();
  command.response_type = Response::descriptor();
  command.build_request = [build](const Args& args) {
    auto request = std::make_unique<Request>();
    build(args, request.get());
    return std::unique_ptr<google::protobuf::Message>(std::move(request));
  };
  command.run = [build, method, print](const Args& args, Client& client, Printer& printer) {
    Request request;
    build(args, &request);
    Response reply;
    grpc::Status status = client.Call(method, request, &reply);
    if (!status.ok()) {
      return printer.RpcError(status);
    }
    if (printer.json()) {
      printer.Json(reply);
    } else {
      print(args, reply, printer);
    }
    return kExitOk;
  };
  return command;
}

// For requests without fields.
constexpr auto kNoArgs = [](const Args&, auto*) {};

// Prints a `show` reply with one of the printer's tables.
template <typename Response>
auto Show(void (Printer::*print)(const Response&)) {
  return [print](const Args&, const Response& reply, Printer& printer) { (printer.*print)(reply); };
}

// vnet_commands.cc: `add/del vnet`, peerings, `show vnets`.
void AppendVNetCommands(std::vector<Command>* c);
// vnet_commands.cc: vports and the uplink.
void AppendVPortCommands(std::vector<Command>* c);
// vnet_commands.cc: the FDB.
void AppendFdbCommands(std::vector<Command>* c);
// overlay_commands.cc: remote ports and VTEP counters.
void AppendOverlayCommands(std::vector<Command>* c);
// tap_commands.cc: mirror destinations, TAP sessions, neighbors.
void AppendTapCommands(std::vector<Command>* c);
// config_commands.cc: `save` and `load`.
void AppendConfigCommands(std::vector<Command>* c);

}  // namespace vswitch::shell
