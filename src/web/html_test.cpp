// SPDX-License-Identifier: LGPL-2.1-or-later
#include "web/html.h"

#include <gtest/gtest.h>

#include <regex>
#include <string>

#include "web/assets.h"

namespace kci::web {
namespace {

TEST(Html, EscapesMarkupAndQuotes) {
  EXPECT_EQ(escape_html(R"(<a href="x">'&'</a>)"),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;");
  EXPECT_EQ(escape_html("plain"), "plain");
}

TEST(Html, OnlyHttpAndRelativeUrlsAreLinks) {
  EXPECT_EQ(safe_link("https://example.org/a?b=c#d"), "https://example.org/a?b=c#d");
  EXPECT_EQ(safe_link("HTTP://example.org/"), "HTTP://example.org/");
  EXPECT_EQ(safe_link("/checkout/x"), "/checkout/x");
  EXPECT_EQ(safe_link("logs/boot.log"), "logs/boot.log");
  EXPECT_EQ(safe_link("?page=2"), "?page=2");
  for (const char* bad :
       {"javascript:alert(1)", "JaVaScRiPt:alert(1)", " javascript:alert(1)", "java\tscript:x",
        "data:text/html,<script>", "vbscript:x", "file:///etc/passwd", "//evil.example/x",
        "https:evil", "http:/x", "", "https://x/\"onmouseover=", "https://x/<script>",
        "https://x\\y", "ftp://x/"}) {
    EXPECT_FALSE(safe_link(bad).has_value()) << bad;
  }
}

TEST(Html, UrlEncodeKeepsUnreserved) {
  EXPECT_EQ(url_encode("maestro:abc-1.2_~"), "maestro%3Aabc-1.2_~");
  EXPECT_EQ(url_encode("a/b c"), "a%2Fb%20c");
}

// Report data reaches the pages only through escaping {{tags}}: a triple
// mustache (unescaped) is allowed only for markup kci itself produced.
TEST(Templates, UnescapedOutputOnlyForKciMarkup) {
  std::regex triple(R"(\{\{\{\s*([^}\s]+)\s*\}\}\}|\{\{&\s*([^}\s]+)\s*\}\})");
  int templates = 0;
  for (const Asset& a : assets()) {
    if (!a.name.starts_with("templates/")) continue;
    ++templates;
    std::string text(a.content);
    for (std::sregex_iterator it(text.begin(), text.end(), triple), end; it != end; ++it) {
      std::string name = (*it)[1].matched ? (*it)[1].str() : (*it)[2].str();
      EXPECT_TRUE(name == "content" || name.ends_with("_svg")) << a.name << ": " << name;
    }
    // No inline script or style: the Content-Security-Policy forbids them.
    EXPECT_EQ(text.find("<script>"), std::string::npos) << a.name;
    EXPECT_EQ(text.find("style="), std::string::npos) << a.name;
    EXPECT_EQ(text.find("<style"), std::string::npos) << a.name;
  }
  EXPECT_GE(templates, 6);
}

}  // namespace
}  // namespace kci::web
