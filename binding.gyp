# SPDX-License-Identifier: GPL-2.0-only
{
  "targets": [
    {
      "target_name": "damo_replay",
      "type": "executable",
      "sources": [
        "native/replay/main.cc",
        "native/replay/plan.cc",
        "native/replay/replayer.cc"
      ],
      "include_dirs": ["native"],
      "cflags_cc": ["-std=c++17", "-O2", "-Wall", "-Wextra", "-fexceptions", "-pthread"],
      "cflags_cc!": ["-fno-exceptions", "-std=gnu++17"],
      "ldflags": ["-pthread"]
    },
    {
      "target_name": "damo_native",
      "sources": [
        "native/addon/addon.cc",
        "native/engine/host.cc",
        "native/engine/damon.cc",
        "native/engine/layout.cc",
        "native/engine/monitor.cc",
        "native/access/page_idle.cc",
        "native/access/soft_dirty.cc",
        "native/access/clear_refs.cc",
        "native/access/synthetic.cc",
        "native/actions/process_madvise.cc"
      ],
      "include_dirs": ["native"],
      "dependencies": ["<!(node -p \"require('node-addon-api').targets\"):node_addon_api_except"],
      "defines": ["NAPI_VERSION=8", "NODE_ADDON_API_DISABLE_DEPRECATED"],
      "cflags_cc": ["-std=c++17", "-O2", "-Wall", "-Wextra", "-fexceptions", "-pthread"],
      "cflags_cc!": ["-fno-exceptions", "-std=gnu++17"],
      "ldflags": ["-pthread"]
    }
  ]
}
