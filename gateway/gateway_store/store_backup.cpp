#include "gateway/gateway_store/store_backup.hpp"

#include <fcntl.h>
#include <sqlite3.h>
#include <unistd.h>

#include <cerrno>
#include <memory>
#include <stdexcept>
#include <string>
#include <system_error>

#include "gateway/sqlite_store/sqlite_session.hpp"

namespace ketenpoort {
namespace {

// Flushes a file (or a directory's entries) to the disk; a backup that is only in the page
// cache is not one.
void syncPath(const std::filesystem::path& path, int flags) {
  const int fd = ::open(path.c_str(), flags | O_CLOEXEC);
  if (fd < 0 || ::fsync(fd) != 0) {
    const std::string reason = std::error_code(errno, std::generic_category()).message();
    if (fd >= 0) ::close(fd);
    throw std::runtime_error("cannot sync " + path.string() + ": " + reason);
  }
  ::close(fd);
}

// Creates the (empty) file the copy is written into, readable by its owner only: the
// store holds pseudonymised personal data.
void createPrivateFile(const std::filesystem::path& path) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    if (errno == EEXIST) {
      throw std::runtime_error(path.string() +
                               " exists: another backup is under way, or one was interrupted (remove it)");
    }
    throw std::runtime_error("cannot create " + path.string() + ": " +
                             std::error_code(errno, std::generic_category()).message());
  }
  ::close(fd);
}

void copyInOneStep(sqlite3* from, sqlite3* to, int busy_timeout_ms) {
  using Backup = std::unique_ptr<sqlite3_backup, decltype(&sqlite3_backup_finish)>;
  const Backup backup(sqlite3_backup_init(to, "main", from, "main"), &sqlite3_backup_finish);
  if (!backup) throw std::runtime_error(std::string("cannot start the backup: ") + sqlite3_errmsg(to));
  // -1: every page in one step, under one read snapshot of the source. A writer of the
  // store does not block it (WAL); only a moment of recovery or checkpoint restart can.
  constexpr int kWaitMs = 20;
  for (int waited = 0;; waited += kWaitMs) {
    const int rc = sqlite3_backup_step(backup.get(), -1);
    if (rc == SQLITE_DONE) return;
    if ((rc != SQLITE_BUSY && rc != SQLITE_LOCKED) || waited >= busy_timeout_ms) {
      throw std::runtime_error(std::string("the backup stopped: ") + sqlite3_errstr(rc));
    }
    sqlite3_sleep(kWaitMs);
  }
}

}  // namespace

SqliteBackupResult backupSqliteStore(const std::filesystem::path& database, const std::filesystem::path& target,
                                     int busy_timeout_ms) {
  std::error_code ec;
  if (std::filesystem::exists(target, ec))
    throw std::runtime_error(target.string() + " exists; a backup never overwrites");
  if (!std::filesystem::is_regular_file(database, ec)) {
    throw std::runtime_error("the store " + database.string() + " does not exist");
  }
  const std::filesystem::path partial = target.string() + ".partial";
  createPrivateFile(partial);
  SqliteBackupResult result;
  try {
    const auto source = SqliteSession::open(database.string(), busy_timeout_ms);
    const auto copy =
        SqliteSession::open(partial.string(), SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, busy_timeout_ms);
    copyInOneStep(source->get(), copy->get(), busy_timeout_ms);
    copy->run("PRAGMA journal_mode=DELETE");
    const sql::Rows check = copy->run("PRAGMA quick_check");
    if (check.size() != 1 || check.text(0, 0) != "ok") throw std::runtime_error("the copy does not pass quick_check");
    result.pages = static_cast<std::uint64_t>(copy->run("PRAGMA page_count").integer(0, 0));
    result.bytes = result.pages * static_cast<std::uint64_t>(copy->run("PRAGMA page_size").integer(0, 0));
  } catch (...) {
    std::filesystem::remove(partial, ec);
    throw;
  }
  syncPath(partial, O_RDONLY);
  std::filesystem::rename(partial, target);
  syncPath(target.has_parent_path() ? target.parent_path() : std::filesystem::path("."), O_RDONLY | O_DIRECTORY);
  return result;
}

}  // namespace ketenpoort
