// SPDX-License-Identifier: GPL-2.0-only
// Thin node-addon-api glue. All logic lives in native/engine and native/access; this file
// only converts between JS values and those plain C++ types, and moves snapshots from the
// monitor thread to JS through a thread-safe function.
//
// Exports:
//   abiVersion                      3 (src/record/native/addon.ts checks it)
//   hostFacts()                     { pageSizeBytes, kernelRelease, nrCpus }
//   capabilities(ops, pid)          { page_idle|soft_dirty|clear_refs|synthetic: { available, code, reason } }
//   new Monitor(options)            see RawMonitorOptions in src/record/native/addon.ts
//     .start(onSnapshots) -> Promise<{ endReason, nrSnapshots, nrSamples, threadCpuNs, wallNs }>
//         settles after the monitor thread has been joined; rejects with an Error whose
//         `code` is the engine's (E_PERM, E_IO, ...) when the run failed
//     .stop()                       asks the thread to stop (prompt; see engine/monitor.h)
//     .resetAges(targetIndex, ranges) ranges: Float64Array [start0, end0, ...]; the engine sets
//                                   the age of those regions to 0 before its next sample
//     .baseTimeNs                   BigInt, CLOCK_MONOTONIC ns that snapshot times count from
//     .running
//   openPidfd(pid) -> fd            pidfd_open(2); throws E_NOENT (no such process), E_UNSUPPORTED
//                                   (ENOSYS: Linux < 5.3), E_PERM
//   closeFd(fd)
//   probeProcessMadvise(pidfd, advice) -> errno (0 when this kernel lets us advise that process)
//   processMadvise(pidfd, starts, lens, advice) -> Promise<{ bytes: Float64Array, errnos: Int32Array,
//                                   elapsedNs, nrSyscalls }>  on a worker thread; per range
//                                   (see native/actions/process_madvise.h)
// Errors thrown synchronously carry a `code` property too.
#include <napi.h>
#include <unistd.h>

#include <cerrno>

#include <atomic>
#include <chrono>
#include <thread>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "access/primitive.h"
#include "actions/process_madvise.h"
#include "engine/errors.h"
#include "engine/host.h"
#include "engine/monitor.h"

namespace {

constexpr int kAbiVersion = 3;
constexpr size_t kMaxQueuedBatches = 64;

Napi::Error CodedError(Napi::Env env, const std::string& code, const std::string& message) {
  Napi::Error err = Napi::Error::New(env, message);
  err.Set("code", Napi::String::New(env, code));
  return err;
}

[[noreturn]] void ThrowCoded(Napi::Env env, const std::string& code, const std::string& message) {
  throw CodedError(env, code, message);
}

damo::OpsKind ParseOps(Napi::Env env, const std::string& s) {
  if (s == "vaddr") return damo::OpsKind::vaddr;
  if (s == "fvaddr") return damo::OpsKind::fvaddr;
  if (s == "paddr") return damo::OpsKind::paddr;
  ThrowCoded(env, "E_USAGE", "unknown ops '" + s + "' (use vaddr, fvaddr or paddr)");
}

double GetNumber(Napi::Env env, const Napi::Object& o, const char* key, double fallback, bool required = false) {
  Napi::Value v = o.Get(key);
  if (v.IsUndefined()) {
    if (required) ThrowCoded(env, "E_USAGE", std::string("option '") + key + "' is required");
    return fallback;
  }
  if (!v.IsNumber()) ThrowCoded(env, "E_USAGE", std::string("option '") + key + "' must be a number");
  return v.As<Napi::Number>().DoubleValue();
}

uint64_t GetUint(Napi::Env env, const Napi::Object& o, const char* key, uint64_t fallback, bool required = false) {
  const double d = GetNumber(env, o, key, static_cast<double>(fallback), required);
  if (!(d >= 0) || d > 9007199254740992.0 || d != static_cast<double>(static_cast<uint64_t>(d)))
    ThrowCoded(env, "E_USAGE", std::string("option '") + key + "' must be a non-negative integer");
  return static_cast<uint64_t>(d);
}

Napi::Float64Array GetF64(Napi::Env env, const Napi::Object& o, const char* key) {
  Napi::Value v = o.Get(key);
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_float64_array)
    ThrowCoded(env, "E_USAGE", std::string("option '") + key + "' must be a Float64Array");
  return v.As<Napi::Float64Array>();
}

