#include "http/multipart.h"

#include <algorithm>
#include <cctype>

namespace harvis::http {
namespace {

bool StartsWithIgnoreCase(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() &&
         std::equal(prefix.begin(), prefix.end(), s.begin(), [](char a, char b) {
           return std::tolower(static_cast<unsigned char>(a)) == std::tolower(static_cast<unsigned char>(b));
         });
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && StartsWithIgnoreCase(a, b);
}

// The value of parameter `name` in a header value such as `form-data; name="file"`,
// quotes removed (backslash escapes honoured); nullopt when absent.
std::optional<std::string> HeaderParam(std::string_view value, std::string_view name) {
  constexpr auto npos = std::string_view::npos;
  size_t i = value.find(';');
  while (i != npos) {
    ++i;  // past ';'
    const size_t eq = value.find_first_of("=;", i);
    if (eq == npos || value[eq] == ';') {  // a parameter without a value
      i = eq;
      continue;
    }
    const std::string_view key = Trim(value.substr(i, eq - i));
    i = eq + 1;
    while (i < value.size() && (value[i] == ' ' || value[i] == '\t')) ++i;
    std::string parsed;
    if (i < value.size() && value[i] == '"') {
      for (++i; i < value.size() && value[i] != '"'; ++i) {
        if (value[i] == '\\' && i + 1 < value.size()) ++i;
        parsed += value[i];
      }
      i = value.find(';', i);  // a quoted value may hold ';'
    } else {
      const size_t end = value.find(';', i);
      parsed = std::string(Trim(value.substr(i, end == npos ? npos : end - i)));
      i = end;
    }
    if (EqualsIgnoreCase(key, name)) return parsed;
  }
  return std::nullopt;
}

Status Malformed(const std::string& why) {
  return Status(ErrorCode::kInvalidArgument, "malformed multipart/form-data body: " + why);
}

}  // namespace

const FormPart* MultipartForm::Find(std::string_view name) const {
  for (const auto& p : parts) {
    if (p.name == name) return &p;
  }
  return nullptr;
}

std::optional<std::string> MultipartForm::Field(std::string_view name) const {
  const FormPart* p = Find(name);
  if (!p) return std::nullopt;
  return p->data;
}

bool IsMultipartFormData(std::string_view content_type) {
  return StartsWithIgnoreCase(Trim(content_type), "multipart/form-data");
}

Result<MultipartForm> ParseMultipartForm(std::string_view content_type, std::string_view body) {
  auto boundary = HeaderParam(content_type, "boundary");
  if (!boundary || boundary->empty() || boundary->size() > 200) return Malformed("no boundary in Content-Type");
  const std::string delimiter = "--" + *boundary;
  const std::string next_delimiter = "\r\n" + delimiter;

  size_t pos = body.find(delimiter);
  if (pos == std::string_view::npos) return Malformed("the boundary never occurs");
  pos += delimiter.size();
  MultipartForm form;
  while (true) {
    if (body.substr(pos, 2) == "--") return form;  // the closing delimiter
    if (body.substr(pos, 2) != "\r\n") return Malformed("no line break after a boundary");
    pos += 2;
    const size_t headers_end = body.find("\r\n\r\n", pos);
    if (headers_end == std::string_view::npos) return Malformed("a part's headers never end");
    FormPart part;
    bool form_data = false;
    std::string_view headers = body.substr(pos, headers_end - pos);
    while (!headers.empty()) {
      const size_t eol = headers.find("\r\n");
      std::string_view line = headers.substr(0, eol);
      headers = eol == std::string_view::npos ? std::string_view{} : headers.substr(eol + 2);
      const size_t colon = line.find(':');
      if (colon == std::string_view::npos) return Malformed("a part header without ':'");
      std::string_view name = Trim(line.substr(0, colon)), value = Trim(line.substr(colon + 1));
      if (EqualsIgnoreCase(name, "content-disposition")) {
        form_data = StartsWithIgnoreCase(value, "form-data");
        part.name = HeaderParam(value, "name").value_or("");
        part.filename = HeaderParam(value, "filename").value_or("");
      } else if (EqualsIgnoreCase(name, "content-type")) {
        part.content_type = std::string(value);
      }
    }
    if (!form_data || part.name.empty()) return Malformed("a part without Content-Disposition: form-data; name=...");
    const size_t data_start = headers_end + 4;
    const size_t data_end = body.find(next_delimiter, data_start);
    if (data_end == std::string_view::npos) return Malformed("the body ends inside a part (truncated?)");
    part.data = std::string(body.substr(data_start, data_end - data_start));
    form.parts.push_back(std::move(part));
    pos = data_end + next_delimiter.size();
  }
}

}  // namespace harvis::http
