#include "core/units.h"

#include <gtest/gtest.h>

namespace harvis {
namespace {

using std::chrono::milliseconds;

TEST(ParseSize, AcceptsBinaryAndDecimalUnits) {
  EXPECT_EQ(ParseSize("600MiB"), 600 * kMiB);
  EXPECT_EQ(ParseSize("24GiB"), 24 * kGiB);
  EXPECT_EQ(ParseSize("24Gi"), 24 * kGiB);
  EXPECT_EQ(ParseSize("24GB"), 24000000000ull);
  EXPECT_EQ(ParseSize("24G"), 24000000000ull);
  EXPECT_EQ(ParseSize("1.5GiB"), kGiB + kGiB / 2);
  EXPECT_EQ(ParseSize("1048576"), 1048576u);
  EXPECT_EQ(ParseSize(" 64MiB "), 64 * kMiB);
  EXPECT_EQ(ParseSize("0"), 0u);
}

TEST(ParseSize, RejectsMalformedValues) {
  for (const char* bad : {"", "-1", "-5GiB", "GiB", "24XB", "24 GiBs", "1.5", "1.2.3GiB", "24gib",
                          "99999999999TiB"}) {
    EXPECT_FALSE(ParseSize(bad).has_value()) << bad;
  }
}

TEST(ParseDuration, AcceptsGoStyleAndPlainSeconds) {
  EXPECT_EQ(ParseDuration("5m"), milliseconds(300000));
  EXPECT_EQ(ParseDuration("300s"), milliseconds(300000));
  EXPECT_EQ(ParseDuration("1h30m"), milliseconds(5400000));
  EXPECT_EQ(ParseDuration("250ms"), milliseconds(250));
  EXPECT_EQ(ParseDuration("1.5s"), milliseconds(1500));
  EXPECT_EQ(ParseDuration("30"), milliseconds(30000));
  EXPECT_EQ(ParseDuration("0"), milliseconds(0));
}

TEST(ParseDuration, RejectsMalformedValues) {
  for (const char* bad : {"", "-1", "5x", "m", "5m3", "1 h", "5mins", "--5s"}) {
    EXPECT_FALSE(ParseDuration(bad).has_value()) << bad;
  }
}

TEST(ParseKeepAlive, NegativeMeansForever) {
  EXPECT_EQ(ParseKeepAlive("-1"), kForever);
  EXPECT_EQ(ParseKeepAlive("-1s"), kForever);
  EXPECT_EQ(ParseKeepAlive("0"), milliseconds(0));
  EXPECT_EQ(ParseKeepAlive("5m"), milliseconds(300000));
  EXPECT_FALSE(ParseKeepAlive("-").has_value());
  EXPECT_FALSE(ParseKeepAlive("forever").has_value());
}

TEST(Format, BytesAndDurations) {
  EXPECT_EQ(FormatBytes(24 * kGiB), "24.0GiB");
  EXPECT_EQ(FormatBytes(600 * kMiB), "600.0MiB");
  EXPECT_EQ(FormatBytes(512), "512B");
  EXPECT_EQ(FormatDuration(milliseconds(300000)), "300s");
  EXPECT_EQ(FormatDuration(milliseconds(250)), "250ms");
  EXPECT_EQ(FormatDuration(kForever), "forever");
}

}  // namespace
}  // namespace harvis
