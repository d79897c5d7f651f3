#include "http/json_response.h"

#include <gtest/gtest.h>

#include "http/errors.h"
#include "http/sse.h"

namespace harvis::http {
namespace {

// A transcript or token cut inside a UTF-8 character ("é" is C3 A9).
const std::string kBrokenUtf8 = std::string("caf") + '\xC3';

TEST(JsonResponse, InvalidUtf8FromAnEngineIsReplacedNotThrown) {
  HttpResponse res;
  ASSERT_NO_THROW(res = JsonResponse({{"text", kBrokenUtf8}}));
  EXPECT_EQ(res.status, 200);
  EXPECT_EQ(res.body, "{\"text\":\"caf\xEF\xBF\xBD\"}");  // U+FFFD
}

TEST(JsonResponse, SseFramesAndErrorsSurviveInvalidUtf8) {
  std::string frame;
  ASSERT_NO_THROW(frame = SseEvent("token", {{"content", kBrokenUtf8}}));
  EXPECT_EQ(frame, "event: token\ndata: {\"content\":\"caf\xEF\xBF\xBD\"}\n\n");
  EXPECT_EQ(SseData({{"status", "starting"}}), "data: {\"status\":\"starting\"}\n\n");
  HttpResponse err;
  ASSERT_NO_THROW(err = ErrorResponse(Status(ErrorCode::kNotFound, "model '" + kBrokenUtf8 + "' does not exist")));
  EXPECT_EQ(err.status, 404);
  EXPECT_NE(err.body.find("\xEF\xBF\xBD"), std::string::npos);
}

}  // namespace
}  // namespace harvis::http
