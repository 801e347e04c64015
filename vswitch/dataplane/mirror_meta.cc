// SPDX-License-Identifier: Apache-2.0
#include "vswitch/dataplane/mirror_meta.h"

namespace vswitch::dataplane {

int g_mirror_meta_offset = -1;

int RegisterMirrorMeta() {
  static const rte_mbuf_dynfield kDesc = {
      .name = "vswitch_mirror_meta",
      .size = sizeof(MirrorMeta),
      .align = alignof(MirrorMeta),
      .flags = 0,
  };
  g_mirror_meta_offset = rte_mbuf_dynfield_register(&kDesc);
  return g_mirror_meta_offset;
}

}  // namespace vswitch::dataplane
