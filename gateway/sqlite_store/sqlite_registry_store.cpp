#include "gateway/sqlite_store/sqlite_registry_store.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>

#include "gateway/diagnostics/diagnostic_log.hpp"
#include "gateway/sqlite_store/sqlite_exchange_log.hpp"

#include "gateway/sqlite_store/sqlite_session.hpp"
#include "gateway/store/registry_tables.hpp"

namespace ketenpoort {

namespace {

constexpr int kBusyTimeoutMs = 5000;

}  // namespace

SqliteRegistryStore::SqliteRegistryStore(const std::filesystem::path& database, const SubjectReferencer& referencer,
                                         SqliteExchangeLog& log)
    // The log's writer made the tables before (it is opened first).
    : RegistryStore(referencer, log, SqliteSession::open(database, kBusyTimeoutMs), log.timeSource()),
      log_(log),
      catch_up_(SqliteSession::open(database, kBusyTimeoutMs)) {}

const RegistrySnapshot& SqliteRegistryStore::current() const {
  RegistrySnapshot& snapshot = log_.registrySnapshot();
  const std::uint64_t announced = log_.registryMarker().read();
  if (announced != caught_up_with_.load(std::memory_order_acquire)) {
    // Someone announced a change since: the database's version is the truth. Every
    // reader that saw the new announcement waits here until the snapshot has it: what
    // the other process changed is applied (or everything loaded anew).
    std::lock_guard lock(catch_up_mutex_);
    registry_tables::catchUp(*catch_up_, snapshot);
    caught_up_with_.store(announced, std::memory_order_release);
  }
  return snapshot;
}

RegistryChangeMarker::RegistryChangeMarker(const std::filesystem::path& database) {
  const std::string file = database.string() + "-registry";
  fd_ = ::open(file.c_str(), O_CREAT | O_RDWR | O_CLOEXEC, 0600);
  if (fd_ < 0) throw std::runtime_error("cannot open " + file);
}

RegistryChangeMarker::~RegistryChangeMarker() { ::close(fd_); }

void RegistryChangeMarker::announce(std::uint64_t version) {
  // Fixed width, written in place: a reader sees the old or the new number (or, torn,
  // something else, which only makes it look at the database once more).
  char text[21];
  std::snprintf(text, sizeof text, "%020llu", static_cast<unsigned long long>(version));
  if (::pwrite(fd_, text, 20, 0) != 20) logWarn("registry-marker-unwritable", {});
}

std::uint64_t RegistryChangeMarker::read() const {
  char text[21] = {};
  if (::pread(fd_, text, 20, 0) != 20) return 0;
  return std::strtoull(text, nullptr, 10);
}

}  // namespace ketenpoort
