#include "http/multipart.h"

namespace harvis::http {

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

}  // namespace harvis::http
