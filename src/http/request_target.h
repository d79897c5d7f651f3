// The path and query of an HTTP request target ("/a%20b?x=1&y=2"), percent-decoded.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace harvis::http {

struct RequestTarget {
  std::string path;
  std::map<std::string, std::string> query;  // the first value of a repeated key wins
};

// nullopt when the target is not origin-form ("/...") or holds a broken %-escape.
// '+' in the query means a space (HTML forms); in the path it stays '+'.
std::optional<RequestTarget> ParseRequestTarget(std::string_view target);

}  // namespace harvis::http
