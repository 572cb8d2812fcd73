#pragma once
// Runs a program to completion for tests: arguments, environment additions, stdin text; returns
// its exit code and everything it wrote.

#include <chrono>
#include <map>
#include <string>
#include <vector>

namespace sotto::testing {

struct process_result {
    int exit_code = -1; // -1 when it was killed by a signal or timed out
    std::string out;
    std::string err;
};

struct process_options {
    std::map<std::string, std::string> environment; // added to (or replacing) the parent's
    std::string input;                              // written to stdin, which is then closed
    std::chrono::milliseconds timeout{30'000};      // killed with SIGKILL after this
};

process_result run_process(const std::vector<std::string>& arguments,
                           const process_options& options = {});

} // namespace sotto::testing
