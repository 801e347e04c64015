// SPDX-License-Identifier: Apache-2.0
//
// vsctl's `save` and `load`: the whole configuration in the format of
// vswitchd's --config file.
#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_format.h"
#include "lib/file/atomic_file.h"
#include "lib/proto/text_proto.h"
#include "vswitch/api/vswitch.pb.h"
#include "vswitch/shell/command_groups.h"

namespace vswitch::shell {
namespace {

// ApplyConfig may create and remove many devices: a longer deadline.
constexpr std::chrono::seconds kLoadDeadline{120};

// Reads and parses FILE of `load` into `request`. Errors: InvalidArgument
// "FILE:LINE:COLUMN: problem" (names the unknown field or bad value), or
// "FILE: cannot read: ..." .
absl::Status ReadConfigFile(const std::string& path, v1::ApplyConfigRequest* request) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return absl::InvalidArgumentError(absl::StrFormat("%s: cannot read: %s", path,
                                                      std::strerror(errno)));
  }
  std::stringstream text;
  text << in.rdbuf();
  if (in.bad()) {
    return absl::InvalidArgumentError(absl::StrFormat("%s: cannot read", path));
  }
  return proto::ParseTextProto(text.str(), path, request->mutable_config());
}

// `save FILE`: GetConfig, then FILE replaced atomically with the reply in
// the format of vswitchd's --config file (so either can be loaded or used
// as --config).
Command SaveCommand() {
  Command command{
      .words = {"save"},
      .args = {Positional("FILE", ValueType::kFilePath)},
      .help = "Write the running configuration to FILE (protobuf text, as --config).",
      .usage = "FILE is replaced atomically (temp file, fsync, rename) with what GetConfig\n"
               "returns, in the format of vswitchd's --config file: `load FILE` or\n"
               "`vswitchd --config=FILE` restore it. Relative paths are relative to\n"
               "vsctl's working directory (vswitchd's, under --interactive).",
      .rpc = "GetConfig",
      .request_type = v1::GetConfigRequest::descriptor(),
      .response_type = v1::Config::descriptor()};
  command.build_request = [](const Args&) {
    return std::unique_ptr<google::protobuf::Message>(new v1::GetConfigRequest());
  };
  command.run = [](const Args& args, Client& client, Printer& printer) {
    v1::Config config;
    grpc::Status status = client.Call(&Stub::GetConfig, v1::GetConfigRequest(), &config);
    if (!status.ok()) {
      return printer.RpcError(status);
    }
    const std::string& path = args.Value("FILE");
    absl::Status written = file::WriteFileAtomically(
        path,
        proto::TextProtoWithHeader(config,
                                   "# vswitch configuration (vswitch.v1.Config, protobuf text "
                                   "format).\n# Written by `vsctl save`; `vsctl load` applies "
                                   "it.\n"),
        0640, "file");
    if (!written.ok()) {
      printer.err() << "error: " << written.message() << '\n';
      return kExitRpcError;
    }
    if (printer.json()) {
      printer.Json(config);
    } else {
      printer.Line(absl::StrFormat("configuration saved to %s (%d vnets, %d vports, %d "
                                   "sessions)",
                                   path, config.vnets_size(), config.vports_size(),
                                   config.tap_sessions_size()));
    }
    return kExitOk;
  };
  return command;
}

// `load FILE`: the whole file is parsed here first (a syntax error or an
// unknown field sends nothing), then applied with one ApplyConfig, which
// validates it whole and changes everything or nothing.
Command LoadCommand() {
  Command command{
      .words = {"load"},
      .args = {Positional("FILE", ValueType::kFilePath)},
      .help = "Replace the running configuration with FILE's, as one change.",
      .usage = "FILE is a vswitch.v1.Config in protobuf text format (`save`, or vswitchd's\n"
               "--config file). It is parsed whole before anything is sent: an error names\n"
               "FILE:LINE:COLUMN and the field. The daemon then validates the whole\n"
               "configuration (errors name the field path, e.g. vports[2].vnet) and applies\n"
               "it as one change (ApplyConfig): objects equal to running ones keep their\n"
               "ids, devices and counters; others are created or removed. On any error\n"
               "nothing changes.",
      .rpc = "ApplyConfig",
      .request_type = v1::ApplyConfigRequest::descriptor(),
      .response_type = v1::ApplyConfigResponse::descriptor()};
  // The one command whose request needs I/O: it reads FILE. nullptr when
  // FILE cannot be read or parsed.
  command.build_request = [](const Args& args) {
    auto request = std::make_unique<v1::ApplyConfigRequest>();
    if (!ReadConfigFile(args.Value("FILE"), request.get()).ok()) {
      return std::unique_ptr<google::protobuf::Message>();
    }
    return std::unique_ptr<google::protobuf::Message>(std::move(request));
  };
  command.run = [](const Args& args, Client& client, Printer& printer) {
    v1::ApplyConfigRequest request;
    if (absl::Status parsed = ReadConfigFile(args.Value("FILE"), &request); !parsed.ok()) {
      printer.err() << "error: " << parsed.message() << '\n';
      return kExitUsage;
    }
    v1::ApplyConfigResponse reply;
    grpc::Status status =
        client.Call(&Stub::ApplyConfig, request, &reply,
                    std::chrono::duration_cast<std::chrono::milliseconds>(kLoadDeadline));
    if (!status.ok()) {
      return printer.RpcError(status);
    }
    if (printer.json()) {
      printer.Json(reply);
    } else {
      printer.Line(absl::StrFormat("configuration loaded from %s (generation %d)",
                                   args.Value("FILE"), reply.snapshot_generation()));
    }
    return kExitOk;
  };
  return command;
}

}  // namespace

void AppendConfigCommands(std::vector<Command>* c) {
  c->push_back(SaveCommand());
  c->push_back(LoadCommand());
}

}  // namespace vswitch::shell
