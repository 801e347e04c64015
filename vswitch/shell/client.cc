// SPDX-License-Identifier: Apache-2.0
#include "vswitch/shell/client.h"

#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>
#include <utility>

namespace vswitch::shell {
namespace {

std::shared_ptr<grpc::Channel> UnixChannel(const std::string& socket_path) {
  // Replies such as ListFdb on a large, learning switch can outgrow gRPC's
  // 4 MiB default; the daemon is local and trusted, so take what it sends.
  grpc::ChannelArguments arguments;
  arguments.SetMaxReceiveMessageSize(-1);
  return grpc::CreateCustomChannel("unix:" + socket_path, grpc::InsecureChannelCredentials(),
                                   arguments);
}

}  // namespace

Client::Client(const std::string& socket_path)
    : stub_(v1::VSwitch::NewStub(UnixChannel(socket_path))) {}

Client::Client(std::unique_ptr<v1::VSwitch::StubInterface> stub) : stub_(std::move(stub)) {}

}  // namespace vswitch::shell
