#include "reports/external_tool.hpp"

#include <fmt/core.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <array>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <unistd.h>

extern char** environ;

namespace enso::reports {

namespace {

// A socket pair for stdin lets send(MSG_NOSIGNAL) see a tool that stopped
// reading as EPIPE instead of killing us with SIGPIPE.
struct Pipe {
    int fd[2] = {-1, -1};
    bool open() { return ::pipe2(fd, O_CLOEXEC) == 0; }
    bool open_socket() { return ::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fd) == 0; }
    void close_end(int i) {
        if (fd[i] >= 0) {
            ::close(fd[i]);
            fd[i] = -1;
        }
    }
    ~Pipe() {
        close_end(0);
        close_end(1);
    }
};

} // namespace

std::string ToolResult::failure(std::string_view program) const {
    if (!started) {
        return fmt::format("{} is not available ({})", program, err);
    }
    if (timed_out) {
        return fmt::format("{} did not finish in time", program);
    }
    std::string first_line = err.substr(0, err.find('\n'));
    return fmt::format("{} failed (exit {}){}{}", program, exit_code,
                       first_line.empty() ? "" : ": ", first_line);
}

ToolResult run_tool(const std::string& program, const std::vector<std::string>& args,
                    std::string_view input, std::chrono::milliseconds timeout) {
    ToolResult r;
    Pipe in, out, err;
    if (!in.open_socket() || !out.open() || !err.open()) {
        r.err = std::strerror(errno);
        return r;
    }
    posix_spawn_file_actions_t actions;
    ::posix_spawn_file_actions_init(&actions);
    ::posix_spawn_file_actions_adddup2(&actions, in.fd[0], STDIN_FILENO);
    ::posix_spawn_file_actions_adddup2(&actions, out.fd[1], STDOUT_FILENO);
    ::posix_spawn_file_actions_adddup2(&actions, err.fd[1], STDERR_FILENO);

    std::vector<char*> argv;
    argv.push_back(const_cast<char*>(program.c_str()));
    for (const auto& a : args) {
        argv.push_back(const_cast<char*>(a.c_str()));
    }
    argv.push_back(nullptr);
    pid_t pid = 0;
    const int rc = ::posix_spawnp(&pid, program.c_str(), &actions, nullptr, argv.data(), environ);
    ::posix_spawn_file_actions_destroy(&actions);
    if (rc != 0) {
        r.err = rc == ENOENT ? "not found on PATH" : std::strerror(rc);
        return r;
    }
    r.started = true;
    in.close_end(0);
    out.close_end(1);
    err.close_end(1);

    // Feed stdin and drain both outputs together so neither side blocks.
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    size_t written = 0;
    if (input.empty()) {
        in.close_end(1);
    }
    std::array<char, 65536> buf{};
    while (out.fd[0] >= 0 || err.fd[0] >= 0) {
        std::array<pollfd, 3> fds{};
        nfds_t n = 0;
        int* owners[3] = {};
        if (in.fd[1] >= 0) {
            fds[n] = {in.fd[1], POLLOUT, 0};
            owners[n++] = &in.fd[1];
        }
        if (out.fd[0] >= 0) {
            fds[n] = {out.fd[0], POLLIN, 0};
            owners[n++] = &out.fd[0];
        }
        if (err.fd[0] >= 0) {
            fds[n] = {err.fd[0], POLLIN, 0};
            owners[n++] = &err.fd[0];
        }
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) {
            r.timed_out = true;
            ::kill(pid, SIGKILL);
            break;
        }
        const int ready = ::poll(fds.data(), n, static_cast<int>(left.count()));
        if (ready < 0 && errno != EINTR) {
            ::kill(pid, SIGKILL);
            break;
        }
        for (nfds_t i = 0; i < n; ++i) {
            if (fds[i].revents == 0) {
                continue;
            }
            int& fd = *owners[i];
            if (&fd == &in.fd[1]) {
                const ssize_t w =
                    ::send(fd, input.data() + written, input.size() - written, MSG_NOSIGNAL);
                if (w > 0) {
                    written += static_cast<size_t>(w);
                }
                if (w < 0 || written == input.size()) {
                    in.close_end(1); // EOF for the tool (or EPIPE: it stopped reading)
                }
                continue;
            }
            const ssize_t got = ::read(fd, buf.data(), buf.size());
            if (got > 0) {
                (&fd == &out.fd[0] ? r.out : r.err).append(buf.data(), static_cast<size_t>(got));
            } else if (got == 0 || errno != EINTR) {
                ::close(fd);
                fd = -1;
            }
        }
    }
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    return r;
}

} // namespace enso::reports