Napi::Object CapabilityToJs(Napi::Env env, const damo::Capability& c) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("available", Napi::Boolean::New(env, c.available));
  o.Set("code", Napi::String::New(env, c.available ? "" : (c.code.empty() ? "E_UNSUPPORTED" : c.code)));
  o.Set("reason", Napi::String::New(env, c.reason));
  return o;
}

Napi::Value HostFacts(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  damo::HostFacts facts = damo::read_host_facts();
  Napi::Object out = Napi::Object::New(env);
  out.Set("pageSizeBytes", Napi::Number::New(env, static_cast<double>(facts.page_size_bytes)));
  out.Set("kernelRelease", Napi::String::New(env, facts.kernel_release));
  out.Set("nrCpus", Napi::Number::New(env, facts.nr_cpus));
  return out;
}

Napi::Value Capabilities(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const std::string ops_s = info.Length() > 0 && info[0].IsString() ? info[0].As<Napi::String>().Utf8Value() : "vaddr";
  const int pid = info.Length() > 1 && info[1].IsNumber() ? info[1].As<Napi::Number>().Int32Value() : -1;
  const damo::OpsKind ops = ParseOps(env, ops_s);
  Napi::Object out = Napi::Object::New(env);
  for (const char* name : {"page_idle", "soft_dirty", "clear_refs", "synthetic"})
    out.Set(name, CapabilityToJs(env, damo::probe_primitive(name, ops, pid)));
  return out;
}

// ------------------------------------------------------------------ Monitor

struct Batch {
  std::vector<damo::TargetSnapshot> snapshots;
};

class MonitorWrap;

struct RunState {
  MonitorWrap* owner = nullptr;
  Napi::Promise::Deferred deferred;
  damo::EndInfo end;
  std::string callback_error;  // set when the JS callback threw
  Napi::Reference<Napi::Value> callback_exception;
  explicit RunState(Napi::Env env) : deferred(Napi::Promise::Deferred::New(env)) {}
};

void CallJs(Napi::Env env, Napi::Function callback, RunState* state, Batch* batch);

using SnapshotTsfn = Napi::TypedThreadSafeFunction<RunState, Batch, CallJs>;

