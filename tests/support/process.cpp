#include "tests/support/process.h"

#include <sys/wait.h>

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <stdexcept>

extern char** environ; // NOLINT

namespace sotto::testing {

namespace {
struct pipe_pair {
    int read_end = -1;
    int write_end = -1;
    pipe_pair() {
        std::array<int, 2> fds{};
        if (::pipe2(fds.data(), O_CLOEXEC) != 0) {
            throw std::runtime_error("pipe2 failed");
        }
        read_end = fds[0];
        write_end = fds[1];
    }
};
} // namespace

process_result run_process(const std::vector<std::string>& arguments,
                           const process_options& options) {
    std::map<std::string, std::string> environment;
    for (char** entry = environ; *entry != nullptr; ++entry) {
        std::string text(*entry);
        const auto equals = text.find('=');
        if (equals != std::string::npos) {
            environment[text.substr(0, equals)] = text.substr(equals + 1);
        }
    }
    for (const auto& [key, value] : options.environment) {
        environment[key] = value;
    }
    std::vector<std::string> env_strings;
    for (const auto& [key, value] : environment) {
        env_strings.push_back(key + "=" + value);
    }
    std::vector<char*> envp;
    for (auto& text : env_strings) {
        envp.push_back(text.data());
    }
    envp.push_back(nullptr);
    std::vector<std::string> argument_copies = arguments;
    std::vector<char*> argv;
    for (auto& text : argument_copies) {
        argv.push_back(text.data());
    }
    argv.push_back(nullptr);

    pipe_pair in, out, err;
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, in.read_end, 0);
    posix_spawn_file_actions_adddup2(&actions, out.write_end, 1);
    posix_spawn_file_actions_adddup2(&actions, err.write_end, 2);
    pid_t pid = 0;
    const int spawned = posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), envp.data());
    posix_spawn_file_actions_destroy(&actions);
    ::close(in.read_end);
    ::close(out.write_end);
    ::close(err.write_end);
    if (spawned != 0) {
        ::close(in.write_end);
        ::close(out.read_end);
        ::close(err.read_end);
        throw std::runtime_error("cannot start " + arguments.at(0) + ": " + std::strerror(spawned));
    }

    ::signal(SIGPIPE, SIG_IGN);
    std::size_t written = 0;
    int input_fd = in.write_end;
    if (options.input.empty()) {
        ::close(input_fd);
        input_fd = -1;
    } else {
        ::fcntl(input_fd, F_SETFL, O_NONBLOCK);
    }
    process_result result;
    const auto deadline = std::chrono::steady_clock::now() + options.timeout;
    bool out_open = true;
    bool err_open = true;
    bool timed_out = false;
    while (out_open || err_open) {
        std::array<pollfd, 3> fds{
            {{out.read_end, POLLIN, 0}, {err.read_end, POLLIN, 0}, {input_fd, POLLOUT, 0}}};
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) {
            timed_out = true;
            ::kill(pid, SIGKILL);
            break;
        }
        fds[0].fd = out_open ? out.read_end : -1;
        fds[1].fd = err_open ? err.read_end : -1;
        if (::poll(fds.data(), fds.size(), static_cast<int>(left.count())) < 0 && errno != EINTR) {
            break;
        }
        std::array<char, 65536> buffer{};
        auto drain = [&](int fd, bool& open, std::string& sink) {
            const auto n = ::read(fd, buffer.data(), buffer.size());
            if (n > 0) {
                sink.append(buffer.data(), static_cast<std::size_t>(n));
            } else if (n == 0 || (errno != EINTR && errno != EAGAIN)) {
                open = false;
            }
        };
        if (out_open && (fds[0].revents & (POLLIN | POLLHUP)) != 0)
            drain(out.read_end, out_open, result.out);
        if (err_open && (fds[1].revents & (POLLIN | POLLHUP)) != 0)
            drain(err.read_end, err_open, result.err);
        if (input_fd >= 0 && (fds[2].revents & (POLLOUT | POLLERR | POLLHUP)) != 0) {
            const auto n =
                ::write(input_fd, options.input.data() + written, options.input.size() - written);
            if (n > 0)
                written += static_cast<std::size_t>(n);
            if (n < 0 || written == options.input.size()) {
                ::close(input_fd);
                input_fd = -1;
            }
        }
    }
    if (input_fd >= 0)
        ::close(input_fd);
    ::close(out.read_end);
    ::close(err.read_end);
    int status = 0;
    ::waitpid(pid, &status, 0);
    result.exit_code = (!timed_out && WIFEXITED(status)) ? WEXITSTATUS(status) : -1;
    return result;
}

} // namespace sotto::testing
