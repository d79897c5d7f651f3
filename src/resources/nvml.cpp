#include "resources/nvml.h"

#include <dlfcn.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>

#include "resources/nvml_abi.h"

namespace harvis::resources {

using nvml_abi::Api;
using nvml_abi::Device;
using nvml_abi::Return;

namespace {

template <typename Fn>
Fn Symbol(void* handle, const char* name) {
  return reinterpret_cast<Fn>(dlsym(handle, name));
}

// Fills `api` from the library; returns the first missing required symbol, or nullptr.
const char* ResolveApi(void* handle, Api& api) {
  api.init = Symbol<nvml_abi::InitFn>(handle, "nvmlInit_v2");
  api.shutdown = Symbol<nvml_abi::ShutdownFn>(handle, "nvmlShutdown");
  api.error_string = Symbol<nvml_abi::ErrorStringFn>(handle, "nvmlErrorString");
  api.get_count = Symbol<nvml_abi::GetCountFn>(handle, "nvmlDeviceGetCount_v2");
  api.get_handle_by_index =
      Symbol<nvml_abi::GetHandleByIndexFn>(handle, "nvmlDeviceGetHandleByIndex_v2");
  api.get_name = Symbol<nvml_abi::GetStringFn>(handle, "nvmlDeviceGetName");
  api.get_memory_info = Symbol<nvml_abi::GetMemoryInfoFn>(handle, "nvmlDeviceGetMemoryInfo");
  api.get_uuid = Symbol<nvml_abi::GetStringFn>(handle, "nvmlDeviceGetUUID");
  api.get_processes_v3 = Symbol<nvml_abi::GetProcessesV3Fn>(
      handle, "nvmlDeviceGetComputeRunningProcesses_v3");
  if (!api.get_processes_v3) {
    api.get_processes_v3 = Symbol<nvml_abi::GetProcessesV3Fn>(
        handle, "nvmlDeviceGetComputeRunningProcesses_v2");
  }
  api.get_processes_v1 = Symbol<nvml_abi::GetProcessesV1Fn>(
      handle, "nvmlDeviceGetComputeRunningProcesses");
  api.get_driver_version =
      Symbol<nvml_abi::SystemGetStringFn>(handle, "nvmlSystemGetDriverVersion");
  if (!api.init) return "nvmlInit_v2";
  if (!api.shutdown) return "nvmlShutdown";
  if (!api.error_string) return "nvmlErrorString";
  if (!api.get_count) return "nvmlDeviceGetCount_v2";
  if (!api.get_handle_by_index) return "nvmlDeviceGetHandleByIndex_v2";
  if (!api.get_name) return "nvmlDeviceGetName";
  if (!api.get_memory_info) return "nvmlDeviceGetMemoryInfo";
  return nullptr;
}

std::string ErrorText(const Api& api, Return code) {
  const char* text = api.error_string ? api.error_string(code) : nullptr;
  return text ? std::string(text) : "NVML error " + std::to_string(code);
}

void AddError(const Api& api, const char* call, Return code, GpuInfo& info) {
  if (!info.error.empty()) info.error += "; ";
  info.error += std::string(call) + ": " + ErrorText(api, code);
}

// Calls a process-listing entry point, growing the buffer while NVML asks for more.
template <typename Info, typename Fn>
Return ListProcesses(Fn list, Device device, std::vector<Info>& infos) {
  infos.resize(32);
  for (int attempt = 0; attempt < 4; ++attempt) {
    auto count = static_cast<unsigned int>(infos.size());
    const Return code = list(device, &count, infos.data());
    if (code == nvml_abi::kErrorInsufficientSize) {
      infos.resize(std::max<size_t>(count + 8, infos.size() * 2));
      continue;
    }
    infos.resize(code == nvml_abi::kSuccess ? std::min<size_t>(count, infos.size()) : 0);
    return code;
  }
  return nvml_abi::kErrorInsufficientSize;
}

template <typename Info>
void RecordProcesses(const std::vector<Info>& infos, GpuInfo& info) {
  const auto own_pid = static_cast<uint32_t>(getpid());
  for (const Info& process : infos) {
    if (process.used_gpu_memory == nvml_abi::kValueNotAvailable) continue;
    // A process can appear once per MIG instance: add them up.
    info.process_used_bytes[process.pid] += process.used_gpu_memory;
  }
  const auto own = info.process_used_bytes.find(own_pid);
  if (own != info.process_used_bytes.end()) info.own_used_bytes = own->second;
}

void QueryProcesses(const Api& api, Device device, GpuInfo& info) {
  if (api.get_processes_v3) {
    std::vector<nvml_abi::ProcessInfoV3> infos;
    const Return code = ListProcesses(api.get_processes_v3, device, infos);
    if (code == nvml_abi::kSuccess) return RecordProcesses(infos, info);
    AddError(api, "nvmlDeviceGetComputeRunningProcesses_v3", code, info);
  } else if (api.get_processes_v1) {
    std::vector<nvml_abi::ProcessInfoV1> infos;
    const Return code = ListProcesses(api.get_processes_v1, device, infos);
    if (code == nvml_abi::kSuccess) return RecordProcesses(infos, info);
    AddError(api, "nvmlDeviceGetComputeRunningProcesses", code, info);
  }
}

GpuInfo QueryDevice(const Api& api, unsigned index) {
  GpuInfo info;
  info.index = index;
  info.id = "gpu" + std::to_string(index);
  Device device = nullptr;
  Return code = api.get_handle_by_index(index, &device);
  if (code != nvml_abi::kSuccess) {
    AddError(api, "nvmlDeviceGetHandleByIndex_v2", code, info);
    return info;
  }
  char text[nvml_abi::kNameBufferSize] = {};
  code = api.get_name(device, text, sizeof(text));
  if (code == nvml_abi::kSuccess) info.name = text;
  char uuid[nvml_abi::kUuidBufferSize] = {};
  if (api.get_uuid && api.get_uuid(device, uuid, sizeof(uuid)) == nvml_abi::kSuccess) {
    info.uuid = uuid;
  }
  nvml_abi::Memory memory{};
  code = api.get_memory_info(device, &memory);
  if (code == nvml_abi::kSuccess) {
    info.memory_total_bytes = memory.total;
    info.memory_used_bytes = memory.used;
  } else {
    AddError(api, "nvmlDeviceGetMemoryInfo", code, info);
  }
  QueryProcesses(api, device, info);
  return info;
}

std::string DriverVersion(const Api& api) {
  char version[nvml_abi::kVersionBufferSize] = {};
  if (!api.get_driver_version ||
      api.get_driver_version(version, sizeof(version)) != nvml_abi::kSuccess) {
    return "unknown";
  }
  return version;
}

}  // namespace

Nvml::Nvml(std::string library_path)
    : library_path_(std::move(library_path)), api_(std::make_unique<Api>()) {
  std::lock_guard lock(mutex_);
  if (Load()) {
    spdlog::info("{}", description_);
  } else {
    spdlog::info("{}; no GPUs will be used", description_);
    Unload();
  }
}

Nvml::~Nvml() {
  std::lock_guard lock(mutex_);
  Unload();
}

bool Nvml::Load() {
  handle_ = dlopen(library_path_.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!handle_) {
    const char* why = dlerror();
    // dlerror() names the library and the reason ("...: cannot open shared object file").
    description_ = "cannot load NVML: " + (why ? std::string(why) : library_path_);
    return false;
  }
  if (const char* missing = ResolveApi(handle_, *api_)) {
    description_ = "cannot use NVML: " + library_path_ + " has no " + missing;
    return false;
  }
  const Return code = api_->init();
  if (code != nvml_abi::kSuccess) {
    description_ = "NVML did not initialise: nvmlInit_v2: " + ErrorText(*api_, code);
    return false;
  }
  initialised_ = true;
  description_ = "NVML driver " + DriverVersion(*api_) + " (" + library_path_ + ")";
  return true;
}

void Nvml::Unload() {
  if (initialised_) api_->shutdown();
  initialised_ = false;
  *api_ = Api{};
  if (handle_) dlclose(handle_);
  handle_ = nullptr;
}

bool Nvml::available() const {
  std::lock_guard lock(mutex_);
  return initialised_;
}

std::string Nvml::description() const {
  std::lock_guard lock(mutex_);
  return description_;
}

unsigned Nvml::DeviceCount() {
  std::lock_guard lock(mutex_);
  unsigned count = 0;
  if (!initialised_ || api_->get_count(&count) != nvml_abi::kSuccess) return 0;
  return count;
}

std::vector<GpuInfo> Nvml::Devices() {
  std::lock_guard lock(mutex_);
  std::vector<GpuInfo> devices;
  unsigned count = 0;
  if (!initialised_ || api_->get_count(&count) != nvml_abi::kSuccess) return devices;
  for (unsigned index = 0; index < count; ++index) {
    devices.push_back(QueryDevice(*api_, index));
  }
  return devices;
}

}  // namespace harvis::resources