class MonitorWrap : public Napi::ObjectWrap<MonitorWrap> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "Monitor",
                       {
                           InstanceMethod<&MonitorWrap::Start>("start"),
                           InstanceMethod<&MonitorWrap::Stop>("stop"),
                           InstanceMethod<&MonitorWrap::ResetAges>("resetAges"),
                           InstanceAccessor<&MonitorWrap::BaseTimeNs>("baseTimeNs"),
                           InstanceAccessor<&MonitorWrap::Running>("running"),
                       });
  }

  explicit MonitorWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<MonitorWrap>(info) {
    Napi::Env env = info.Env();
    if (info.Length() < 1 || !info[0].IsObject()) ThrowCoded(env, "E_USAGE", "Monitor needs an options object");
    Napi::Object o = info[0].As<Napi::Object>();
    damo::MonitorConfig cfg;
    cfg.ops = ParseOps(env, o.Get("ops").IsString() ? o.Get("ops").As<Napi::String>().Utf8Value() : "vaddr");
    cfg.attrs.sample_us = GetUint(env, o, "sampleUs", 5000);
    cfg.attrs.aggr_us = GetUint(env, o, "aggrUs", 100000);
    cfg.attrs.ops_update_us = GetUint(env, o, "opsUpdateUs", 1000000);
    cfg.attrs.min_nr_regions = static_cast<uint32_t>(GetUint(env, o, "minNrRegions", 10));
    cfg.attrs.max_nr_regions = static_cast<uint32_t>(GetUint(env, o, "maxNrRegions", 1000));
    cfg.seed = GetUint(env, o, "seed", 0);
    cfg.virtual_time = o.Get("virtualTime").ToBoolean().Value();
    cfg.duration_us = GetUint(env, o, "durationUs", 0);
    cfg.page_size = damo::read_host_facts().page_size_bytes;

    Napi::Value tv = o.Get("targets");
    if (!tv.IsArray()) ThrowCoded(env, "E_USAGE", "option 'targets' must be an array");
    Napi::Array targets = tv.As<Napi::Array>();
    for (uint32_t i = 0; i < targets.Length(); i++) {
      Napi::Value item = targets.Get(i);
      if (!item.IsObject()) ThrowCoded(env, "E_USAGE", "each target must be an object");
      Napi::Object t = item.As<Napi::Object>();
      damo::TargetSpec spec;
      const double pid = GetNumber(env, t, "pid", -1);
      spec.pid = pid > 0 ? static_cast<int>(pid) : -1;
      if (!t.Get("ranges").IsUndefined()) {
        Napi::Float64Array r = GetF64(env, t, "ranges");
        if (r.ElementLength() % 2 != 0) ThrowCoded(env, "E_USAGE", "target ranges must hold start/end pairs");
        for (size_t k = 0; k + 1 < r.ElementLength(); k += 2)
          spec.ranges.push_back({static_cast<uint64_t>(r[k]), static_cast<uint64_t>(r[k + 1])});
      }
      cfg.targets.push_back(std::move(spec));
    }

    const std::string prim = o.Get("primitive").IsString() ? o.Get("primitive").As<Napi::String>().Utf8Value() : "";
    std::unique_ptr<damo::AccessPrimitive> primitive;
    if (prim == "page_idle") {
      primitive = damo::make_page_idle(cfg.page_size);
    } else if (prim == "soft_dirty") {
      primitive = damo::make_soft_dirty(cfg.page_size);
    } else if (prim == "clear_refs") {
      primitive = damo::make_clear_refs();
    } else if (prim == "synthetic") {
      Napi::Value sv = o.Get("synthetic");
      if (!sv.IsObject()) ThrowCoded(env, "E_USAGE", "the synthetic primitive needs option 'synthetic'");
      Napi::Object s = sv.As<Napi::Object>();
      Napi::Float64Array t0 = GetF64(env, s, "t0Ns"), t1 = GetF64(env, s, "t1Ns"), st = GetF64(env, s, "starts"),
                         en = GetF64(env, s, "ends"), pr = GetF64(env, s, "probs");
      const size_t n = t0.ElementLength();
      if (t1.ElementLength() != n || st.ElementLength() != n || en.ElementLength() != n || pr.ElementLength() != n)
        ThrowCoded(env, "E_USAGE", "synthetic pattern arrays must have equal lengths");
      std::vector<damo::SyntheticEntry> entries(n);
      for (size_t k = 0; k < n; k++)
        entries[k] = {t0[k], t1[k], static_cast<uint64_t>(st[k]), static_cast<uint64_t>(en[k]), pr[k]};
      primitive = damo::make_synthetic(std::move(entries), cfg.seed);
    } else {
      ThrowCoded(env, "E_USAGE", "unknown primitive '" + prim + "'");
    }
    monitor_ = std::make_unique<damo::Monitor>(std::move(cfg), std::move(primitive));
  }

  ~MonitorWrap() override {
    // The object is only collected when no run holds a reference to it; stop just in case.
    if (monitor_) monitor_->request_stop();
  }

  // Called from the thread-safe function's finalizer on the JS thread once the monitor thread
  // released it: join, then settle the promise.
  static void Finalize(Napi::Env env, void*, RunState* state) {
    MonitorWrap* self = state->owner;
    self->monitor_->request_stop();
    self->monitor_->join();
    self->active_ = false;
    if (env != nullptr) {
      try {
        Napi::HandleScope scope(env);
        if (!state->callback_exception.IsEmpty()) {
          state->deferred.Reject(state->callback_exception.Value());
        } else if (state->end.reason == "error") {
          state->deferred.Reject(CodedError(env, state->end.error_code, state->end.error_message).Value());
        } else {
          Napi::Object r = Napi::Object::New(env);
          r.Set("endReason", Napi::String::New(env, state->end.reason));
          r.Set("nrSnapshots", Napi::Number::New(env, static_cast<double>(state->end.stats.nr_aggregations)));
          r.Set("nrSamples", Napi::Number::New(env, static_cast<double>(state->end.stats.nr_samples)));
          r.Set("threadCpuNs", Napi::Number::New(env, static_cast<double>(state->end.stats.thread_cpu_ns)));
          r.Set("wallNs", Napi::Number::New(env, static_cast<double>(state->end.stats.wall_ns)));
          state->deferred.Resolve(r);
        }
      } catch (...) {
        // the environment is going away; nobody is waiting for the promise
      }
    }
    self->self_ref_.Reset();
    self->RemoveCleanupHook();
    delete state;
  }

  damo::Monitor& monitor() { return *monitor_; }

 private:
  Napi::Value Start(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (active_ || started_) ThrowCoded(env, "E_USAGE", "a Monitor can be started once");
    if (info.Length() < 1 || !info[0].IsFunction()) ThrowCoded(env, "E_USAGE", "start() needs a snapshot callback");
    try {
      monitor_->init();
    } catch (const damo::EngineError& e) {
      ThrowCoded(env, e.code(), e.what());
    } catch (const std::exception& e) {
      ThrowCoded(env, "E_INTERNAL", e.what());
    }
    started_ = true;
    auto* state = new RunState(env);
    state->owner = this;
    Napi::Promise promise = state->deferred.Promise();
    tsfn_ = SnapshotTsfn::New(env, info[0].As<Napi::Function>(), "damo-native-monitor", kMaxQueuedBatches, 1, state,
                              &MonitorWrap::Finalize, static_cast<void*>(nullptr));
    self_ref_ = Napi::Persistent(Value());
    AddCleanupHook(env);
    active_ = true;
    SnapshotTsfn tsfn = tsfn_;
    damo::Monitor* mon = monitor_.get();
    monitor_->start(
        [tsfn, mon](std::vector<damo::TargetSnapshot>&& snaps) mutable {
          auto* batch = new Batch{std::move(snaps)};
          // While JS is kMaxQueuedBatches behind, wait (back-pressure instead of unbounded
          // memory) but keep noticing stop requests, so stopping or tearing down the
          // environment never waits on a queue nobody drains.
          for (;;) {
            const napi_status st = tsfn.NonBlockingCall(batch);
            if (st == napi_ok) return;
            if (st != napi_queue_full || mon->stop_requested()) {
              delete batch;
              mon->request_stop();
              return;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(1));
          }
        },
        [tsfn, state](const damo::EndInfo& end) mutable {
          state->end = end;
          tsfn.Release();
        });
    return promise;
  }

  Napi::Value Stop(const Napi::CallbackInfo&) {
    monitor_->request_stop();
    return Value();
  }

  Napi::Value ResetAges(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (info.Length() < 2 || !info[0].IsNumber() || !info[1].IsTypedArray() ||
        info[1].As<Napi::TypedArray>().TypedArrayType() != napi_float64_array)
      ThrowCoded(env, "E_USAGE", "resetAges(targetIndex, Float64Array ranges)");
    const double ti = info[0].As<Napi::Number>().DoubleValue();
    if (!(ti >= 0) || ti != static_cast<double>(static_cast<size_t>(ti)))
      ThrowCoded(env, "E_USAGE", "resetAges: the target index must be a non-negative integer");
    Napi::Float64Array r = info[1].As<Napi::Float64Array>();
    if (r.ElementLength() % 2 != 0) ThrowCoded(env, "E_USAGE", "resetAges: ranges must hold start/end pairs");
    std::vector<damo::AddrRange> ranges;
    for (size_t k = 0; k + 1 < r.ElementLength(); k += 2)
      ranges.push_back({static_cast<uint64_t>(r[k]), static_cast<uint64_t>(r[k + 1])});
    monitor_->request_age_reset(static_cast<size_t>(ti), std::move(ranges));
    return env.Undefined();
  }

  Napi::Value BaseTimeNs(const Napi::CallbackInfo& info) {
    return Napi::BigInt::New(info.Env(), static_cast<uint64_t>(monitor_->base_time_ns()));
  }

  Napi::Value Running(const Napi::CallbackInfo& info) { return Napi::Boolean::New(info.Env(), active_); }

  // If the JS environment shuts down (process exit, worker termination) while monitoring,
  // stop and join the thread before the addon goes away.
  void AddCleanupHook(Napi::Env env) {
    cleanup_env_ = env;
    napi_add_env_cleanup_hook(env, &MonitorWrap::OnEnvCleanup, this);
    hook_added_ = true;
  }
  void RemoveCleanupHook() {
    if (hook_added_) napi_remove_env_cleanup_hook(cleanup_env_, &MonitorWrap::OnEnvCleanup, this);
    hook_added_ = false;
  }
  static void OnEnvCleanup(void* arg) {
    auto* self = static_cast<MonitorWrap*>(arg);
    self->hook_added_ = false;
    self->monitor_->request_stop();
    self->monitor_->join();
  }

  std::unique_ptr<damo::Monitor> monitor_;
  SnapshotTsfn tsfn_;
  Napi::ObjectReference self_ref_;
  napi_env cleanup_env_ = nullptr;
  bool hook_added_ = false;
  bool active_ = false;
  bool started_ = false;
};

