#pragma once
// A long-running child process for tests: lines to its stdin, lines from its stdout with a
// timeout, signals, and the exit status. Its stderr goes to a file (for post-mortems).
//
// A thread reads the child's stdout as it comes, as a real consumer would: a test that waits on
// one client while others keep writing events must not stall those others on a full pipe
// (a sotto --batch client writes its events with blocking writes, so a full pipe stops it).

#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace sotto::testing {

class child_process {
  public:
    // Starts `arguments` (argv[0] is a path) with `environment` added to the parent's. Throws
    // std::runtime_error when it cannot be started.
    child_process(const std::vector<std::string>& arguments,
                  const std::map<std::string, std::string>& environment,
                  const std::filesystem::path& stderr_file = "/dev/null");
    ~child_process(); // SIGKILL and reap when still running
    child_process(const child_process&) = delete;
    child_process& operator=(const child_process&) = delete;

    // False when the child's stdin is closed (it exited).
    bool write_line(const std::string& line);
    void close_stdin();
    // The next line without its '\n'; nullopt on timeout or end of output.
    std::optional<std::string> read_line(std::chrono::milliseconds timeout);
    // The child closed its stdout and every line it wrote was read.
    [[nodiscard]] bool output_ended() const;

    void signal(int number);
    // The exit status (128 + signal when killed); nullopt when it did not end within `timeout`.
    std::optional<int> wait(std::chrono::milliseconds timeout);
    [[nodiscard]] pid_t pid() const noexcept { return pid_; }

  private:
    void read_output(); // the reader thread: stdout into buffer_ until end of output or stop

    pid_t pid_ = -1;
    int in_fd_ = -1;
    int out_fd_ = -1;
    std::optional<int> status_;
    mutable std::mutex mutex_;
    std::condition_variable arrived_;
    std::string buffer_;         // guarded by mutex_
    bool output_closed_ = false; // guarded by mutex_
    std::atomic<bool> stop_reading_{false};
    std::thread reader_;
};

// A port that was free a moment ago (bind 0, read back, release).
std::uint16_t free_port();

} // namespace sotto::testing
