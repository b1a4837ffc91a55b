#include "gateway/identity/bsn.hpp"

namespace ketenpoort {
namespace {
bool isDigit(char c) { return c >= '0' && c <= '9'; }
}  // namespace

bool isValidBsn(std::string_view text) {
  if (text.size() != 9) return false;
  int sum = 0;
  for (std::size_t i = 0; i < 9; ++i) {
    if (!isDigit(text[i])) return false;
    const int digit = text[i] - '0';
    sum += (i == 8) ? -digit : digit * static_cast<int>(9 - i);
  }
  return sum != 0 && sum % 11 == 0;
}

std::string maskBsns(std::string_view text) {
  std::string out(text);
  std::size_t i = 0;
  while (i < out.size()) {
    if (!isDigit(out[i])) {
      ++i;
      continue;
    }
    std::size_t end = i;
    while (end < out.size() && isDigit(out[end])) ++end;
    if (end - i == 9 && isValidBsn(std::string_view(out).substr(i, 9))) {
      out.replace(i, 9, 9, '*');
    }
    i = end;
  }
  return out;
}

std::string randomSyntheticBsn(std::mt19937_64& rng) {
  std::uniform_int_distribution<int> digit(0, 9);
  std::uniform_int_distribution<int> leading(1, 9);
  for (;;) {
    std::string bsn(9, '0');
    int sum = 0;
    for (int i = 0; i < 8; ++i) {
      const int d = i == 0 ? leading(rng) : digit(rng);
      bsn[static_cast<std::size_t>(i)] = static_cast<char>('0' + d);
      sum += (9 - i) * d;
    }
    const int last = sum % 11;  // 9·d1 + … + 2·d8 − d9 ≡ 0 (mod 11)
    if (last == 10) continue;
    bsn[8] = static_cast<char>('0' + last);
    return bsn;
  }
}

}  // namespace ketenpoort
