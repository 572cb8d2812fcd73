#pragma once
// A long-running child process for tests: lines to its stdin, lines from its stdout with a
// timeout, signals, and the exit status. Its stderr goes to a file (for post-mortems).

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
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
    [[nodiscard]] bool output_ended() const noexcept { return out_fd_ < 0; }

    void signal(int number);
    // The exit status (128 + signal when killed); nullopt when it did not end within `timeout`.
    std::optional<int> wait(std::chrono::milliseconds timeout);
    [[nodiscard]] pid_t pid() const noexcept { return pid_; }

  private:
    pid_t pid_ = -1;
    int in_fd_ = -1;
    int out_fd_ = -1;
    std::string buffer_;
    std::optional<int> status_;
};

// A port that was free a moment ago (bind 0, read back, release).
std::uint16_t free_port();

} // namespace sotto::testing
