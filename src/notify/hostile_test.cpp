// SPDX-License-Identifier: LGPL-2.1-or-later
// Hostile strings: every string field of every golden input gets CR, LF,
// NUL, ESC, DEL, NEL and a forged header appended; the mail must still
// have only kci's own header lines, none with a control character.
#include <gtest/gtest.h>

#include <rapidjson/document.h>
#include <cstdio>

#include <filesystem>
#include <set>

#include "notify/mail.h"
#include "notify/report_json.h"
#include "util/error.h"
#include "util/file.h"

namespace kci::notify {
namespace {

namespace fs = std::filesystem;

const std::string kHostile =
    "x\r\nBcc: evil@attacker.example\r\n\r\nbody\n\x1b[2J\x7f\xc2\x85\xe2\x80\xa8\rX-Injected: "
    "1\n.\r\n";
const std::string kHostileNul = kHostile + std::string(1, '\0') + "\r\nBcc: nul@attacker.example";

std::string json_string(std::string_view s) {
  std::string out = "\"";
  for (char ch : s) {
    auto c = static_cast<unsigned char>(ch);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += ch;
    } else if (c < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", c);
      out += buf;
    } else {
      out += ch;
    }
  }
  return out + "\"";
}

// v as JSON text, with kHostile appended to every string under "data"
// (written here: this must not depend on a JSON writer's escaping).
std::string poisoned(const rapidjson::Value& v, bool in_data) {
  if (v.IsString()) {
    std::string s(v.GetString(), v.GetStringLength());
    return json_string(in_data ? s + kHostile : s);
  }
  if (v.IsInt64()) return std::to_string(v.GetInt64());
  if (v.IsArray()) {
    std::string out = "[";
    for (rapidjson::SizeType i = 0; i < v.Size(); ++i) {
      out += (i ? "," : "") + poisoned(v[i], in_data);
    }
    return out + "]";
  }
  std::string out = "{";
  bool first = true;
  for (const auto& m : v.GetObject()) {
    std::string key(m.name.GetString(), m.name.GetStringLength());
    out +=
        (first ? "" : ",") + json_string(key) + ":" + poisoned(m.value, in_data || key == "data");
    first = false;
  }
  return out + "}";
}

// Checks the header block of a rendered mail: every line is a header kci
// writes or a folded continuation, with no control characters.
void check_headers(const std::string& mail) {
  std::size_t end = mail.find("\r\n\r\n");
  ASSERT_NE(end, std::string::npos);
  std::string head = mail.substr(0, end + 2);
  const std::set<std::string> names = {"From",
                                       "To",
                                       "Cc",
                                       "Subject",
                                       "Date",
                                       "Message-ID",
                                       "In-Reply-To",
                                       "References",
                                       "MIME-Version",
                                       "Content-Type",
                                       "Content-Transfer-Encoding",
                                       "X-Kci-Report",
                                       "X-Kci-Object"};
  std::set<std::string> seen;
  std::size_t i = 0;
  while (i < head.size()) {
    std::size_t nl = head.find("\r\n", i);
    ASSERT_NE(nl, std::string::npos);
    std::string line = head.substr(i, nl - i);
    for (char c : line) {
      auto u = static_cast<unsigned char>(c);
      EXPECT_TRUE(u >= 0x20 && u < 0x7f) << "byte " << int(u) << " in header line: " << line;
    }
    EXPECT_LE(line.size(), 998u);
    if (line.empty() || line[0] == ' ') {
      EXPECT_FALSE(line.empty());
    } else {
      std::string name = line.substr(0, line.find(':'));
      EXPECT_TRUE(names.count(name) || name == "X-Fine") << "unexpected header: " << line;
      EXPECT_TRUE(seen.insert(name).second) << "header twice: " << name;
    }
    i = nl + 2;
  }
}

TEST(Hostile, NoFieldReachesAHeaderWithControlCharacters) {
  int inputs = 0;
  for (const auto& e : fs::directory_iterator(fs::path(KCI_SOURCE_DIR) / "src/notify/testdata")) {
    if (e.path().extension() != ".json") continue;
    rapidjson::Document doc;
    std::string text = read_file(e.path().string());
    doc.Parse(text.data(), text.size());
    ASSERT_FALSE(doc.HasParseError());
    ReportInput in = parse_report_input(poisoned(doc, false), e.path().filename().string());
    RenderedReport r = render_input(in);
    MailContext c;
    c.subscription = "sub" + kHostile;  // only hashed
    c.from = parse_address(in.from);
    c.to = {Address{"Name" + kHostile, "a@example.org"}};
    c.cc = {Address{kHostile, "b@example.org"}};
    c.domain = "kci.example.org";
    std::string mail = render_message(compose_mail(r, c));
    check_headers(mail);
    // In the body a line "Bcc: ..." is just text; in the header block it
    // would be a header.
    std::string head = mail.substr(0, mail.find("\r\n\r\n") + 2);
    EXPECT_EQ(head.find("\r\nBcc:"), std::string::npos);
    EXPECT_EQ(head.find("\r\nX-Injected:"), std::string::npos);
    EXPECT_NE(head.find("evil@attacker.example"), std::string::npos);  // it was there, as text
    EXPECT_EQ(mail.find('\0'), std::string::npos);
    EXPECT_EQ(mail.find('\x1b'), std::string::npos);
    ++inputs;
  }
  EXPECT_GE(inputs, 4);
}

TEST(Hostile, AddressesAndThreadIdsAreRejectedNotPassedOn) {
  Message m;
  m.from = {"kci", "bot@kci.example.org"};
  m.message_id = "<a@b>";
  m.to = {Address{"x", "a@example.org" + kHostile}};
  EXPECT_THROW(render_message(m), InvalidInputError);
  m.to = {Address{"x", "a@example.org"}};
  m.in_reply_to = "<p@q>" + kHostile;
  EXPECT_THROW(render_message(m), InvalidInputError);
  m.in_reply_to = "";
  m.references = {"<p@q>\r\nBcc: e@f"};
  EXPECT_THROW(render_message(m), InvalidInputError);
  m.references = {};
  m.extra_headers = {{"X-Evil\r\nBcc", "v"}};
  EXPECT_THROW(render_message(m), InvalidInputError);
  m.extra_headers = {{"X-Fine", kHostileNul}};
  m.subject = kHostileNul;
  m.to = {Address{kHostileNul, "a@example.org"}};
  check_headers(render_message(m));
  EXPECT_THROW(parse_address("Name <a@b.org>" + kHostile), InvalidInputError);
  EXPECT_THROW(stable_message_id("s", "o", "k", "h", "bad domain\r\n"), InvalidInputError);
}

// A report data file's thread id and domain go into headers: a bad one is
// refused when the file is read, naming the file and the member, not later
// by the mail writer with no place to point at.
TEST(Hostile, ThreadIdAndDomainOfAReportFileAreRefusedWithTheirPlace) {
  std::string text =
      read_file(std::string(KCI_SOURCE_DIR) + "/src/notify/testdata/build_report.json");
  // The member first: the file has neither, and the reader takes the first.
  auto with = [&text](const char* key, const std::string& value) {
    return "{" + json_string(key) + ":" + json_string(value) + "," +
           text.substr(text.find('{') + 1);
  };
  auto message = [](const std::string& json) -> std::string {
    try {
      parse_report_input(json, "r.json");
    } catch (const InvalidInputError& e) {
      return e.what();
    }
    return "accepted";
  };
  EXPECT_EQ(message(with("in_reply_to", "<a@b>" + kHostile)).rfind("r.json: /in_reply_to: ", 0),
            0u);
  EXPECT_EQ(message(with("domain", "ex ample.org")).rfind("r.json: /domain: ", 0), 0u);
  EXPECT_EQ(message(with("domain", "kci.example.org\r\nBcc: e@f")).rfind("r.json: /domain: ", 0),
            0u);
  EXPECT_EQ(message(with("in_reply_to", "<a@b>")), "accepted");
  EXPECT_EQ(message(with("domain", "kci.example.org")), "accepted");
}

}  // namespace
}  // namespace kci::notify
