#pragma once

#include <compare>
#include <optional>
#include <string>
#include <string_view>

namespace ketenpoort {

// Organisatie-identificatienummer: the 20-digit number by which Dutch government
// services know an organisation. PKIoverheid certificates carry it in the subject
// serialNumber, which is how the gateway learns who is calling.
class Oin {
 public:
  static constexpr std::size_t kLength = 20;
  // OINs with this prefix are issued for testing and never name a real organisation.
  static constexpr std::string_view kTestPrefix = "00000099";

  static std::optional<Oin> parse(std::string_view text);

  const std::string& str() const { return digits_; }
  bool isTest() const { return digits_.starts_with(kTestPrefix); }

  auto operator<=>(const Oin&) const = default;

 private:
  explicit Oin(std::string digits) : digits_(std::move(digits)) {}
  std::string digits_;
};

}  // namespace ketenpoort
