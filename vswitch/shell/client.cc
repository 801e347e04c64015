// SPDX-License-Identifier: Apache-2.0
#include "vswitch/shell/client.h"

#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>
#include <utility>

namespace vswitch::shell {
namespace {

// Replies such as ListFdb on a large, learning switch can outgrow gRPC's
// 4 MiB default; the daemon is trusted, so take what it sends.
grpc::ChannelArguments Arguments() {
  grpc::ChannelArguments arguments;
  arguments.SetMaxReceiveMessageSize(-1);
  return arguments;
}

std::shared_ptr<grpc::Channel> UnixChannel(const std::string& socket_path) {
  return grpc::CreateCustomChannel("unix:" + socket_path, grpc::InsecureChannelCredentials(),
                                   Arguments());
}

}  // namespace

std::shared_ptr<grpc::Channel> TlsChannel(const std::string& address, const std::string& ca_pem,
                                          const std::string& cert_pem, const std::string& key_pem) {
  grpc::SslCredentialsOptions opts;
  opts.pem_root_certs = ca_pem;
  opts.pem_cert_chain = cert_pem;
  opts.pem_private_key = key_pem;
  return grpc::CreateCustomChannel(address, grpc::SslCredentials(opts), Arguments());
}

Client::Client(std::shared_ptr<grpc::Channel> channel)
    : stub_(v1::VSwitch::NewStub(std::move(channel))) {}

Client::Client(const std::string& socket_path)
    : stub_(v1::VSwitch::NewStub(UnixChannel(socket_path))) {}

Client::Client(std::unique_ptr<v1::VSwitch::StubInterface> stub) : stub_(std::move(stub)) {}

}  // namespace vswitch::shell