void CallJs(Napi::Env env, Napi::Function callback, RunState* state, Batch* batch) {
  std::unique_ptr<Batch> owned(batch);
  if (env == nullptr || callback.IsEmpty() || !state->callback_exception.IsEmpty()) return;
  Napi::Array arr = Napi::Array::New(env, owned->snapshots.size());
  uint32_t idx = 0;
  for (const auto& s : owned->snapshots) {
    Napi::Object o = Napi::Object::New(env);
    const size_t n = s.starts.size();
    auto f64 = [&](const std::vector<double>& v) {
      Napi::Float64Array a = Napi::Float64Array::New(env, n);
      if (n) std::memcpy(a.Data(), v.data(), n * sizeof(double));
      return a;
    };
    o.Set("targetIndex", Napi::Number::New(env, s.target_index));
    o.Set("startNs", Napi::Number::New(env, s.start_ns));
    o.Set("endNs", Napi::Number::New(env, s.end_ns));
    o.Set("starts", f64(s.starts));
    o.Set("ends", f64(s.ends));
    o.Set("nrAccesses", f64(s.nr_accesses));
    o.Set("ages", f64(s.ages));
    o.Set("granularityBytes", Napi::Number::New(env, static_cast<double>(s.granularity_bytes)));
    arr.Set(idx++, o);
  }
  try {
    callback.Call({arr});
  } catch (const Napi::Error& e) {
    // A throwing consumer ends the run; `done` rejects with what it threw.
    state->callback_exception = Napi::Persistent(static_cast<Napi::Value>(e.Value()));
    state->owner->monitor().request_stop();
  }
}

