// The few NVML declarations Harvis uses, written from NVIDIA's documented C API so that
// no CUDA or NVML header is needed at build time. The library is opened with dlopen.
// Internal to the resources layer.
#pragma once

namespace harvis::resources::nvml_abi {

using Return = int;  // nvmlReturn_t: an enum, int-sized
constexpr Return kSuccess = 0;
constexpr Return kErrorInsufficientSize = 7;

struct DeviceOpaque;
using Device = DeviceOpaque*;  // nvmlDevice_t

// Buffer sizes NVML documents as large enough (the _V2 variants, the largest).
constexpr unsigned kNameBufferSize = 96;
constexpr unsigned kUuidBufferSize = 96;
constexpr unsigned kVersionBufferSize = 80;

// usedGpuMemory when the driver cannot tell (e.g. no permission inside a container).
constexpr unsigned long long kValueNotAvailable = ~0ull;

struct Memory {  // nvmlMemory_t
  unsigned long long total;
  unsigned long long free;
  unsigned long long used;
};

struct ProcessInfoV1 {  // for nvmlDeviceGetComputeRunningProcesses (unversioned)
  unsigned int pid;
  unsigned long long used_gpu_memory;
};

struct ProcessInfoV3 {  // nvmlProcessInfo_t, for the _v2 and _v3 entry points
  unsigned int pid;
  unsigned long long used_gpu_memory;
  unsigned int gpu_instance_id;
  unsigned int compute_instance_id;
};

using InitFn = Return (*)();
using ShutdownFn = Return (*)();
using ErrorStringFn = const char* (*)(Return);
using GetCountFn = Return (*)(unsigned int*);
using GetHandleByIndexFn = Return (*)(unsigned int, Device*);
using GetStringFn = Return (*)(Device, char*, unsigned int);  // name, UUID
using GetMemoryInfoFn = Return (*)(Device, Memory*);
using GetProcessesV1Fn = Return (*)(Device, unsigned int*, ProcessInfoV1*);
using GetProcessesV3Fn = Return (*)(Device, unsigned int*, ProcessInfoV3*);
using SystemGetStringFn = Return (*)(char*, unsigned int);  // driver version

// The entry points Harvis resolves; the optional ones may be null.
struct Api {
  InitFn init = nullptr;
  ShutdownFn shutdown = nullptr;
  ErrorStringFn error_string = nullptr;
  GetCountFn get_count = nullptr;
  GetHandleByIndexFn get_handle_by_index = nullptr;
  GetStringFn get_name = nullptr;
  GetMemoryInfoFn get_memory_info = nullptr;
  GetStringFn get_uuid = nullptr;                       // optional
  GetProcessesV3Fn get_processes_v3 = nullptr;          // optional: _v3, else _v2
  GetProcessesV1Fn get_processes_v1 = nullptr;          // optional: unversioned
  SystemGetStringFn get_driver_version = nullptr;       // optional
};

}  // namespace harvis::resources::nvml_abi
