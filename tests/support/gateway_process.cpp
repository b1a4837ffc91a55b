#include "tests/support/gateway_process.hpp"

#include <sqlite3.h>

#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <stdexcept>

#include "tests/support/temp_dir.hpp"

namespace ketenpoort::testing {

// Spawned, not forked by hand: the test that calls this has threads of its own (a gateway,
// a pushing client), and a child forked from it that allocates or takes a stdio lock before
// exec can wait forever on a lock another thread held at the fork (seen once in CI, a
// backup command that never ran). posix_spawn opens the output files without either.
namespace {

// Starts `argv` with stdout to `out` and stderr to `err` (truncated); the pid, or -1 with
// the reason in `error`.
pid_t spawnWithOutput(const std::vector<std::string>& argv, const std::filesystem::path& out,
                      const std::filesystem::path& err, std::string& error) {
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  ::posix_spawn_file_actions_init(&actions);
  ::posix_spawn_file_actions_addopen(&actions, 1, out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  if (err == out) {
    ::posix_spawn_file_actions_adddup2(&actions, 1, 2);
  } else {
    ::posix_spawn_file_actions_addopen(&actions, 2, err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  }
  pid_t pid = -1;
  const int spawned = ::posix_spawnp(&pid, args[0], &actions, nullptr, args.data(), environ);
  ::posix_spawn_file_actions_destroy(&actions);
  if (spawned != 0) {
    error = "cannot start " + argv.front() + ": " + std::strerror(spawned);
    return -1;
  }
  return pid;
}

}  // namespace

CommandResult runCommand(const std::vector<std::string>& argv, const std::filesystem::path& dir) {
  const auto out = dir / "stdout.txt";
  const auto err = dir / "stderr.txt";
  std::string error;
  const pid_t pid = spawnWithOutput(argv, out, err, error);
  if (pid < 0) return {127, "", error};
  int status = 0;
  ::waitpid(pid, &status, 0);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, readFile(out), readFile(err)};
}

SpawnedProcess::SpawnedProcess(const std::vector<std::string>& argv, const std::filesystem::path& log) {
  std::string error;
  pid_ = spawnWithOutput(argv, log, log, error);
  if (pid_ < 0) throw std::runtime_error(error);
}

SpawnedProcess::~SpawnedProcess() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGKILL);
  ::waitpid(pid_, nullptr, 0);
}

pid_t startGateway(const std::filesystem::path& config, const std::filesystem::path& log) {
  const pid_t pid = ::fork();
  if (pid == 0) {
    const int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
    ::dup2(fd, 1);
    ::dup2(fd, 2);
    ::execl(KETENPOORT_BINARY, KETENPOORT_BINARY, "serve", "--config", config.c_str(), nullptr);
    ::_exit(127);
  }
  return pid;
}

std::string logTail(const std::filesystem::path& log) {
  const std::string text = readFile(log);
  return text.size() > 6000 ? text.substr(text.size() - 6000) : text;
}

std::int64_t countInDatabase(const std::filesystem::path& database, const std::string& table,
                             const std::string& condition) {
  sqlite3* db = nullptr;
  std::int64_t n = -1;
  if (sqlite3_open_v2(database.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK) {
    sqlite3_busy_timeout(db, 5000);
    sqlite3_stmt* q = nullptr;
    const std::string sql = "SELECT COUNT(*) FROM " + table + (condition.empty() ? "" : " WHERE " + condition);
    if (sqlite3_prepare_v2(db, sql.c_str(), -1, &q, nullptr) == SQLITE_OK && sqlite3_step(q) == SQLITE_ROW) {
      n = sqlite3_column_int64(q, 0);
    }
    sqlite3_finalize(q);
  }
  sqlite3_close(db);
  return n;
}

}  // namespace ketenpoort::testing