// ------------------------------------------------------------------ process_madvise

Napi::Value OpenPidfd(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsNumber()) ThrowCoded(env, "E_USAGE", "openPidfd(pid)");
  const int pid = info[0].As<Napi::Number>().Int32Value();
  if (pid <= 0) ThrowCoded(env, "E_USAGE", "openPidfd: pid must be positive");
  const int fd = damo::open_pidfd(pid);
  if (fd < 0) {
    const int err = -fd;
    if (err == ESRCH) ThrowCoded(env, "E_NOENT", "no process with pid " + std::to_string(pid));
    if (err == ENOSYS)
      ThrowCoded(env, "E_UNSUPPORTED", "pidfd_open(2) is not available (Linux 5.3+ is needed)");
    ThrowCoded(env, damo::errno_code(err), "pidfd_open(" + std::to_string(pid) + "): " + damo::errno_text(err));
  }
  return Napi::Number::New(env, fd);
}

Napi::Value CloseFd(const Napi::CallbackInfo& info) {
  if (info.Length() > 0 && info[0].IsNumber()) {
    const int fd = info[0].As<Napi::Number>().Int32Value();
    if (fd >= 0) ::close(fd);
  }
  return info.Env().Undefined();
}

Napi::Value ProbeProcessMadvise(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 2 || !info[0].IsNumber() || !info[1].IsNumber())
    ThrowCoded(env, "E_USAGE", "probeProcessMadvise(pidfd, advice)");
  const int err = damo::probe_process_madvise(info[0].As<Napi::Number>().Int32Value(), info[1].As<Napi::Number>().Int32Value());
  return Napi::Number::New(env, err);
}

