// SPDX-License-Identifier: GPL-2.0-only
// damo_replay: the workload generator behind `damo replay`. It reads a replay plan (from
// stdin or a file), maps the plan's areas, and touches their pages period by period as the
// plan says. It is a process of its own so that a recording of it (`damo record PID` or
// `damo record -- damo_replay --plan FILE`) sees only the replayed memory, not node's heap.
//
// Output: one JSON object per line on stdout ("mapping", optional "period", then "done",
// "interrupted" or "error"); human-readable errors on stderr. Exit status: 0 done, 1 runtime
// failure, 2 bad arguments or plan, 128+N when stopped by signal N (SIGINT, SIGTERM, SIGHUP).
#include <fcntl.h>
#include <malloc.h>
#include <pthread.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "replay/plan.h"
#include "replay/replayer.h"

namespace {

using namespace damo::replay;

constexpr const char* kUsage =
    "usage: damo_replay [--plan FILE|-] [--max_memory BYTES] [--mapping FILE] [--quiet] [--dry_run] [--die_with_parent]\n"
    "\n"
    "Replays a plan written by `damo replay --plan_out FILE` (or streamed on stdin by\n"
    "`damo replay`): maps the plan's areas and touches their pages period by period.\n"
    "\n"
    "  --plan FILE         read the plan from FILE ('-' or absent: stdin)\n"
    "  --max_memory BYTES  refuse plans whose areas add up to more (default: half of RAM)\n"
    "  --mapping FILE      also write the trace-to-replay address mapping (JSON) to FILE\n"
    "  --quiet             print no event lines on stdout\n"
    "  --dry_run           check the plan and print each period's touch schedule; touch nothing\n"
    "  --die_with_parent   stop when the parent process exits\n";

std::mutex g_out_mu;
bool g_quiet = false;

void emit(const std::string& line) {
  if (g_quiet) return;
  std::lock_guard<std::mutex> lock(g_out_mu);
  fputs(line.c_str(), stdout);
  fputc('\n', stdout);
  fflush(stdout);
}

std::string json_string(const std::string& s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20) {
          char buf[8];
          snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  return out + "\"";
}

std::string u64s(uint64_t v) { return std::to_string(v); }

[[noreturn]] void die(int code, const std::string& message) {
  fprintf(stderr, "damo_replay: %s\n", message.c_str());
  emit("{\"event\":\"error\",\"exitCode\":" + std::to_string(code) + ",\"message\":" + json_string(message) + "}");
  fflush(stdout);
  _exit(code);
}

bool parse_u64(const char* text, uint64_t* out) {
  if (text == nullptr || *text == '\0') return false;
  char* end = nullptr;
  errno = 0;
  unsigned long long v = strtoull(text, &end, 10);
  if (errno != 0 || *end != '\0' || text[0] == '-') return false;
  *out = v;
  return true;
}

std::string mapping_json(const PlanHeader& h, const MappedAreas& m, uint64_t t0_ns) {
  std::string s = "{\"format\":\"damo-replay-mapping\",\"version\":1,\"pid\":" + std::to_string(getpid()) +
                  ",\"startMonotonicNs\":\"" + u64s(t0_ns) + "\",\"pageSizeBytes\":" + u64s(h.page_size_bytes) +
                  ",\"reserve\":{\"start\":" + u64s(m.reserve_start) + ",\"end\":" + u64s(m.reserve_end) +
                  "},\"areas\":[";
  for (size_t i = 0; i < h.areas.size(); i++) {
    const Area& a = h.areas[i];
    if (i > 0) s += ",";
    s += "{\"traceStart\":" + u64s(a.trace_start) + ",\"traceEnd\":" + u64s(a.trace_end) +
         ",\"replayStart\":" + u64s(m.starts[i]) + ",\"replayEnd\":" + u64s(m.starts[i] + a.replay_bytes) + "}";
  }
  s += "],\"plan\":";
  s += h.meta_json.empty() ? "null" : h.meta_json;
  s += "}";
  return s;
}

uint64_t default_max_memory() {
  long pages = sysconf(_SC_PHYS_PAGES);
  long page = sysconf(_SC_PAGESIZE);
  if (pages <= 0 || page <= 0) return 1ull << 30;
  return static_cast<uint64_t>(pages) * static_cast<uint64_t>(page) / 2;
}

// --dry_run: the schedule the workers would follow, one line per period:
// {"event":"schedule","index":I,"nrSlots":M,"touch":[[range,[slots...]],...],"idle":[ranges...]}
int print_schedule(PlanReader& reader, const PlanHeader& header) {
  Period p;
  try {
    while (reader.read_period(&p)) {
      std::string line = "{\"event\":\"schedule\",\"index\":" + u64s(p.index) + ",\"nrSlots\":" + std::to_string(p.nr_slots) +
                         ",\"touch\":[";
      std::string idle;
      bool first = true;
      for (size_t i = 0; i < p.ranges.size(); i++) {
        if (p.ranges[i].nr_accesses == 0) {
          idle += (idle.empty() ? "" : ",") + std::to_string(i);
          continue;
        }
        line += first ? "[" : ",[";
        first = false;
        line += std::to_string(i) + ",[";
        std::vector<uint32_t> slots = touch_slots(header.seed, p.index, i, p.ranges[i].nr_accesses, p.nr_slots);
        for (size_t j = 0; j < slots.size(); j++) line += (j ? "," : "") + std::to_string(slots[j]);
        line += "]]";
      }
      emit(line + "],\"idle\":[" + idle + "]}");
    }
  } catch (const PlanError& e) {
    die(2, std::string("invalid plan: ") + e.what());
  }
  emit("{\"event\":\"done\",\"dryRun\":true}");
  fflush(stdout);
  return 0;
}

}  // namespace

