// SPDX-License-Identifier: Apache-2.0
//
// What TAP needs beyond its configuration: the stable counter slot of every
// session and destination, each destination's SPSC rings (one per
// forwarding worker) and, for a pcapng destination, its file writer in
// --capture_dir. ConfigStore decides when they are made, published and
// freed (after no worker can see them); this class makes and frees them.
// Thread: control side, under ConfigStore's mutex.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include <rte_mempool.h>

#include "vswitch/api/vswitch.pb.h"
#include "vswitch/control/snapshot_builder.h"

namespace vswitch::control {

class MirrorResources {
 public:
  using SlotMap = absl::flat_hash_map<uint32_t, uint16_t>;

  // What a snapshot refers to; ConfigStore saves and restores it whole
  // around a commit that may fail.
  struct State {
    // Stable counter slots (0..31) by session / destination id.
    SlotMap session_slots;
    SlotMap dest_slots;
    absl::flat_hash_map<uint32_t, DestRings> dest_rings;
  };

  // `ring_size`: entries of each ring, a power of two. `capture_dir`: the
  // directory of pcapng files, created (0750) on first use.
  MirrorResources(uint16_t n_workers, uint32_t ring_size, std::string capture_dir)
      : n_workers_(n_workers), ring_size_(ring_size), capture_dir_(std::move(capture_dir)) {}

  State& state() { return state_; }
  const State& state() const { return state_; }

  // The smallest slot (0..31) no entry of `slots` uses, or -1.
  static int FreeSlot(const SlotMap& slots);

  // Makes the rings of destination `d` and, for a pcapng one, opens its
  // writer (OpenPcapng with `pcapng_prefix`). ResourceExhausted names
  // `field` and the ring (with `name_dest`, also d's name). Nothing is
  // left allocated on error.
  absl::StatusOr<DestRings> CreateRings(const v1::MirrorDestination& d, const std::string& field,
                                        bool name_dest, const std::string& pcapng_prefix);

  // For a pcapng destination: opens its first file in --capture_dir and
  // sets rings->pcapng. Errors name `prefix`pcapng.file: InvalidArgument (a
  // symlink or not a regular file), Unavailable (directory, file or pool).
  absl::Status OpenPcapng(const v1::MirrorDestination& d, const std::string& prefix,
                          DestRings* rings);

  // Frees a destination's rings (and pcapng writer) after no worker can
  // see them.
  static void FreeRings(const DestRings& rings);

  // The index of the file destination `dest_id`'s writer is in (0: the
  // configured name, n: "NAME.n"), or nullopt when it has no writer.
  std::optional<uint32_t> PcapngFileIndex(uint32_t dest_id) const;

 private:
  const uint16_t n_workers_;
  const uint32_t ring_size_;
  const std::string capture_dir_;
  State state_;
  // --capture_dir, opened on first use.
  int capture_dir_fd_ = -1;
};

}  // namespace vswitch::control