class MadviseWorker : public Napi::AsyncWorker {
 public:
  MadviseWorker(Napi::Env env, int pidfd, std::vector<damo::MadviseRange> ranges, int advice)
      : Napi::AsyncWorker(env, "damo-process-madvise"),
        deferred_(Napi::Promise::Deferred::New(env)),
        pidfd_(pidfd),
        ranges_(std::move(ranges)),
        advice_(advice) {}
  Napi::Promise Promise() { return deferred_.Promise(); }

 protected:
  void Execute() override { result_ = damo::madvise_ranges(pidfd_, ranges_, advice_); }
  void OnOK() override {
    Napi::Env env = Env();
    const size_t n = result_.ranges.size();
    Napi::Float64Array bytes = Napi::Float64Array::New(env, n);
    Napi::Int32Array errnos = Napi::Int32Array::New(env, n);
    for (size_t k = 0; k < n; k++) {
      bytes[k] = static_cast<double>(result_.ranges[k].bytes);
      errnos[k] = result_.ranges[k].err;
    }
    Napi::Object o = Napi::Object::New(env);
    o.Set("bytes", bytes);
    o.Set("errnos", errnos);
    o.Set("elapsedNs", Napi::Number::New(env, static_cast<double>(result_.elapsed_ns)));
    o.Set("nrSyscalls", Napi::Number::New(env, result_.nr_syscalls));
    deferred_.Resolve(o);
  }
  void OnError(const Napi::Error& e) override { deferred_.Reject(e.Value()); }

 private:
  Napi::Promise::Deferred deferred_;
  int pidfd_;
  std::vector<damo::MadviseRange> ranges_;
  int advice_;
  damo::MadviseBatchResult result_;
};

Napi::Value ProcessMadvise(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto isF64 = [&](size_t i) {
    return info.Length() > i && info[i].IsTypedArray() && info[i].As<Napi::TypedArray>().TypedArrayType() == napi_float64_array;
  };
  if (info.Length() < 4 || !info[0].IsNumber() || !isF64(1) || !isF64(2) || !info[3].IsNumber())
    ThrowCoded(env, "E_USAGE", "processMadvise(pidfd, Float64Array starts, Float64Array lens, advice)");
  Napi::Float64Array starts = info[1].As<Napi::Float64Array>();
  Napi::Float64Array lens = info[2].As<Napi::Float64Array>();
  if (starts.ElementLength() != lens.ElementLength()) ThrowCoded(env, "E_USAGE", "processMadvise: starts and lens differ in length");
  std::vector<damo::MadviseRange> ranges(starts.ElementLength());
  for (size_t k = 0; k < ranges.size(); k++)
    ranges[k] = {static_cast<uint64_t>(starts[k]), static_cast<uint64_t>(lens[k])};
  auto* worker = new MadviseWorker(env, info[0].As<Napi::Number>().Int32Value(), std::move(ranges), info[3].As<Napi::Number>().Int32Value());
  Napi::Promise p = worker->Promise();
  worker->Queue();
  return p;
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("hostFacts", Napi::Function::New(env, HostFacts, "hostFacts"));
  exports.Set("capabilities", Napi::Function::New(env, Capabilities, "capabilities"));
  exports.Set("Monitor", MonitorWrap::Define(env));
  exports.Set("openPidfd", Napi::Function::New(env, OpenPidfd, "openPidfd"));
  exports.Set("closeFd", Napi::Function::New(env, CloseFd, "closeFd"));
  exports.Set("probeProcessMadvise", Napi::Function::New(env, ProbeProcessMadvise, "probeProcessMadvise"));
  exports.Set("processMadvise", Napi::Function::New(env, ProcessMadvise, "processMadvise"));
  exports.Set("abiVersion", Napi::Number::New(env, kAbiVersion));
  return exports;
}

}  // namespace

NODE_API_MODULE(damo_native, Init)
