#include "adapters/gemeente/gemeente_simulator.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <thread>

#include "gateway/store/identifiers.hpp"

namespace ketenpoort {

GemeenteSimulator::GemeenteSimulator(GemeenteSimulatorOptions options)
    : options_(std::move(options)), rng_(options_.seed) {
  std::filesystem::create_directories(options_.out_dir);
  receiver_ = std::make_unique<HttpsReceiver>(
      options_.receiver, [this](const ApiRequest& request, const std::string&) { return handle(request); });
}

ApiResponse GemeenteSimulator::handle(const ApiRequest& request) {
  if (options_.delay.count() > 0) std::this_thread::sleep_for(options_.delay);
  if (request.method != "POST") return {405, "text/plain", "POST only\n", {}};
  const auto id = request.headers.find("x-transaction-id");
  if (id == request.headers.end() || !isUuid(id->second)) {
    return {400, "text/plain", "X-Transaction-Id must be a UUID\n", {}};
  }
  {
    std::lock_guard lock(mutex_);
    if (std::uniform_real_distribution<double>(0.0, 1.0)(rng_) < options_.fail_rate) {
      ++failed_;
      return {503, "text/plain", "simulated failure\n", {}};
    }
  }
  if (options_.check) {
    if (std::string problem = options_.check(request.body); !problem.empty()) {
      return {422, "text/plain", problem + "\n", {}};
    }
  }
  const auto file = options_.out_dir / (id->second + options_.file_extension);
  // O_EXCL makes the idempotency check atomic across this receiver's threads; the body is
  // written to a temporary name first, so a stored file is always complete.
  const auto temporary = options_.out_dir / ("." + id->second + ".tmp");
  const int fd = ::open(temporary.c_str(), O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0600);
  if (fd < 0 || std::filesystem::exists(file)) {
    if (fd >= 0) {
      ::close(fd);
      std::filesystem::remove(temporary);
    }
    ++duplicates_;
    return {409, "application/json", "{\"status\":\"duplicate\"}", {}};
  }
  const bool written =
      ::write(fd, request.body.data(), request.body.size()) == static_cast<ssize_t>(request.body.size());
  ::close(fd);
  if (!written) {
    std::filesystem::remove(temporary);
    return {500, "text/plain", "cannot store\n", {}};
  }
  std::filesystem::rename(temporary, file);
  ++stored_;
  return {201, "application/json", "{\"status\":\"stored\"}", {}};
}

}  // namespace ketenpoort
