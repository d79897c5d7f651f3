#include "http/multipart.h"

#include <gtest/gtest.h>

#include "http/request_target.h"

namespace harvis::http {
namespace {

const std::string kType = "multipart/form-data; boundary=XyZ";

std::string Part(const std::string& disposition, const std::string& data, const std::string& type = "") {
  std::string p = "--XyZ\r\nContent-Disposition: " + disposition + "\r\n";
  if (!type.empty()) p += "Content-Type: " + type + "\r\n";
  return p + "\r\n" + data + "\r\n";
}

TEST(Multipart, ParsesFieldsAndFilesWithBinaryData) {
  const std::string audio("RIFF\0\r\n--Xy\xff", 12);  // NUL, CRLF and a partial boundary inside
  const std::string body = "preamble\r\n" + Part("form-data; name=\"model\"", "whisper-1") +
                           Part("form-data; name=\"file\"; filename=\"a b;c.wav\"", audio, "audio/wav") + "--XyZ--\r\n";
  auto form = ParseMultipartForm(kType, body);
  ASSERT_TRUE(form.ok()) << form.status().message();
  ASSERT_EQ(form->parts.size(), 2u);
  EXPECT_EQ(form->Field("model"), "whisper-1");
  const FormPart* file = form->Find("file");
  ASSERT_NE(file, nullptr);
  EXPECT_EQ(file->filename, "a b;c.wav");
  EXPECT_EQ(file->content_type, "audio/wav");
  EXPECT_EQ(file->data, audio);
  EXPECT_FALSE(form->Field("language").has_value());
}

TEST(Multipart, QuotedBoundaryAndCaseInsensitiveNames) {
  const std::string body = "--a:b\r\ncontent-disposition: form-data; NAME=x\r\n\r\n1\r\n--a:b--";
  auto form = ParseMultipartForm("Multipart/Form-Data; charset=utf-8; Boundary=\"a:b\"", body);
  ASSERT_TRUE(form.ok()) << form.status().message();
  EXPECT_EQ(form->Field("x"), "1");
  EXPECT_TRUE(IsMultipartFormData("multipart/form-data; boundary=q"));
  EXPECT_FALSE(IsMultipartFormData("application/json"));
}

TEST(Multipart, MalformedBodiesAreInvalidArgument) {
  const std::string good = Part("form-data; name=\"file\"", "data");
  for (const auto& [type, body] : std::vector<std::pair<std::string, std::string>>{
           {"multipart/form-data", good + "--XyZ--"},                             // no boundary
           {kType, "no delimiter at all"},                                        // boundary missing
           {kType, good},                                                         // truncated: no closing delimiter
           {kType, "--XyZ\r\nContent-Disposition: form-data; name=\"f\"\r\n"},   // headers never end
           {kType, Part("attachment; name=\"f\"", "x") + "--XyZ--"},             // not form-data
           {kType, Part("form-data; filename=\"f\"", "x") + "--XyZ--"},          // no name
           {kType, "--XyZ\r\nbroken header\r\n\r\nx\r\n--XyZ--"},                // header without ':'
       }) {
    auto form = ParseMultipartForm(type, body);
    EXPECT_FALSE(form.ok()) << body;
    if (!form.ok()) EXPECT_EQ(form.status().code(), ErrorCode::kInvalidArgument);
  }
}

TEST(RequestTarget, DecodesPathAndQuery) {
  auto t = ParseRequestTarget("/api/models/llama3%3A8b/load?x=1&name=a+b%26c&flag&x=2");
  ASSERT_TRUE(t.has_value());
  EXPECT_EQ(t->path, "/api/models/llama3:8b/load");
  EXPECT_EQ(t->query.at("x"), "1");  // the first value wins
  EXPECT_EQ(t->query.at("name"), "a b&c");
  EXPECT_EQ(t->query.at("flag"), "");
  EXPECT_EQ(ParseRequestTarget("/a+b")->path, "/a+b");
}

TEST(RequestTarget, RejectsBrokenEscapesAndNonOriginForm) {
  EXPECT_FALSE(ParseRequestTarget("/a%2").has_value());
  EXPECT_FALSE(ParseRequestTarget("/a%zz").has_value());
  EXPECT_FALSE(ParseRequestTarget("/a?q=%").has_value());
  EXPECT_FALSE(ParseRequestTarget("*").has_value());
  EXPECT_FALSE(ParseRequestTarget("").has_value());
  EXPECT_FALSE(ParseRequestTarget("http://example.com/").has_value());
}

}  // namespace
}  // namespace harvis::http
