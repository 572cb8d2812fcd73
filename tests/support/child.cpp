#include "tests/support/child.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <thread>

extern char** environ; // NOLINT

namespace sotto::testing {

child_process::child_process(const std::vector<std::string>& arguments,
                             const std::map<std::string, std::string>& environment,
                             const std::filesystem::path& stderr_file) {
    std::map<std::string, std::string> merged;
    for (char** entry = environ; *entry != nullptr; ++entry) {
        const std::string text(*entry);
        const auto equals = text.find('=');
        if (equals != std::string::npos) {
            merged[text.substr(0, equals)] = text.substr(equals + 1);
        }
    }
    for (const auto& [key, value] : environment) {
        merged[key] = value;
    }
    std::vector<std::string> env_strings;
    for (const auto& [key, value] : merged) {
        env_strings.push_back(key + "=" + value);
    }
    std::vector<char*> envp;
    for (auto& text : env_strings) {
        envp.push_back(text.data());
    }
    envp.push_back(nullptr);
    std::vector<std::string> copies = arguments;
    std::vector<char*> argv;
    for (auto& text : copies) {
        argv.push_back(text.data());
    }
    argv.push_back(nullptr);

    std::array<int, 2> in{};
    std::array<int, 2> out{};
    if (::pipe2(in.data(), O_CLOEXEC) != 0 || ::pipe2(out.data(), O_CLOEXEC) != 0) {
        throw std::runtime_error("pipe2 failed");
    }
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, in[0], 0);
    posix_spawn_file_actions_adddup2(&actions, out[1], 1);
    posix_spawn_file_actions_addopen(&actions, 2, stderr_file.c_str(),
                                     O_WRONLY | O_CREAT | O_APPEND, 0600);
    const int spawned = posix_spawn(&pid_, argv[0], &actions, nullptr, argv.data(), envp.data());
    posix_spawn_file_actions_destroy(&actions);
    ::close(in[0]);
    ::close(out[1]);
    if (spawned != 0) {
        ::close(in[1]);
        ::close(out[0]);
        throw std::runtime_error("cannot start " + arguments.at(0) + ": " + std::strerror(spawned));
    }
    ::signal(SIGPIPE, SIG_IGN);
    in_fd_ = in[1];
    out_fd_ = out[0];
    reader_ = std::thread([this] { read_output(); });
}

child_process::~child_process() {
    if (!status_ && pid_ > 0) {
        ::kill(pid_, SIGKILL);
        int status = 0;
        ::waitpid(pid_, &status, 0);
    }
    close_stdin();
    stop_reading_ = true;
    reader_.join();
    ::close(out_fd_);
}

void child_process::read_output() {
    std::array<char, 65536> chunk{};
    while (!stop_reading_) {
        pollfd fd{out_fd_, POLLIN, 0};
        const int ready = ::poll(&fd, 1, 50); // wakes now and then to see stop_reading_
        if (ready < 0 && errno != EINTR) {
            break;
        }
        if (ready <= 0) {
            continue;
        }
        const auto n = ::read(out_fd_, chunk.data(), chunk.size());
        if (n < 0 && (errno == EINTR || errno == EAGAIN)) {
            continue;
        }
        if (n <= 0) {
            break;
        }
        const std::lock_guard lock(mutex_);
        buffer_.append(chunk.data(), static_cast<std::size_t>(n));
        arrived_.notify_all();
    }
    const std::lock_guard lock(mutex_);
    output_closed_ = true;
    arrived_.notify_all();
}

bool child_process::write_line(const std::string& line) {
    if (in_fd_ < 0) {
        return false;
    }
    const std::string text = line + "\n";
    std::size_t written = 0;
    while (written < text.size()) {
        const auto n = ::write(in_fd_, text.data() + written, text.size() - written);
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            return false;
        }
        written += static_cast<std::size_t>(n);
    }
    return true;
}

void child_process::close_stdin() {
    if (in_fd_ >= 0) {
        ::close(in_fd_);
        in_fd_ = -1;
    }
}

std::optional<std::string> child_process::read_line(std::chrono::milliseconds timeout) {
    std::unique_lock lock(mutex_);
    std::size_t newline = std::string::npos;
    arrived_.wait_for(lock, timeout, [&] {
        newline = buffer_.find('\n');
        return newline != std::string::npos || output_closed_;
    });
    if (newline == std::string::npos) {
        return std::nullopt; // timed out, or the output ended (a last unterminated line is dropped)
    }
    std::string line = buffer_.substr(0, newline);
    buffer_.erase(0, newline + 1);
    return line;
}

bool child_process::output_ended() const {
    const std::lock_guard lock(mutex_);
    return output_closed_ && buffer_.find('\n') == std::string::npos;
}

void child_process::signal(int number) {
    if (!status_ && pid_ > 0) {
        ::kill(pid_, number);
    }
}

std::optional<int> child_process::wait(std::chrono::milliseconds timeout) {
    if (status_) {
        return status_;
    }
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        int status = 0;
        const pid_t done = ::waitpid(pid_, &status, WNOHANG);
        if (done == pid_) {
            status_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
            return status_;
        }
        if (std::chrono::steady_clock::now() >= deadline) {
            return std::nullopt;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
}

std::uint16_t free_port() {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    address.sin_port = 0;
    ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address);
    socklen_t length = sizeof address;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
    ::close(fd);
    return ntohs(address.sin_port);
}

} // namespace sotto::testing
