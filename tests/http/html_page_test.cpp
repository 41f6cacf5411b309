// The readers' small pages and the escaping that keeps request text out of their markup.
#include "http/html_page.hpp"

#include <gtest/gtest.h>

namespace supportd::http {
namespace {

TEST(HtmlPage, EscapingLeavesNoMarkupAndNoWayOutOfAQuotedAttribute) {
  EXPECT_EQ(html_escaped(R"(<a href="x" title='y'>&amp;</a>)"),
            "&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;amp;&lt;/a&gt;");
  EXPECT_EQ(html_escaped("1803984397.TCgIYbJ25EChmW-_"), "1803984397.TCgIYbJ25EChmW-_");
  EXPECT_EQ(html_escaped("5,00 € · ünïcode"), "5,00 € · ünïcode");  // UTF-8 passes as it is
  EXPECT_EQ(html_escaped(""), "");
}

TEST(HtmlPage, APageIsNeverCachedAndLoadsNothing) {
  auto r = html_page(403, "This link does not work", "<p>Expired.</p>");
  EXPECT_EQ(r.status, 403);
  EXPECT_EQ(r.content_type, "text/html; charset=utf-8");
  EXPECT_NE(r.body.find("<h1>This link does not work</h1><p>Expired.</p>"), std::string::npos);
  auto header = [&](std::string_view name) {
    for (const auto& [n, v] : r.headers) {
      if (n == name) {
        return v;
      }
    }
    return std::string{};
  };
  EXPECT_EQ(header("Cache-Control"), "no-store");
  EXPECT_TRUE(header("Content-Security-Policy").starts_with("default-src 'none'"));
}

}  // namespace
}  // namespace supportd::http
