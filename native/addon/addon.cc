// Thin node-addon-api glue. All logic lives in native/engine and native/access;
// this file only converts between JS values and those plain C++ types.
#include <napi.h>

#include "engine/host.h"

namespace {

Napi::Value HostFacts(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  damo::HostFacts facts = damo::read_host_facts();
  Napi::Object out = Napi::Object::New(env);
  out.Set("pageSizeBytes", Napi::Number::New(env, static_cast<double>(facts.page_size_bytes)));
  out.Set("kernelRelease", Napi::String::New(env, facts.kernel_release));
  out.Set("nrCpus", Napi::Number::New(env, facts.nr_cpus));
  return out;
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("hostFacts", Napi::Function::New(env, HostFacts, "hostFacts"));
  exports.Set("abiVersion", Napi::Number::New(env, 1));
  return exports;
}

}  // namespace

NODE_API_MODULE(damo_native, Init)
