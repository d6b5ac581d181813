// runIsolated: fork, a pipe for the child's answer, poll with a deadline, waitpid; the child never returns.
#include "lib/Model/Isolate.h"

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstring>
#include <fstream>
#include <poll.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#if defined(__SANITIZE_ADDRESS__)
#define KILN_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define KILN_SANITIZED 1
#endif
#endif

namespace kiln::model {
namespace {

constexpr unsigned long long kChildMemoryBytes = 4ull << 30;

llvm::Error fail(const std::string &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), message);
}

[[noreturn]] void runChild(int fd, llvm::function_ref<std::string()> work) {
  // A crash ends the child with its signal: no crash handler of the parent
  // (Python's faulthandler, a sanitizer's report, libFuzzer's artifact
  // writer) runs for it.
  for (int sig : {SIGSEGV, SIGBUS, SIGABRT, SIGFPE, SIGILL})
    std::signal(sig, SIG_DFL);
#ifndef KILN_SANITIZED
  // Sizes in hostile bytecode can ask for gigabytes: the child may grow by
  // kChildMemoryBytes beyond what it inherited, then allocation fails and
  // it dies. (A sanitizer's shadow memory would not fit such a limit.)
  std::ifstream statm("/proc/self/statm");
  unsigned long long pages = 0;
  if (statm >> pages) {
    rlim_t limit = pages * static_cast<rlim_t>(::sysconf(_SC_PAGESIZE)) + kChildMemoryBytes;
    rlimit r{limit, limit};
    ::setrlimit(RLIMIT_AS, &r);
  }
#endif
  std::string answer = work();
  const char *p = answer.data();
  size_t left = answer.size();
  while (left > 0) {
    ssize_t n = ::write(fd, p, left);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      _exit(3);
    p += n;
    left -= static_cast<size_t>(n);
  }
  // No atexit handlers or static destructors: they belong to the parent.
  _exit(0);
}

} // namespace

llvm::Expected<std::string> runIsolated(llvm::function_ref<std::string()> work,
                                        const std::string &what, int timeoutSeconds) {
  int fds[2];
  if (::pipe(fds) != 0)
    return fail(what + ": cannot create a pipe: " + std::strerror(errno));
  pid_t pid = ::fork();
  if (pid < 0) {
    int saved = errno;
    ::close(fds[0]);
    ::close(fds[1]);
    return fail(what + ": cannot fork: " + std::strerror(saved));
  }
  if (pid == 0) {
    ::close(fds[0]);
    runChild(fds[1], work);
  }
  ::close(fds[1]);

  std::string answer;
  bool timedOut = false;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeoutSeconds);
  char buffer[1 << 16];
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      timedOut = true;
      break;
    }
    pollfd p{fds[0], POLLIN, 0};
    int ready = ::poll(&p, 1, static_cast<int>(left.count()));
    if (ready < 0 && errno == EINTR)
      continue;
    if (ready <= 0) {
      timedOut = ready == 0;
      break;
    }
    ssize_t n = ::read(fds[0], buffer, sizeof buffer);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      break;
    answer.append(buffer, static_cast<size_t>(n));
  }
  ::close(fds[0]);
  if (timedOut)
    ::kill(pid, SIGKILL);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (timedOut)
    return fail(what + " did not finish within " + std::to_string(timeoutSeconds) + " s");
  if (WIFSIGNALED(status))
    return fail(what + " crashed (signal " + std::to_string(WTERMSIG(status)) + ", " +
                strsignal(WTERMSIG(status)) + ")");
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 || answer.empty())
    return fail(what + " ended without an answer (exit status " +
                std::to_string(WIFEXITED(status) ? WEXITSTATUS(status) : -1) + ")");
  return answer;
}

} // namespace kiln::model
