// SPDX-License-Identifier: LGPL-2.1-or-later
#include "pipeline/lava/lava_submit.h"

#include <gtest/gtest.h>

#include <future>
#include <thread>

#include "util/subprocess.h"
#include "util/test_support.h"

namespace kci::pipeline {
namespace {

// Runs tests/runtime/fake-lava.py in a thread; port() waits for it to listen.
class FakeLava {
 public:
  FakeLava(int good_devices, int queued_jobs, int requests) {
    port_future_ = port_promise_.get_future();
    thread_ = std::thread([this, good_devices, queued_jobs, requests] {
      RunOptions options;
      options.timeout = std::chrono::seconds(60);
      options.on_output = [this](std::string_view chunk) {
        output_ += chunk;
        if (!port_sent_ && output_.find('\n') != std::string::npos) {
          port_sent_ = true;
          port_promise_.set_value(output_.rfind("PORT ", 0) == 0 ? std::stoi(output_.substr(5))
                                                                 : 0);
        }
        return true;
      };
      try {
        result_ = run_process(
            {"python3", std::string(KCI_SOURCE_DIR) + "/tests/runtime/fake-lava.py", "s3cret",
             std::to_string(good_devices), std::to_string(queued_jobs), std::to_string(requests)},
            options);
      } catch (const std::exception&) {
      }
      if (!port_sent_) port_promise_.set_value(0);
    });
  }
  ~FakeLava() { join(); }
  int port() { return port_future_.get(); }
  std::string join() {
    if (thread_.joinable()) thread_.join();
    return result_.out;
  }

 private:
  std::promise<int> port_promise_;
  std::future<int> port_future_;
  bool port_sent_ = false;
  std::string output_;
  RunResult result_;
  std::thread thread_;
};

TEST(LavaSubmit, SubmitsWhenTheQueueIsShort) {
  if (!program_exists("python3")) KCI_MISSING_REAL_PART("needs python3");
  FakeLava lava(2, 3, 3);
  int port = lava.port();
  ASSERT_NE(port, 0);
  LavaServer server{"http://127.0.0.1:" + std::to_string(port) + "/", "s3cret", 10};
  LavaSubmission s = submit_lava_job(server, "qemu", "device_type: qemu\njob_name: t\n");
  EXPECT_TRUE(s.submitted) << s.reason;
  EXPECT_EQ(s.online_devices, 2);
  EXPECT_EQ(s.queued_jobs, 3);
  ASSERT_EQ(s.job_ids.size(), 1u);
  EXPECT_EQ(s.job_ids[0], 4242);
  EXPECT_NE(lava.join().find("SUBMITTED \"device_type: qemu\\njob_name: t\\n\""),
            std::string::npos);
}

TEST(LavaSubmit, SkipsADeepQueue) {
  if (!program_exists("python3")) KCI_MISSING_REAL_PART("needs python3");
  FakeLava lava(2, 20, 2);  // 20 queued >= 10 x 2 online
  int port = lava.port();
  ASSERT_NE(port, 0);
  LavaSubmission s = submit_lava_job({"http://127.0.0.1:" + std::to_string(port), "s3cret", 10},
                                     "qemu", "device_type: qemu\n");
  EXPECT_FALSE(s.submitted);
  EXPECT_NE(s.reason.find("queue too deep"), std::string::npos);
  EXPECT_EQ(lava.join().find("SUBMITTED"), std::string::npos);
}

TEST(LavaSubmit, WrongTokenIsAnError) {
  if (!program_exists("python3")) KCI_MISSING_REAL_PART("needs python3");
  FakeLava lava(1, 0, 1);
  int port = lava.port();
  ASSERT_NE(port, 0);
  EXPECT_THROW(submit_lava_job({"http://127.0.0.1:" + std::to_string(port), "wrong", 10}, "qemu",
                               "device_type: qemu\n"),
               Error);
}

}  // namespace
}  // namespace kci::pipeline
