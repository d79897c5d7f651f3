// Crash-safe small-file writes for state kept in the state dir.
#pragma once

#include <filesystem>
#include <string_view>

#include "core/status.h"

namespace harvis::resources {

// Replaces `path` with `content` atomically: writes a temporary file beside it, flushes
// it to disk, then renames it over `path`, so readers see the old or the new content,
// never a torn one. kFailedPrecondition with the OS reason when it cannot.
// Thread-safe for distinct paths; concurrent writers of one path: the last rename wins.
Status WriteFileAtomically(const std::filesystem::path& path, std::string_view content);

}  // namespace harvis::resources
