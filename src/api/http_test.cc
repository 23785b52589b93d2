#include "api/http.h"

#include <gtest/gtest.h>

#include "api/router.h"

namespace portatlas::api {
namespace {

TEST(HttpTest, ParsesQuery) {
  auto q = ParseQuery("a=1&b=x%20y&c&d=&e=p+q&&f=%2B");
  ASSERT_TRUE(q);
  ASSERT_EQ(q->size(), 6u);
  EXPECT_EQ((*q)[1], (std::pair<std::string, std::string>{"b", "x y"}));
  EXPECT_EQ((*q)[2].second, "");
  EXPECT_EQ((*q)[4].second, "p q");
  EXPECT_EQ((*q)[5].second, "+");
  EXPECT_TRUE(ParseQuery("")->empty());
}

TEST(HttpTest, RejectsMalformedEscapes) {
  for (const char* bad : {"a=%", "a=%2", "a=%zz", "%g0=1", "a=1&b=%"}) {
    EXPECT_EQ(ParseQuery(bad).error().kind(), ErrorKind::kInvalidArgument) << bad;
  }
}

TEST(HttpTest, HeaderLookupIgnoresCase) {
  Request r;
  r.headers = {{"x-auth-token", "t"}, {"Content-Type", "c"}};
  EXPECT_EQ(r.Header("X-Auth-Token"), "t");
  EXPECT_FALSE(r.Header("Authorization").has_value());
}

TEST(RouterTest, MatchesParamsAndMethods) {
  Router router;
  int hit = 0;
  router.Add("GET", "/v5/{project_id}/asset/ports", [&](Request&) -> Result<Response> {
    ++hit;
    return Response{};
  });
  auto m = router.Find("GET", "/v5/p%201/asset/ports");
  ASSERT_TRUE(m);
  ASSERT_NE(m->handler, nullptr);
  EXPECT_EQ(m->params[0].second, "p 1");
  EXPECT_EQ(router.Find("POST", "/v5/p/asset/ports")->handler, nullptr);
  EXPECT_EQ(router.Find("GET", "/v5/p/asset/ports/x")->handler, nullptr);
  EXPECT_EQ(router.Find("GET", "/v5//asset/ports")->handler, nullptr);
  EXPECT_FALSE(router.Find("GET", "/v5/%zz/asset/ports"));
}

}  // namespace
}  // namespace portatlas::api
