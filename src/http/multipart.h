// A multipart/form-data request (RFC 7578), e.g. an upload to /v1/audio/transcriptions,
// as parsed by the server (whose body limit bounds it).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace harvis::http {

struct FormPart {
  std::string name;
  std::string filename;      // empty for plain fields
  std::string content_type;  // empty when the part did not say
  std::string data;
};

struct MultipartForm {
  std::vector<FormPart> parts;
  // The first part with this name, or null.
  const FormPart* Find(std::string_view name) const;
  // A plain field's value, or nullopt when absent.
  std::optional<std::string> Field(std::string_view name) const;
};

// True when a Content-Type header names multipart/form-data.
bool IsMultipartFormData(std::string_view content_type);

// Parses a multipart/form-data body given its Content-Type header (which carries the
// boundary). kInvalidArgument for a missing boundary, a part without a form-data name,
// or a body that ends before its closing delimiter.
Result<MultipartForm> ParseMultipartForm(std::string_view content_type, std::string_view body);

}  // namespace harvis::http
