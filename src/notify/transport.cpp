// SPDX-License-Identifier: LGPL-2.1-or-later
#include "notify/transport.h"

#include <curl/curl.h>

#include <cstring>
#include <filesystem>

#include "util/file.h"
#include "util/sha256.h"

namespace kci::notify {
namespace {

struct Upload {
  const std::string* data;
  std::size_t pos = 0;
};

std::size_t read_upload(char* buffer, std::size_t size, std::size_t n, void* user) {
  auto* u = static_cast<Upload*>(user);
  std::size_t len = std::min(size * n, u->data->size() - u->pos);
  std::memcpy(buffer, u->data->data() + u->pos, len);
  u->pos += len;
  return len;
}

class SmtpTransport : public Transport {
 public:
  explicit SmtpTransport(SmtpOptions o) : o_(std::move(o)) {
    static const bool initialized = curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK;
    if (!initialized) throw Error("libcurl could not be initialized");
    curl_ = curl_easy_init();
    if (!curl_) throw Error("libcurl: no handle");
  }
  ~SmtpTransport() override { curl_easy_cleanup(curl_); }

  void send(const Envelope& envelope, const std::string& message) override {
    curl_easy_reset(curl_);
    curl_slist* rcpts = nullptr;
    for (const auto& t : envelope.to) rcpts = curl_slist_append(rcpts, ("<" + t + ">").c_str());
    Upload up{&message};
    std::string from = "<" + envelope.from + ">";
    char error[CURL_ERROR_SIZE] = "";
    curl_easy_setopt(curl_, CURLOPT_URL, o_.url.c_str());
    curl_easy_setopt(curl_, CURLOPT_MAIL_FROM, from.c_str());
    curl_easy_setopt(curl_, CURLOPT_MAIL_RCPT, rcpts);
    curl_easy_setopt(curl_, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(curl_, CURLOPT_READFUNCTION, read_upload);
    curl_easy_setopt(curl_, CURLOPT_READDATA, &up);
    curl_easy_setopt(curl_, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(message.size()));
    curl_easy_setopt(curl_, CURLOPT_CONNECTTIMEOUT, o_.connect_timeout_s);
    curl_easy_setopt(curl_, CURLOPT_TIMEOUT, o_.timeout_s);
    curl_easy_setopt(curl_, CURLOPT_ERRORBUFFER, error);
    curl_easy_setopt(curl_, CURLOPT_NOSIGNAL, 1L);
    if (o_.starttls) curl_easy_setopt(curl_, CURLOPT_USE_SSL, static_cast<long>(CURLUSESSL_ALL));
    if (!o_.user.empty()) {
      curl_easy_setopt(curl_, CURLOPT_USERNAME, o_.user.c_str());
      curl_easy_setopt(curl_, CURLOPT_PASSWORD, o_.password.c_str());
    }
    if (o_.insecure) {
      curl_easy_setopt(curl_, CURLOPT_SSL_VERIFYPEER, 0L);
      curl_easy_setopt(curl_, CURLOPT_SSL_VERIFYHOST, 0L);
    }
    CURLcode rc = curl_easy_perform(curl_);
    long response = 0;
    curl_easy_getinfo(curl_, CURLINFO_RESPONSE_CODE, &response);
    curl_slist_free_all(rcpts);
    if (rc != CURLE_OK) {
      std::string what = "SMTP " + o_.url + ": " + (error[0] ? error : curl_easy_strerror(rc));
      if (response) what += " (server said " + std::to_string(response) + ")";
      bool permanent = response >= 500 && response < 600;
      throw DeliveryError(what, permanent);
    }
  }

 private:
  SmtpOptions o_;
  CURL* curl_ = nullptr;
};

std::string message_id_of(const std::string& message) {
  std::size_t end = message.find("\r\n\r\n");
  std::string head = message.substr(0, end);
  std::size_t p = head.find("\r\nMessage-ID: ");
  if (p == std::string::npos) return sha256_hex(message);
  std::size_t e = head.find("\r\n", p + 2);
  return head.substr(p + 14, e == std::string::npos ? std::string::npos : e - p - 14);
}

class MaildirTransport : public Transport {
 public:
  explicit MaildirTransport(std::string dir) : dir_(std::move(dir)) {
    for (const char* sub : {"tmp", "new", "cur"}) {
      std::filesystem::create_directories(std::filesystem::path(dir_) / sub);
    }
  }
  void send(const Envelope&, const std::string& message) override {
    std::string name = "kci." + sha256_hex(message_id_of(message)).substr(0, 32) + ".eml";
    try {
      write_file_atomic((std::filesystem::path(dir_) / "new" / name).string(), message);
    } catch (const std::exception& e) {
      throw DeliveryError(std::string("maildir: ") + e.what(), false);
    }
  }

 private:
  std::string dir_;
};

class StreamTransport : public Transport {
 public:
  explicit StreamTransport(std::FILE* out) : out_(out) {}
  void send(const Envelope& envelope, const std::string& message) override {
    std::string text = "From " + envelope.from + " Thu Jan  1 00:00:00 1970\n";
    for (std::size_t i = 0; i < message.size(); ++i) {
      if (message[i] == '\r' && i + 1 < message.size() && message[i + 1] == '\n') continue;
      text += message[i];
    }
    text += "\n";
    std::fwrite(text.data(), 1, text.size(), out_);
    std::fflush(out_);
  }

 private:
  std::FILE* out_;
};

}  // namespace

std::unique_ptr<Transport> smtp_transport(const SmtpOptions& options) {
  if (options.url.rfind("smtp://", 0) != 0 && options.url.rfind("smtps://", 0) != 0) {
    throw UsageError("--smtp: expected smtp://HOST[:PORT] or smtps://HOST[:PORT], got " +
                     options.url);
  }
  return std::make_unique<SmtpTransport>(options);
}

std::unique_ptr<Transport> maildir_transport(const std::string& dir) {
  return std::make_unique<MaildirTransport>(dir);
}

std::unique_ptr<Transport> stream_transport(std::FILE* out) {
  return std::make_unique<StreamTransport>(out);
}

}  // namespace kci::notify