// A recording of the replay monitors the whole process; DAMON's regions spread over its
// address space, so every byte that is not replay memory dilutes what they see. glibc would
// reserve a 64 MiB malloc arena per thread and an 8 MiB stack per thread: one arena and
// small stacks keep the generator's own footprint to a few MiB (docs/REPLAY.md).
static void keep_own_footprint_small() {
  mallopt(M_ARENA_MAX, 1);
  pthread_attr_t attr;
  if (pthread_attr_init(&attr) == 0) {
    pthread_attr_setstacksize(&attr, 256 * 1024);
    pthread_setattr_default_np(&attr);
    pthread_attr_destroy(&attr);
  }
}

int main(int argc, char** argv) {
  keep_own_footprint_small();
  const char* plan_path = "-";
  const char* mapping_path = nullptr;
  uint64_t max_memory = default_max_memory();
  bool die_with_parent = false;
  bool dry_run = false;
  for (int i = 1; i < argc; i++) {
    std::string a = argv[i];
    auto value = [&](const char* name) -> const char* {
      if (i + 1 >= argc) die(2, std::string(name) + " needs a value\n" + kUsage);
      return argv[++i];
    };
    if (a == "--plan") {
      plan_path = value("--plan");
    } else if (a == "--mapping") {
      mapping_path = value("--mapping");
    } else if (a == "--max_memory") {
      const char* v = value("--max_memory");
      if (!parse_u64(v, &max_memory) || max_memory == 0) die(2, std::string("--max_memory: '") + v + "' is not a positive number of bytes");
    } else if (a == "--quiet") {
      g_quiet = true;
    } else if (a == "--dry_run") {
      dry_run = true;
    } else if (a == "--die_with_parent") {
      die_with_parent = true;
    } else if (a == "-h" || a == "--help") {
      fputs(kUsage, stdout);
      return 0;
    } else {
      die(2, "unknown argument '" + a + "'\n" + kUsage);
    }
  }

  // Every thread inherits this mask; one thread takes the signals with sigwait() and turns
  // them into a stop request, so workers are never interrupted in the middle of a touch.
  sigset_t sigs;
  sigemptyset(&sigs);
  sigaddset(&sigs, SIGINT);
  sigaddset(&sigs, SIGTERM);
  sigaddset(&sigs, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &sigs, nullptr);
  signal(SIGPIPE, SIG_IGN);
  if (die_with_parent) {
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (getppid() == 1) die(1, "the parent exited before the replay started");
  }

  StopToken stop;
  PeriodQueue queue(32);
  stop.on_stop([&queue]() { queue.cancel(); });
  // Until the replay runs (reading the plan header, mapping) a signal ends the process at
  // once; afterwards it asks the workers to stop and report.
  static std::atomic<bool> running{false};
  std::thread([&stop, sigs]() {
    int sig = 0;
    if (sigwait(&sigs, &sig) != 0) return;
    if (!running.load()) {
      emit("{\"event\":\"interrupted\",\"signal\":" + std::to_string(sig) + ",\"periods\":0}");
      fflush(stdout);
      _exit(128 + sig);
    }
    stop.request(sig);
  }).detach();

  int fd = 0;
  if (std::string(plan_path) != "-") {
    fd = open(plan_path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) die(2, std::string("cannot open the plan ") + plan_path + ": " + strerror(errno));
  }
  const long page_l = sysconf(_SC_PAGESIZE);
  const uint64_t page = page_l > 0 ? static_cast<uint64_t>(page_l) : 4096;

  auto reader = std::make_shared<PlanReader>(fd);
  PlanHeader header;
  try {
    header = reader->read_header(page, max_memory);
  } catch (const PlanError& e) {
    die(2, std::string("invalid plan: ") + e.what());
  }

  if (dry_run) return print_schedule(*reader, header);

  MappedAreas areas;
  try {
    areas = map_areas(header);
  } catch (const std::exception& e) {
    die(1, e.what());
  }


  // The reader runs ahead of the workers; a pipe that closes early or a bad period ends
  // the replay with an error rather than leaving it half-done silently.
  std::thread([reader, &queue, &stop]() {
    try {
      for (;;) {
        auto p = std::make_shared<Period>();
        if (!reader->read_period(p.get())) break;
        if (!queue.push(std::move(p))) return;
      }
      queue.finish("");
    } catch (const PlanError& e) {
      queue.finish(std::string("invalid plan: ") + e.what());
      stop.request(0);
    }
  }).detach();

  const uint64_t t0 = monotonic_ns() + header.start_delay_ns;
  const std::string mapping = mapping_json(header, areas, t0);
  if (mapping_path != nullptr) {
    FILE* f = fopen(mapping_path, "w");
    if (f == nullptr) die(1, std::string("cannot create the mapping file ") + mapping_path + ": " + strerror(errno));
    bool ok = fputs(mapping.c_str(), f) >= 0 && fputc('\n', f) != EOF;
    ok = (fclose(f) == 0) && ok;
    if (!ok) die(1, std::string("cannot write the mapping file ") + mapping_path);
  }
  emit("{\"event\":\"mapping\",\"mapping\":" + mapping + "}");

  running.store(true);
  const bool period_events = (header.flags & kFlagPeriodEvents) != 0;
  ReplayStats stats = run_replay(header, areas, queue, stop, t0, [&](const Period& p, uint64_t lag_ns) {
    if (period_events) {
      emit("{\"event\":\"period\",\"index\":" + u64s(p.index) + ",\"lagNs\":" + u64s(lag_ns) +
           ",\"doneNs\":\"" + u64s(monotonic_ns()) + "\"}");
    }
  });

  struct rusage ru {};
  getrusage(RUSAGE_SELF, &ru);
  const uint64_t user_us = static_cast<uint64_t>(ru.ru_utime.tv_sec) * 1000000 + static_cast<uint64_t>(ru.ru_utime.tv_usec);
  const uint64_t sys_us = static_cast<uint64_t>(ru.ru_stime.tv_sec) * 1000000 + static_cast<uint64_t>(ru.ru_stime.tv_usec);
  const std::string figures = "\"periods\":" + u64s(stats.periods) + ",\"slots\":" + u64s(stats.slots) +
                              ",\"touchedPages\":" + u64s(stats.touched_pages) + ",\"releasedBytes\":" +
                              u64s(stats.released_bytes) + ",\"lateSlots\":" + u64s(stats.late_slots) +
                              ",\"maxSlotLagNs\":" + u64s(stats.max_slot_lag_ns) + ",\"maxPeriodLagNs\":" +
                              u64s(stats.max_period_lag_ns) + ",\"cpuUserUs\":" + u64s(user_us) + ",\"cpuSysUs\":" +
                              u64s(sys_us) + ",\"maxRssKb\":" + std::to_string(ru.ru_maxrss) +
                              ",\"endMonotonicNs\":\"" + u64s(monotonic_ns()) + "\"";

  if (stop.signal() != 0) {
    emit("{\"event\":\"interrupted\",\"signal\":" + std::to_string(stop.signal()) + "," + figures + "}");
    fflush(stdout);
    _exit(128 + stop.signal());
  }
  const std::string error = queue.error();
  if (!error.empty()) die(2, error);
  emit("{\"event\":\"done\"," + figures + "}");
  fflush(stdout);
  _exit(0);
}
