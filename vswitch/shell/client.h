// SPDX-License-Identifier: Apache-2.0
//
// Thin blocking client of vswitch.v1.VSwitch. It holds the stub and sets the
// per-call deadline; it has no logic, so a command is exactly the one RPC it
// names. Thread: any (the stub is thread-safe; each call has its own
// context). Lifetime: the caller's; the channel connects lazily on first call.
#pragma once

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <memory>
#include <string>

#include "vswitch/api/vswitch.grpc.pb.h"
#include "vswitch/api/vswitch.pb.h"

namespace vswitch::shell {

// A blocking method of the stub, e.g. &v1::VSwitch::StubInterface::ListVNets.
template <typename Request, typename Response>
using Method = grpc::Status (v1::VSwitch::StubInterface::*)(grpc::ClientContext*, const Request&,
                                                            Response*);

// A TLS channel to vswitchd's --listen address "HOST:PORT". `ca_pem` is the
// CA that signed the server's certificate (empty: the system's roots);
// `cert_pem`/`key_pem` the client's own, for mutual TLS (empty: none).
std::shared_ptr<grpc::Channel> TlsChannel(const std::string& address, const std::string& ca_pem,
                                          const std::string& cert_pem, const std::string& key_pem);

class Client {
 public:
  static constexpr std::chrono::seconds kDeadline{10};

  // Talks to the daemon's gRPC socket at `socket_path` (a file path).
  explicit Client(const std::string& socket_path);
  // Talks over `channel`, e.g. TlsChannel's.
  explicit Client(std::shared_ptr<grpc::Channel> channel);
  // Uses `stub` as is, e.g. over an in-process channel.
  explicit Client(std::unique_ptr<v1::VSwitch::StubInterface> stub);

  // Makes one RPC with a deadline of kDeadline. Returns its status; the
  // daemon's codes are listed in vswitch.proto.
  template <typename Request, typename Response>
  grpc::Status Call(Method<Request, Response> method, const Request& request, Response* response) {
    return Call(method, request, response, kDeadline);
  }

  // The same with the given deadline, e.g. a short one for tab completion.
  template <typename Request, typename Response>
  grpc::Status Call(Method<Request, Response> method, const Request& request, Response* response,
                    std::chrono::milliseconds deadline) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + deadline);
    return (stub_.get()->*method)(&context, request, response);
  }

 private:
  std::unique_ptr<v1::VSwitch::StubInterface> stub_;
};

}  // namespace vswitch::shell
